"""Relative times for the list, full local times for the preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.timefmt import local_time, relative_time

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
CET = timezone(timedelta(hours=1), "CET")


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (timedelta(seconds=5), "now"),
        (timedelta(seconds=-30), "now"),
        (timedelta(minutes=3), "3m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=2, hours=3), "2d"),
        (timedelta(days=7), "7d"),
        (timedelta(days=30), "12 Feb"),
        (timedelta(days=200), "Aug 2025"),
    ],
)
def test_relative_time(age, shown):
    assert relative_time(NOW - age, NOW, UTC) == shown


def test_no_timestamp_shows_nothing():
    assert relative_time(None, NOW) == ""
    assert local_time(None) == "unknown"


def test_local_time_is_in_the_readers_zone():
    assert local_time(NOW, UTC) == "Sat 14 Mar 2026, 09:30 UTC"
    assert local_time(NOW, CET) == "Sat 14 Mar 2026, 10:30 CET"
