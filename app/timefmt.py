"""Timestamps as a reader wants them; every format the TUI and the CLI show is here.

| function | gives | used by |
|---|---|---|
| ``relative_time`` | ``"5m"``, ``"2d"``, ``"12 Mar"`` | the list's column |
| ``relative_time_in_words`` | ``"5 min ago"``, ``"2 d ago"``, ``"Mar 12"`` | ``directus-inbox list`` |
| ``local_time`` | ``"Wed 24 Nov 2021, 14:57 CET"`` | the preview |
| ``local_time_numeric`` | ``"2021-11-24 14:57"`` | reply quotes, the compose dialog |
| ``local_time_and_age`` | ``"2021-11-24 14:57 (5 min ago)"`` | ``directus-inbox show`` |

Each takes the zone to show (``None``: the system's) and, where it tells an age, the moment to
compare with, so that a caller with a fixed clock, such as a snapshot test, gets the same text on
every run. Each says what it gives for a missing timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

RECENT = timedelta(days=7)
"""Up to this age an age is told ("2d"); beyond it, the date."""


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


def relative_time_in_words(when: datetime | None, now: datetime | None = None, tz: tzinfo | None = None) -> str:
    """``"just now"`` (also up to a minute in the future), ``"5 min ago"``, ``"3 h ago"``,
    ``"2 d ago"``; beyond a week, or further in the future, the date (``"Mar 12"``, or
    ``"2020-01-02"`` in another year); ``"-"`` for no timestamp. *now* defaults to the clock."""
    if when is None:
        return "-"
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if -60 < seconds < 60:
        return "just now"
    if 0 < seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if 0 < seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if 0 < seconds < RECENT.total_seconds():
        return f"{int(seconds // 86400)} d ago"
    local = when.astimezone(tz)
    if local.year == now.astimezone(tz).year:
        return f"{local:%b %d}"
    return f"{local:%Y-%m-%d}"


def local_time(when: datetime | None, tz: tzinfo | None = None) -> str:
    """The full date and time with the zone's name: ``"Wed 24 Nov 2021, 14:57 CET"``; ``"unknown"``
    for no timestamp."""
    if when is None:
        return "unknown"
    local = when.astimezone(tz)
    zone = local.tzname() or local.strftime("UTC%z")
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {zone}"


def local_time_numeric(when: datetime | None, tz: tzinfo | None = None) -> str:
    """``"2021-11-24 14:57"``; ``"an unknown date"`` for no timestamp (it ends a sentence such as
    "On <date>, Maya wrote:"). A naive timestamp is taken as local time already."""
    if when is None:
        return "an unknown date"
    local = when.astimezone(tz) if when.tzinfo else when
    return f"{local:%Y-%m-%d %H:%M}"


def local_time_and_age(when: datetime | None, now: datetime | None = None, tz: tzinfo | None = None) -> str:
    """``"2021-11-24 14:57 (5 min ago)"``; ``"-"`` for no timestamp. *now* defaults to the clock."""
    if when is None:
        return "-"
    return f"{local_time_numeric(when, tz)} ({relative_time_in_words(when, now, tz)})"
