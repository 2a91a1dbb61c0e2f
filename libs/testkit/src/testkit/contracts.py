"""Contract checks for service suites: a payload must match the CHECKED-IN JSON Schema.

The schemas are read from `libs/contracts/schemas/` (what reviewers approved), not regenerated
from the models, so a service that drifts from its published contract fails its own tests.
"""

import json
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from contracts.schemas import SCHEMA_DIR

_KINDS = ("events", "requests", "replies", "messages")


def _rfc3339_date_time(value: object) -> bool:
    # JSON Schema's date-time is RFC 3339: a time zone offset is required ("ISO 8601, UTC").
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)  # ValueError: not a date-time at all
    return "T" in value.upper() and parsed.tzinfo is not None


_formats = FormatChecker()
_formats.checks("date-time", raises=ValueError)(_rfc3339_date_time)


@cache
def schema_for(subject_or_reply_name: str) -> dict[str, Any]:
    """The checked-in schema of an event or request subject, or of a reply type's name."""
    for kind in _KINDS:
        path = SCHEMA_DIR / kind / f"{subject_or_reply_name}.json"
        if path.exists():
            loaded: dict[str, Any] = json.loads(path.read_text())
            return loaded
    raise LookupError(f"no checked-in schema for {subject_or_reply_name!r} in {SCHEMA_DIR}")


def assert_valid(payload: dict[str, Any] | bytes | str, subject_or_reply_name: str) -> None:
    """Fail (AssertionError listing every violation) unless `payload` matches its schema."""
    document = json.loads(payload) if isinstance(payload, bytes | str) else payload
    validator = Draft202012Validator(schema_for(subject_or_reply_name), format_checker=_formats)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [
            f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in problems
        ]
        raise AssertionError(
            f"payload breaks the contract {subject_or_reply_name!r}:\n" + "\n".join(lines)
        )
