"""The time formats the CLI and the reply quotes show (``app/timefmt.py``); the list's and the
preview's are in ``tests/ui/test_timefmt.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.timefmt import local_time_and_age, local_time_numeric, relative_time_in_words

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1), "CET")


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (NOW - timedelta(seconds=5), "just now"),
        (NOW + timedelta(seconds=30), "just now"),
        (NOW - timedelta(minutes=5), "5 min ago"),
        (NOW - timedelta(hours=3), "3 h ago"),
        (NOW - timedelta(days=2), "2 d ago"),
        (NOW - timedelta(days=30), "May 02"),
        (NOW + timedelta(hours=2), "Jun 01"),
        (datetime(2020, 1, 2, 12, tzinfo=UTC), "2020-01-02"),
        (None, "-"),
    ],
)
def test_relative_time_in_words(when: datetime | None, shown: str) -> None:
    assert relative_time_in_words(when, NOW, UTC) == shown


def test_local_time_numeric_is_in_the_readers_zone() -> None:
    assert local_time_numeric(NOW, UTC) == "2025-06-01 12:00"
    assert local_time_numeric(NOW, CET) == "2025-06-01 13:00"
    assert local_time_numeric(NOW) == NOW.astimezone().strftime("%Y-%m-%d %H:%M")
    assert local_time_numeric(datetime(2025, 6, 1, 8, 5)) == "2025-06-01 08:05"  # naive: already local
    assert local_time_numeric(None) == "an unknown date"


def test_local_time_and_age() -> None:
    assert local_time_and_age(NOW - timedelta(minutes=5), NOW, CET) == "2025-06-01 12:55 (5 min ago)"
    assert local_time_and_age(None, NOW) == "-"
