"""JSON Schemas of every contract, generated from the models and checked in beside them.

`python -m contracts.schemas write` regenerates them; `check` exits 1 when they drifted.
"""

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from contracts.catalogue import EVENTS, REQUESTS, replies
from contracts.live import DELIVER_PREFIX, ChannelFrame

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def _render(model: type[BaseModel], subject: str | None) -> str:
    schema = model.model_json_schema(mode="serialization")
    if subject:
        schema["x-subject"] = subject
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def generated() -> dict[str, str]:
    """File name → schema text, for every event, request and reply."""
    files = {f"events/{cls.subject}.json": _render(cls, cls.subject) for cls in EVENTS.values()}
    files |= {
        f"requests/{cls.subject}.json": _render(cls, cls.subject) for cls in REQUESTS.values()
    }
    files |= {f"replies/{name}.json": _render(cls, None) for name, cls in replies().items()}
    files["messages/ChannelFrame.json"] = _render(
        ChannelFrame, f"{DELIVER_PREFIX}.{{app}}.{{channel}}"
    )
    return files


def drift(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of the files that differ from, or are missing from, the checked-in schemas."""
    wanted = generated()
    present = {str(p.relative_to(directory)) for p in directory.rglob("*.json")}
    changed = [
        n
        for n, text in wanted.items()
        if not (directory / n).exists() or (directory / n).read_text() != text
    ]
    return sorted(changed + [n for n in present if n not in wanted])


def write(directory: Path = SCHEMA_DIR) -> None:
    for old in directory.rglob("*.json"):
        old.unlink()
    for name, text in generated().items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "write":
        write()
    elif stale := drift():
        print("schemas drifted; run `./dev schemas`:", *stale, sep="\n  ")
        sys.exit(1)
