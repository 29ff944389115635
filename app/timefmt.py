"""Timestamps as a reader wants them: "3m" in a list, a full local date in a preview.

Both take the moment to compare with (and the zone to show) as arguments, so that a caller with a
fixed clock, such as a snapshot test, gets the same text on every run.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

RECENT = timedelta(days=7)
"""Up to this age a list shows how long ago ("2d"); beyond it, the date."""


def relative_time(when: datetime | None, now: datetime, tz: tzinfo | None = None) -> str:
    """``"now"``, ``"3m"``, ``"5h"``, ``"2d"``; a date beyond a week (``"12 Mar"``, or ``"Mar 2024"``
    in another year); ``""`` for no timestamp. A timestamp in the future (a server clock ahead of
    ours) reads as ``"now"``."""
    if when is None:
        return ""
    age = now - when
    seconds = age.total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if age <= RECENT:
        return f"{age.days}d"
    local = when.astimezone(tz)
    if local.year == now.astimezone(tz).year:
        return f"{local.day} {local:%b}"
    return f"{local:%b %Y}"


def local_time(when: datetime | None, tz: tzinfo | None = None) -> str:
    """The full date and time in the reader's zone (``tz``, else the system's): ``"Wed 24 Nov 2021, 14:57 CET"``."""
    if when is None:
        return "unknown"
    local = when.astimezone(tz)
    zone = local.tzname() or local.strftime("UTC%z")
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {zone}"
