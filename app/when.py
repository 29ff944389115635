"""Times people type, and the local days they mean: WHEN for filters, and snooze times.

Two directions, two parsers, one syntax where they meet:

* ``TimeBound.parse`` reads a WHEN of ``--since``/``--until`` (and of a saved view), which looks
  back: an ISO date (``2026-11-20``) or date and time (``2026-11-20T14:00``, ``2026-11-20 14:00``,
  with or without an offset), a relative ``30m``, ``3h``, ``2d``, ``1w`` (that long ago), or
  ``today``, ``yesterday``, ``this week``. A bound keeps its text, so a saved view stays relative.
  As a start (``since``) a day means its first instant; as an end (``until``) the first instant
  after it: ``--since 2026-11-01 --until 2026-11-30`` is the whole of November.
* ``parse_snooze`` reads a snooze time, which looks ahead: the presets (``in an hour``,
  ``this evening``, ``tomorrow morning``, ``next week``), a relative ``2h`` (from now),
  ``tomorrow 14:00``, ``today 17:30``, ``14:00`` (today, or tomorrow when that has passed), an ISO
  date (09:00 that day) or date and time.

Days, midnights and "this week" (which starts on Monday) are the user's: every function takes
``tz`` (``None``: the system's zone, with its summer time) and ``now`` (``None``: the clock), so a
test, or a user in another zone, gets the same answer every time. A time without an offset is a
local time in ``tz``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final, Literal

UNITS: Final = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
RELATIVE = re.compile(r"^(\d{1,6})\s*([mhdw])$")
"""``30m``, ``3h``, ``2d``, ``1w``."""
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")

EVENING = time(18, 0)
MORNING = time(9, 0)


# --- local days -----------------------------------------------------------------------------------


def aware_now(now: datetime | None = None) -> datetime:
    """*now*, or the clock, in UTC; never naive."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC)


def localize(wall: datetime, tz: tzinfo | None = None) -> datetime:
    """The instant a naive local *wall* time names in *tz* (``None``: the system's, summer time
    included: ``astimezone`` asks the C library about that very moment), in UTC.

    UTC, because Python compares and subtracts two datetimes of the same zone by their wall
    clocks: across a change of summer time that is an hour off."""
    if wall.tzinfo is None:
        wall = wall.astimezone() if tz is None else wall.replace(tzinfo=tz)
    return wall.astimezone(UTC)


def at_local(day: date, clock: time, tz: tzinfo | None = None) -> datetime:
    """*day* at the local *clock* time in *tz*."""
    return localize(datetime.combine(day, clock), tz)


def local_midnight(day: date, tz: tzinfo | None = None) -> datetime:
    """The first instant of *day* in *tz*."""
    return at_local(day, time(0, 0), tz)


def today(now: datetime | None = None, tz: tzinfo | None = None) -> date:
    return aware_now(now).astimezone(tz).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_utc(moment: datetime) -> str:
    """``2026-11-22T15:04:05.123Z``: a moment as Directus writes timestamps (and compares them)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- WHEN of a filter -------------------------------------------------------------------------------

BoundKind = Literal["relative", "date", "moment", "named"]

NAMED_DAYS: Final[dict[str, Callable[[date], tuple[date, date]]]] = {
    "today": lambda day: (day, day + timedelta(days=1)),
    "yesterday": lambda day: (day - timedelta(days=1), day),
    "this week": lambda day: (monday_of(day), monday_of(day) + timedelta(days=7)),
}
"""The named periods, as the first day and the day after the last, given today."""

WHEN_HELP: Final = (
    "an ISO date (2026-11-20) or date and time (2026-11-20T14:00), a relative time such as "
    "30m, 3h, 2d or 1w (that long ago), or today, yesterday, this week"
)


@dataclass(frozen=True)
class TimeBound:
    """A WHEN of a filter, as typed (``text``, normalised); its instants depend on now and the zone."""

    text: str
    kind: BoundKind

    @classmethod
    def parse(cls, text: str) -> TimeBound:
        """The bound *text* names; ``ValueError`` saying what a WHEN may be."""
        cleaned = " ".join(text.strip().lower().split())
        relative = RELATIVE.match(cleaned)
        if relative:
            return cls(f"{int(relative.group(1))}{relative.group(2)}", "relative")
        if cleaned in NAMED_DAYS:
            return cls(cleaned, "named")
        stripped = text.strip()
        if _parse_date(stripped) is not None:
            return cls(stripped, "date")
        if _parse_moment(stripped) is not None:
            return cls(stripped, "moment")
        raise ValueError(f"'{text.strip()}' is not a time: give {WHEN_HELP}")

    def start(self, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
        """The first instant the bound names: where a ``since`` begins."""
        return self._span(now, tz)[0]

    def end(self, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
        """The first instant after what the bound names: where an ``until`` stops (exclusive)."""
        return self._span(now, tz)[1]

    def _span(self, now: datetime | None, tz: tzinfo | None) -> tuple[datetime, datetime]:
        now = aware_now(now)
        if self.kind == "relative":
            moment = now - int(self.text[:-1]) * UNITS[self.text[-1]]
            return moment, moment
        if self.kind == "named":
            first, after = NAMED_DAYS[self.text](today(now, tz))
            return local_midnight(first, tz), local_midnight(after, tz)
        if self.kind == "date":
            day = _parse_date(self.text)
            assert day is not None  # parse() let it through
            return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
        wall = _parse_moment(self.text)
        assert wall is not None
        instant = localize(wall, tz)
        return instant, instant

    def __str__(self) -> str:
        return self.text


def _parse_date(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_moment(text: str) -> datetime | None:
    """An ISO date and time (``T`` or a space between), naive when it has no offset; ``Z`` is UTC."""
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}", text):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None


# --- snooze times -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnoozePreset:
    """A snooze time to offer: its words, and the moment they mean now."""

    label: str
    at: Callable[[datetime, tzinfo | None], datetime]
    """``at(now, tz)``: the moment."""


def _this_evening(now: datetime, tz: tzinfo | None) -> datetime:
    day = today(now, tz)
    evening = at_local(day, EVENING, tz)
    return evening if evening > now else at_local(day + timedelta(days=1), EVENING, tz)


def _tomorrow_morning(now: datetime, tz: tzinfo | None) -> datetime:
    return at_local(today(now, tz) + timedelta(days=1), MORNING, tz)


def _next_week(now: datetime, tz: tzinfo | None) -> datetime:
    return at_local(monday_of(today(now, tz)) + timedelta(days=7), MORNING, tz)


SNOOZE_PRESETS: Final = (
    SnoozePreset("in an hour", lambda now, tz: now + timedelta(hours=1)),
    SnoozePreset("this evening", _this_evening),
    SnoozePreset("tomorrow morning", _tomorrow_morning),
    SnoozePreset("next week", _next_week),
)
"""In the order a menu offers them. "this evening" is 18:00, tomorrow's once that has passed;
"tomorrow morning" 09:00; "next week" Monday 09:00."""

SNOOZE_HELP: Final = (
    "in an hour, this evening, tomorrow morning, next week, a time from now such as 30m, 2h or 3d, "
    "tomorrow 14:00, 14:00, or an ISO date (2026-12-01) or date and time (2026-12-01T14:00)"
)


def parse_snooze(text: str, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """The moment a snooze WHEN names, always after *now*; ``ValueError`` saying what it may be."""
    now = aware_now(now)
    cleaned = " ".join(text.strip().lower().split())
    until = _snooze_moment(cleaned, text.strip(), now, tz)
    if until is None:
        raise ValueError(f"'{text.strip()}' is not a snooze time: give {SNOOZE_HELP}")
    if until <= now:
        raise ValueError(f"'{text.strip()}' has passed already: give a time in the future")
    return until


def _snooze_moment(cleaned: str, raw: str, now: datetime, tz: tzinfo | None) -> datetime | None:
    for preset in SNOOZE_PRESETS:
        if cleaned == preset.label:
            return preset.at(now, tz)
    relative = RELATIVE.match(cleaned)
    if relative:
        return now + int(relative.group(1)) * UNITS[relative.group(2)]
    day_word, _, clock_text = cleaned.partition(" ")
    if day_word in ("today", "tomorrow"):
        day = today(now, tz) + timedelta(days=1 if day_word == "tomorrow" else 0)
        clock = _clock(clock_text) if clock_text else MORNING
        return None if clock is None else at_local(day, clock, tz)
    clock = _clock(cleaned)
    if clock is not None:
        moment = at_local(today(now, tz), clock, tz)
        return moment if moment > now else at_local(today(now, tz) + timedelta(days=1), clock, tz)
    on_date = _parse_date(raw)
    if on_date is not None:
        return at_local(on_date, MORNING, tz)
    wall = _parse_moment(raw)
    return None if wall is None else localize(wall, tz)


def _clock(text: str) -> time | None:
    match = CLOCK.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)
