"""Unit: the checked-in JSON Schemas are exactly what the models generate."""

import shutil
from pathlib import Path

from contracts import schemas


def test_checked_in_schemas_match_the_models() -> None:
    assert schemas.drift() == [], "run `python -m contracts.schemas write` and review the diff"


def test_a_freshly_written_directory_has_no_drift(tmp_path: Path) -> None:
    schemas.write(tmp_path)

    assert schemas.drift(tmp_path) == []
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.json")) == sorted(
        schemas.generated()
    )


def test_drift_names_a_changed_a_missing_and_a_stray_schema(tmp_path: Path) -> None:
    shutil.copytree(schemas.SCHEMA_DIR, tmp_path, dirs_exist_ok=True)
    changed = tmp_path / "events/bookings.events.child.created.json"
    changed.write_text(changed.read_text().replace('"child_id"', '"kid_id"'))
    (tmp_path / "replies/ChildPage.json").unlink()
    (tmp_path / "events/bookings.events.child.renamed.json").write_text("{}\n")

    assert schemas.drift(tmp_path) == [
        "events/bookings.events.child.created.json",
        "events/bookings.events.child.renamed.json",
        "replies/ChildPage.json",
    ]


def test_every_schema_names_its_subject() -> None:
    for name, text in schemas.generated().items():
        kind = name.split("/", 1)[0]
        if kind in ("events", "requests"):
            assert f'"x-subject": "{Path(name).stem}"' in text, name
