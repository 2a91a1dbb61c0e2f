"""Bad requests get a clear 4xx, and one parent never reaches another's data."""

import httpx

from testkit.stack import RunningStack

from .conftest import login


async def test_invalid_child_is_refused_with_field_errors(api: httpx.AsyncClient) -> None:
    parent = await login(api, "parent@cams.test")
    answer = await api.post(
        "/children", headers=parent.headers, json={"name": "", "date_of_birth": "not-a-date"}
    )
    assert answer.status_code == 422
    fields = {tuple(error["loc"]) for error in answer.json()["detail"]}
    assert ("body", "date_of_birth") in fields


async def test_future_birthday_is_a_field_error_from_the_contract(api: httpx.AsyncClient) -> None:
    parent = await login(api, "parent@cams.test")
    answer = await api.post(
        "/children",
        headers=parent.headers,
        json={"name": "Tomorrow", "date_of_birth": "2999-01-01"},
    )
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "date_of_birth"]
    assert "future" in error["msg"]


async def test_no_token_or_a_forged_token_is_401(api: httpx.AsyncClient) -> None:
    assert (await api.get("/children")).status_code == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged"}
    assert (await api.get("/me", headers=forged)).status_code == 401


async def test_wrong_password_is_401_and_unknown_json_is_422(api: httpx.AsyncClient) -> None:
    wrong = await api.post("/auth/login", json={"email": "admin@cams.test", "password": "nope"})
    assert wrong.status_code == 401
    assert (await api.post("/auth/login", json={"email": "admin"})).status_code == 422


async def test_another_parents_child_does_not_exist_for_you(api: httpx.AsyncClient) -> None:
    parent = await login(api, "parent@cams.test")
    await api.post(
        "/auth/register",
        json={"email": "other-parent@cams.test", "name": "O", "password": "password1"},
    )
    other = await login(api, "other-parent@cams.test", "password1")
    child = (
        await api.post(
            "/children",
            headers=parent.headers,
            json={"name": "Private", "date_of_birth": "2015-05-05"},
        )
    ).json()
    assert (await api.get(f"/children/{child['id']}", headers=other.headers)).status_code == 404
    assert (await api.delete(f"/children/{child['id']}", headers=other.headers)).status_code == 404
    still = await api.get(f"/children/{child['id']}", headers=parent.headers)
    assert still.status_code == 200
    assert child["id"] not in [
        c["id"] for c in (await api.get("/children", headers=other.headers)).json()["items"]
    ]


async def test_only_admins_create_users(api: httpx.AsyncClient) -> None:
    parent = await login(api, "parent@cams.test")
    admin = await login(api, "admin@cams.test")
    body = {"email": "coach@cams.test", "name": "Coach", "role": "trainer", "password": "password1"}
    assert (await api.post("/users", headers=parent.headers, json=body)).status_code == 403
    created = await api.post("/users", headers=admin.headers, json=body)
    assert created.status_code == 201
    assert created.json()["role"] == "trainer"
    assert (await api.post("/users", headers=admin.headers, json=body)).status_code == 409


async def test_the_whole_child_lifecycle_over_rest(api: httpx.AsyncClient) -> None:
    parent = await login(api, "parent@cams.test")
    created = (
        await api.post(
            "/children", headers=parent.headers, json={"name": "Lee", "date_of_birth": "2016-06-06"}
        )
    ).json()
    path = f"/children/{created['id']}"
    renamed = await api.patch(path, headers=parent.headers, json={"name": "Leigh"})
    assert renamed.json()["name"] == "Leigh"
    checklist = await api.post(
        f"{path}/checklist", headers=parent.headers, json={"answers": {"allergies": "none"}}
    )
    assert checklist.json()["checklist_submitted_at"] is not None
    assert (await api.delete(path, headers=parent.headers)).json() == {"id": created["id"]}
    assert (await api.get(path, headers=parent.headers)).status_code == 404


async def test_ops_endpoints_answer(stack: RunningStack) -> None:
    async with httpx.AsyncClient() as client:
        for base in (stack.api.removesuffix("/api/v1"), stack.realtime):
            assert (await client.get(f"{base}/healthz")).status_code == 200
            assert (await client.get(f"{base}/readyz")).status_code == 200
            # /metrics has a loopback listener of its own, never the public port.
            assert (await client.get(f"{base}/metrics")).status_code == 404
        spec = (await client.get(f"{stack.api.removesuffix('/api/v1')}/openapi.json")).json()
        assert "/api/v1/children" in spec["paths"]
