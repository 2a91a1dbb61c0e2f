"""The business day: which IANA time zone "today" is read in (docs/rest.md, "Business time
zone"), the machine's own by default."""

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCALTIME = Path("/etc/localtime")
TIMEZONE_FILE = Path("/etc/timezone")
FALLBACK = "UTC"


def zone_of(name: str) -> ZoneInfo:
    """The zone named `name`; ValueError for a name that is not an IANA zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"not an IANA time zone: {name!r}") from exc


def _valid(name: str | None) -> str | None:
    if not name:
        return None
    try:
        zone_of(name)
    except ValueError:
        return None
    return name


def _from_localtime() -> str | None:
    """`/etc/localtime -> .../zoneinfo/Europe/London` names the zone by its link."""
    try:
        target = str(LOCALTIME.resolve())
    except OSError:
        return None
    _, found, name = target.partition("/zoneinfo/")
    return name if found else None


def _from_timezone_file() -> str | None:
    try:
        return TIMEZONE_FILE.read_text().strip()
    except OSError:
        return None


def local_time_zone_name() -> str:
    """The machine's zone as an IANA name: `TZ`, else /etc/localtime, else /etc/timezone."""
    for candidate in (os.environ.get("TZ", "").lstrip(":"), _from_localtime()):
        if found := _valid(candidate):
            return found
    return _valid(_from_timezone_file()) or FALLBACK


def today_in(zone: ZoneInfo) -> date:
    """Today's date where the business runs."""
    return datetime.now(zone).date()
