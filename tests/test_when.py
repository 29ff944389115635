"""Times people type (``app/when.py``): WHEN of a filter, and snooze times, in the user's zone."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from app.when import SNOOZE_PRESETS, TimeBound, iso_utc, parse_snooze

BERLIN = ZoneInfo("Europe/Berlin")
# Thursday 26 Nov 2026, 15:30 in Berlin (14:30 UTC).
NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, tz: tzinfo = BERLIN) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


# --- WHEN of a filter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2d", NOW - timedelta(days=2), NOW - timedelta(days=2)),
        ("3h", NOW - timedelta(hours=3), NOW - timedelta(hours=3)),
        ("30m", NOW - timedelta(minutes=30), NOW - timedelta(minutes=30)),
        ("1w", NOW - timedelta(weeks=1), NOW - timedelta(weeks=1)),
        (" 2 D ", NOW - timedelta(days=2), NOW - timedelta(days=2)),
        ("today", at(2026, 11, 26), at(2026, 11, 27)),
        ("yesterday", at(2026, 11, 25), at(2026, 11, 26)),
        ("This  Week", at(2026, 11, 23), at(2026, 11, 30)),  # Monday to Monday
        ("2026-11-20", at(2026, 11, 20), at(2026, 11, 21)),  # a day: as an end, up to its end
        ("2026-11-20T14:00", at(2026, 11, 20, 14), at(2026, 11, 20, 14)),  # local time
        ("2026-11-20 14:00", at(2026, 11, 20, 14), at(2026, 11, 20, 14)),
        ("2026-11-20T14:00Z", datetime(2026, 11, 20, 14, tzinfo=UTC), datetime(2026, 11, 20, 14, tzinfo=UTC)),
        (
            "2026-11-20T14:00:00+05:30",
            at(2026, 11, 20, 14, tz=ZoneInfo("Asia/Kolkata")),
            at(2026, 11, 20, 8, 30, tz=UTC),
        ),
    ],
)
def test_a_when_names_a_start_and_an_end(text, start, end):
    bound = TimeBound.parse(text)
    assert bound.start(NOW, BERLIN) == start
    assert bound.end(NOW, BERLIN) == end


def test_a_day_across_the_change_to_winter_time_has_25_hours():
    day = TimeBound.parse("2026-10-25")
    assert day.end(NOW, BERLIN) - day.start(NOW, BERLIN) == timedelta(hours=25)


def test_a_bound_keeps_its_text_so_a_saved_view_stays_relative():
    assert str(TimeBound.parse(" 2D ")) == "2d"
    assert str(TimeBound.parse("This week")) == "this week"
    assert str(TimeBound.parse("2026-11-20T14:00")) == "2026-11-20T14:00"
    later = NOW + timedelta(days=1)
    assert TimeBound.parse("2d").start(later) - TimeBound.parse("2d").start(NOW) == timedelta(days=1)


@pytest.mark.parametrize("text", ["", "2", "2x", "-2d", "tomorrow", "2026-13-01", "2026-11-31", "20261120", "soon"])
def test_what_is_not_a_when_says_what_is(text):
    with pytest.raises(ValueError, match="is not a time: give an ISO date"):
        TimeBound.parse(text)


def test_the_system_zone_is_the_default(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert TimeBound.parse("today").start(NOW) == at(2026, 11, 26, tz=ZoneInfo("Asia/Kolkata"))
        assert TimeBound.parse("2026-11-20T14:00").start(NOW) == at(2026, 11, 20, 14, tz=ZoneInfo("Asia/Kolkata"))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert os.environ.get("TZ") is None


def test_iso_utc_is_how_directus_writes_a_timestamp():
    assert iso_utc(at(2026, 11, 20, 14, 0)) == "2026-11-20T13:00:00.000Z"


# --- snooze times -----------------------------------------------------------------------------------


def presets(now: datetime) -> dict[str, datetime]:
    return {preset.label: preset.at(now, BERLIN) for preset in SNOOZE_PRESETS}


def test_the_presets_in_the_afternoon():
    assert presets(NOW) == {
        "in an hour": NOW + timedelta(hours=1),
        "this evening": at(2026, 11, 26, 18),
        "tomorrow morning": at(2026, 11, 27, 9),
        "next week": at(2026, 11, 30, 9),  # Monday
    }


def test_this_evening_past_six_is_tomorrow_evening_and_next_week_on_a_monday_is_a_week_on():
    late = at(2026, 11, 30, 19, 15).astimezone(UTC)  # a Monday evening
    assert presets(late)["this evening"] == at(2026, 12, 1, 18)
    assert presets(late)["next week"] == at(2026, 12, 7, 9)
    assert presets(late)["tomorrow morning"] == at(2026, 12, 1, 9)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2h", NOW + timedelta(hours=2)),
        ("30m", NOW + timedelta(minutes=30)),
        ("3d", NOW + timedelta(days=3)),
        ("In an hour", NOW + timedelta(hours=1)),
        ("tomorrow morning", at(2026, 11, 27, 9)),
        ("tomorrow", at(2026, 11, 27, 9)),
        ("tomorrow 14:00", at(2026, 11, 27, 14)),
        ("today 17:30", at(2026, 11, 26, 17, 30)),
        ("17:30", at(2026, 11, 26, 17, 30)),
        ("9:00", at(2026, 11, 27, 9)),  # passed today: tomorrow
        ("2026-12-01", at(2026, 12, 1, 9)),
        ("2026-12-01T14:00", at(2026, 12, 1, 14)),
        ("2026-12-01T14:00Z", datetime(2026, 12, 1, 14, tzinfo=UTC)),
    ],
)
def test_a_snooze_time(text, moment):
    assert parse_snooze(text, NOW, BERLIN) == moment


@pytest.mark.parametrize("text", ["today 9:00", "2026-11-01", "2026-11-26T15:00"])
def test_a_snooze_time_that_has_passed_is_refused(text):
    with pytest.raises(ValueError, match="has passed already"):
        parse_snooze(text, NOW, BERLIN)


@pytest.mark.parametrize("text", ["", "later", "yesterday", "tomorrow 25:00", "24:00", "2h ago", "next month"])
def test_what_is_not_a_snooze_time_says_what_is(text):
    with pytest.raises(ValueError, match="is not a snooze time: give in an hour, this evening"):
        parse_snooze(text, NOW, BERLIN)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        parse_snooze("2h", datetime(2026, 11, 26, 15))
