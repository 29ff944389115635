"""Local days counted from UTC hours (``app/counts.py``), without a server; the backends are held to
the same answers in ``tests/test_contract_counts.py``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.counts import DayCount, GroupCount, HourlyPlan, LocalDays, biggest_first, hour_of
from app.models import Query

KOLKATA = ZoneInfo("Asia/Kolkata")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_local_days_and_their_bounds_in_utc():
    days = LocalDays(date(2026, 11, 3), 3, KOLKATA)
    assert days.dates == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert days.bounds() == [
        utc(2026, 10, 31, 18, 30),
        utc(2026, 11, 1, 18, 30),
        utc(2026, 11, 2, 18, 30),
        utc(2026, 11, 3, 18, 30),
    ]


def test_the_last_n_days_end_today_in_the_zone():
    late_in_utc = utc(2026, 11, 30, 23, 0)  # already 1 December in Berlin
    days = LocalDays.ending_today(30, now=late_in_utc, tz=BERLIN)
    assert (days.dates[0], days.dates[-1], len(days.dates)) == (date(2026, 11, 2), date(2026, 12, 1), 30)
    with pytest.raises(ValueError):
        LocalDays(date(2026, 11, 1), 0)


def test_a_zone_on_the_hour_needs_one_request_a_half_hour_zone_two():
    assert HourlyPlan(LocalDays(date(2026, 11, 3), 30, BERLIN)).split_query(Query()) is None
    split = HourlyPlan(LocalDays(date(2026, 11, 3), 3, KOLKATA)).split_query(Query(mine=True))
    assert split is not None and split.mine
    cuts = split.filter["_or"]  # type: ignore[index]
    assert len(cuts) == 2  # the two midnights between the three days; the outer ones are the range's
    assert cuts[0] == {
        "_and": [
            {"timestamp": {"_gte": "2026-11-01T18:00:00.000Z"}},
            {"timestamp": {"_lt": "2026-11-01T18:30:00.000Z"}},
        ]
    }


def test_hours_add_up_to_days_and_a_cut_hour_is_split():
    days = LocalDays(date(2026, 11, 2), 2, KOLKATA)  # 31 Oct 18:30 UTC .. 2 Nov 18:30 UTC
    plan = HourlyPlan(days)
    assert plan.limit == 49  # 18:00 on 31 Oct to 18:00 on 2 Nov, both included
    hourly = {
        utc(2026, 10, 31, 18): 2,  # starts before the first midnight: the range kept only its second half
        utc(2026, 11, 1, 12): 5,
        utc(2026, 11, 1, 18): 7,  # the midnight between the days is at 18:30
        utc(2026, 11, 2, 18): 1,  # runs past the last midnight: the range kept its first half
    }
    assert plan.days_from(hourly, {utc(2026, 11, 1, 18): 3}) == [
        DayCount(date(2026, 11, 1), 2 + 5 + 3),
        DayCount(date(2026, 11, 2), 4 + 1),
    ]


def test_an_hour_from_the_server_in_any_of_its_forms():
    assert hour_of({"timestamp_year": 2026, "timestamp_month": 11, "timestamp_day": 2, "timestamp_hour": 5}) == utc(
        2026, 11, 2, 5
    )
    assert hour_of(
        {"timestamp_year": "2026", "timestamp_month": "11", "timestamp_day": "2", "timestamp_hour": "0"}
    ) == utc(2026, 11, 2, 0)
    assert (
        hour_of({"timestamp_year": None, "timestamp_month": None, "timestamp_day": None, "timestamp_hour": None})
        is None
    )
    for broken in (
        {"timestamp_year": 2026},
        {"timestamp_year": 2026, "timestamp_month": 13, "timestamp_day": 1, "timestamp_hour": 0},
    ):
        with pytest.raises(ValueError):
            hour_of(broken)


def test_biggest_first_then_by_value_and_no_value_last():
    groups = [GroupCount(None, 3), GroupCount("b", 3), GroupCount("a", 3), GroupCount("z", 9)]
    assert biggest_first(groups) == [GroupCount("z", 9), GroupCount("a", 3), GroupCount("b", 3), GroupCount(None, 3)]
