"""Counts the server computes: notifications grouped by a field, and per local day.

``InboxBackend.count_by`` answers "articles 1,204 · products 88" for a filter picker (one grouped
aggregate); ``InboxBackend.count_per_day`` answers the notifications of each of the last N days
in the user's zone, for a sparkline. Both take the ``Query`` a list would show (filter, status,
``mine``, search), so the counts are of what that list holds.

Per day, on a Directus server: its date functions (``year(timestamp)``, ``month``, ``day``,
``hour``) extract in UTC, and a local day does not start at a UTC midnight. So the server counts
per UTC hour (``groupBy`` on the four functions, one request, at most 24 groups a day) and
``HourlyPlan`` adds the hours up into local days; where a local midnight falls inside a UTC hour
(zones at :30 or :45 from UTC), one more aggregate counts the part of each such hour before the
midnight. Measured on Directus 12.4 (SQLite), 20,000 notifications, the last 30 days: one
hour-grouped aggregate 87–160 ms, 30 aliased counts in one GraphQL document 350–470 ms, 30 REST
counts 760–820 ms (README, "Counts"). The embedded inbox counts the local days directly in SQL.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final, Literal, get_args

from app.models import Filter, Query
from app.when import aware_now, iso_utc, local_midnight, today

GroupField = Literal["sender", "collection", "status", "recipient"]
GROUP_FIELDS: Final[tuple[GroupField, ...]] = get_args(GroupField)
"""The fields ``count_by`` groups by."""

BY_COUNT: Final = ("-count.id",)
"""How a server sorts a grouped count biggest first (REST ``sort=-count.id``, GraphQL alike)."""

HOUR = timedelta(hours=1)
HOUR_PARTS: Final = ("year", "month", "day", "hour")
HOUR_GROUPS: Final = tuple(f"{part}(timestamp)" for part in HOUR_PARTS)
"""What a server groups by to count per UTC hour."""
HOUR_KEYS: Final = tuple(f"timestamp_{part}" for part in HOUR_PARTS)
"""The names Directus gives those groups in its answer (``timestamp_year`` …)."""


@dataclass(frozen=True)
class GroupCount:
    """How many notifications have ``value`` in the grouped field (``None``: no value)."""

    value: str | None
    count: int


def biggest_first(groups: Iterable[GroupCount]) -> list[GroupCount]:
    """Most first; a tie by value, and no value last, so every backend lists the same order."""
    return sorted(groups, key=lambda group: (-group.count, group.value is None, group.value or ""))


@dataclass(frozen=True)
class DayCount:
    """How many notifications arrived on ``day`` (a local calendar day)."""

    day: date
    count: int


@dataclass(frozen=True)
class LocalDays:
    """Consecutive calendar days in a zone, the last one ``last``."""

    last: date
    days: int
    tz: tzinfo | None = None
    """``None``: the system's zone."""

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be 1 or more")

    @classmethod
    def ending_today(cls, days: int, *, now: datetime | None = None, tz: tzinfo | None = None) -> LocalDays:
        """The last *days* days, today (in *tz*) the last of them."""
        return cls(today(aware_now(now), tz), days, tz)

    @property
    def dates(self) -> list[date]:
        first = self.last - timedelta(days=self.days - 1)
        return [first + timedelta(days=index) for index in range(self.days)]

    def bounds(self) -> list[datetime]:
        """Each day's first instant, and the first instant after the last day (UTC): ``days + 1``."""
        dates = [*self.dates, self.last + timedelta(days=1)]
        return [local_midnight(day, self.tz).astimezone(UTC) for day in dates]

    def range_filter(self) -> Filter:
        """The notifications of these days: a Directus filter on ``timestamp``."""
        bounds = self.bounds()
        return timestamp_between(bounds[0], bounds[-1])

    def day_filters(self) -> list[Filter]:
        """Each day's notifications, one filter a day (for servers that will not group by hour)."""
        bounds = self.bounds()
        return [timestamp_between(start, stop) for start, stop in itertools.pairwise(bounds)]


def timestamp_between(start: datetime, stop: datetime) -> Filter:
    """From *start* up to, not including, *stop*."""
    return {"_and": [{"timestamp": {"_gte": iso_utc(start)}}, {"timestamp": {"_lt": iso_utc(stop)}}]}


def narrowed(query: Query, extra: Filter) -> Query:
    """*query* with *extra* AND-ed to its filter (for counting, so paging is left out)."""
    filter_ = {"_and": [query.filter, extra]} if query.filter else extra
    return query.model_copy(update={"filter": filter_, "offset": 0, "page": None})


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class HourlyPlan:
    """Counting local days on a server that groups by UTC hour (see the module's docstring).

    The server is asked ``hourly_query`` (grouped by ``HOUR_GROUPS``) and, when ``split_query`` is
    not ``None``, that too (grouped the same way); ``days_from`` adds the answers up.
    """

    days: LocalDays

    def _bounds(self) -> list[datetime]:
        return self.days.bounds()

    def _cut_hours(self) -> list[tuple[datetime, datetime]]:
        """(UTC hour, local midnight) for each midnight between two days that is not on the hour."""
        return [(floor_hour(bound), bound) for bound in self._bounds()[1:-1] if bound != floor_hour(bound)]

    @property
    def limit(self) -> int:
        """Every UTC hour the days touch: the most groups an answer can hold."""
        bounds = self._bounds()
        return int((bounds[-1] - floor_hour(bounds[0])) / HOUR) + 1

    def hourly_query(self, query: Query) -> Query:
        return narrowed(query, self.days.range_filter())

    def split_query(self, query: Query) -> Query | None:
        """The part of each cut hour before its midnight; ``None`` when every midnight is on the hour."""
        cuts = self._cut_hours()
        if not cuts:
            return None
        return narrowed(query, {"_or": [timestamp_between(hour, midnight) for hour, midnight in cuts]})

    def days_from(self, hourly: Mapping[datetime, int], split: Mapping[datetime, int]) -> list[DayCount]:
        """The count of each day, from counts per UTC hour and of the cut hours' first parts."""
        bounds = self._bounds()
        cuts = dict(self._cut_hours())
        totals = [0] * self.days.days

        def day_of(moment: datetime) -> int:
            # The range filter keeps out what lies outside the days, so an hour that starts before
            # the first midnight (or runs past the last) counts for the first (or last) day.
            return min(max(bisect.bisect_right(bounds, moment) - 1, 0), self.days.days - 1)

        for hour, count in hourly.items():
            midnight = cuts.get(hour)
            if midnight is None:
                totals[day_of(hour)] += count
                continue
            before = min(split.get(hour, 0), count)
            totals[day_of(hour)] += before
            totals[day_of(midnight)] += count - before
        return [DayCount(day, count) for day, count in zip(self.days.dates, totals, strict=True)]


def hour_of(group: Mapping[str, Any]) -> datetime | None:
    """The UTC hour a row grouped by ``HOUR_GROUPS`` is about; ``None`` for a row without a timestamp.

    ``ValueError`` when the parts are not numbers of a date (Postgres answers them as text).
    """
    parts = [group.get(key) for key in HOUR_KEYS]
    if all(part is None for part in parts):
        return None
    if any(isinstance(part, bool) or part is None for part in parts):
        raise ValueError("an hour group is incomplete")
    year, month, day, hour = (int(float(str(part))) for part in parts)
    return datetime(year, month, day, hour, tzinfo=UTC)
