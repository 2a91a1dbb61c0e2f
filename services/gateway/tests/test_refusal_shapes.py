"""Refusals the OpenAPI fuzzing found off their document: ids past what the databases hold were
a 500 (a 64-bit overflow in the gateway, a failed query on PostgreSQL), and a service's `invalid`
without fields answered a string where every 422 is a list of field errors."""

import httpx

from gateway.settings import GatewaySettings

from .conftest import Stack, field_locations, token_for

TOO_BIG = [2**31, 2**63]


async def test_an_id_past_the_databases_range_is_a_422_on_its_field(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway
    admin = await token_for(client, "admin@cams.test")
    for id_ in TOO_BIG:
        path = await client.get(f"/children/{id_}", headers=admin)
        assert field_locations(path) == {("path", "child_id")}
        query = await client.get("/bookings", headers=admin, params={"child_id": id_})
        assert field_locations(query) == {("query", "child_id")}
        body = await client.post("/bookings", headers=admin, json={"child_id": id_})
        assert field_locations(body) == {("body", "child_id")}
        trainer = await client.get("/schedules", headers=admin, params={"trainer": id_})
        assert field_locations(trainer) == {("query", "trainer")}


async def test_a_services_invalid_without_fields_is_still_a_list_of_field_errors(
    stack: Stack,
) -> None:
    admin = await stack.login("admin@cams.test")
    answer = await stack.client.get("/trainers", headers=admin.headers, params={"cursor": "x"})
    assert field_locations(answer) == {("query",)}
    assert answer.json()["detail"][0]["msg"]
