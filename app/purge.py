"""Purging old notifications, as an admin: Directus keeps every notification forever.

::

    plan = await plan_purge(backend, PurgeCriteria(archived=True, older_than=timedelta(days=90)))
    print(plan.describe())           # "3,000 notifications: archived, older than 90 days ... oldest ... newest ..."
    result = await run_purge(backend, plan, progress=lambda done, total: ...)

``plan_purge`` states exactly what a purge would delete — the count, the oldest and the newest —
and refuses (``ForbiddenError``) a user whose role may not delete. ``run_purge`` deletes it in
chunks, each listed right before it is deleted and deleted with ``app.bulk.delete`` (verified
with the server), so:

- nothing outside the criteria is deleted: each chunk is what matches them then, and never a row
  newer than the plan saw (``PurgePlan.last_id``), so what the plan stated is the most it deletes;
- it can be interrupted at any moment (ctrl+c cancels it between or during requests): a chunk
  is deleted by the server as a whole or not at all — but one in flight may be either, so what was
  deleted is then asked of the server (``remaining``) — and running the same purge again plans
  afresh what is left: nothing is deleted twice, because what is gone is no longer listed;
- it stops at the first chunk the server does not fully delete, and says what was left.

The cutoff of ``older_than`` is fixed when the plan is made, so a purge that runs for minutes
does not reach further than it said.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app import bulk
from app.backend import BATCH_CHUNK, InboxBackend
from app.errors import ForbiddenError
from app.models import ARCHIVED, Filter, Query

PurgeProgress = Callable[[int, int], None]
"""Called with (deleted so far, planned) after each chunk."""

UNITS = {"min": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
"""``--older-than`` units: minutes, hours, days, weeks and years of 365 days."""


def parse_age(text: str) -> timedelta:
    """ "90d", "12h", "2w", "1y", "30min" as a ``timedelta``; ``ValueError`` saying what is accepted."""
    match = re.fullmatch(r"\s*(\d{1,9})\s*(min|h|d|w|y)\s*", text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"'{text}' is not an age: give a number and a unit, like 90d (units: min, h, d, w, y)")
    return timedelta(seconds=int(match.group(1)) * UNITS[match.group(2)])


def describe_age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, name in (("y", "year"), ("w", "week"), ("d", "day"), ("h", "hour"), ("min", "minute")):
        if seconds % UNITS[unit] == 0:
            count = seconds // UNITS[unit]
            return f"{count:,} {name}{'' if count == 1 else 's'}"
    return f"{seconds:,} seconds"


@dataclass(frozen=True)
class PurgeCriteria:
    """Which notifications a purge deletes: all of these that are given must hold."""

    archived: bool = False
    """Only archived ones."""
    older_than: timedelta | None = None
    """Only those stamped longer ago than this."""
    all_users: bool = False
    """Everyone's the role may read (an admin: everyone's), not only the user's own."""

    def __post_init__(self) -> None:
        if not self.archived and self.older_than is None:
            raise ValueError("a purge needs --archived, --older-than or both")

    def describe(self, cutoff: datetime | None = None) -> str:
        parts = []
        if self.archived:
            parts.append("archived")
        if self.older_than is not None:
            when = f" (before {cutoff.astimezone(UTC):%Y-%m-%d %H:%M} UTC)" if cutoff is not None else ""
            parts.append(f"older than {describe_age(self.older_than)}{when}")
        parts.append("of every user you may read" if self.all_users else "yours")
        return ", ".join(parts)


@dataclass(frozen=True)
class PurgePlan:
    """What a purge will delete, as the server held it when asked."""

    criteria: PurgeCriteria
    cutoff: datetime | None
    """The moment ``older_than`` reaches back to, fixed for the whole purge."""
    count: int
    oldest: datetime | None
    newest: datetime | None
    last_id: int | None
    """The newest id that matched: rows created later are never purged by this plan (``None``:
    not yet known, while planning)."""

    @property
    def query_filter(self) -> Filter:
        """The criteria as one filter (the cutoff fixed; the id bound of the plan)."""
        parts: list[Filter] = [] if self.last_id is None else [{"id": {"_lte": self.last_id}}]
        if self.criteria.archived:
            parts.append({"status": {"_eq": ARCHIVED}})
        if self.cutoff is not None:
            stamp = self.cutoff.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            parts.append({"timestamp": {"_lt": stamp}})
        return {"_and": parts}

    def query(self, **changes: object) -> Query:
        base = Query(filter=self.query_filter, mine=not self.criteria.all_users, sort=("id",))
        return base.model_copy(update=changes)

    def describe(self) -> str:
        """ "3,000 notifications (archived, older than 90 days (before ...), yours), from 2025-01-02 03:04
        to 2025-08-31 17:00 UTC" — or "No notification is ... " when there is none."""
        what = self.criteria.describe(self.cutoff)
        if not self.count:
            return f"No notification matches ({what}): nothing to delete."
        noun = "notification" if self.count == 1 else "notifications"
        span = ""
        if self.oldest is not None and self.newest is not None:
            span = f", the oldest from {_when(self.oldest)}, the newest from {_when(self.newest)}"
        return f"{self.count:,} {noun} ({what}){span}"


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class PurgeResult:
    """What a purge did: ``deleted`` of the plan's ``planned``, and what stopped it, if anything."""

    planned: int
    deleted: int
    stopped: bulk.Deletion | None = None
    """The chunk the server did not fully delete (its ``failure()`` says why); ``None``: none."""

    @property
    def complete(self) -> bool:
        return self.stopped is None

    def describe(self) -> str:
        noun = "notification" if self.deleted == 1 else "notifications"
        text = f"Deleted {self.deleted:,} {noun}"
        if self.stopped is not None:
            return f"{text} of {self.planned:,}, then stopped: {bulk.describe_deletion(self.stopped)}"
        if self.deleted < self.planned:
            gone = self.planned - self.deleted
            return f"{text} ({gone:,} of the {self.planned:,} planned no longer matched: changed or deleted meanwhile)."
        return f"{text}."


async def plan_purge(backend: InboxBackend, criteria: PurgeCriteria, *, now: datetime | None = None) -> PurgePlan:
    """Ask the server what *criteria* match: the count, the oldest and the newest (three requests).

    Raises ``ForbiddenError`` when the user's role may not delete notifications, before anything
    else is asked; any ``InboxError`` of the server's.
    """
    capabilities = await backend.capabilities()
    if not capabilities.can_delete:
        raise ForbiddenError(
            "Your role may not delete notifications, so it cannot purge them; a Directus admin can.",
            code="FORBIDDEN",
            status=403,
        )
    now = now or datetime.now(UTC)
    cutoff = None if criteria.older_than is None else now - criteria.older_than
    unbounded = PurgePlan(criteria, cutoff, 0, None, None, last_id=None)
    fields = ("id", "timestamp")
    newest_id, oldest, newest = await asyncio.gather(
        backend.list_notifications(unbounded.query(sort=("-id",), limit=1, fields=fields)),
        backend.list_notifications(unbounded.query(sort=("timestamp", "id"), limit=1, fields=fields)),
        backend.list_notifications(unbounded.query(sort=("-timestamp", "-id"), limit=1, fields=fields)),
    )
    if not newest_id.items:
        return PurgePlan(criteria, cutoff, 0, None, None, last_id=0)
    last_id = newest_id.items[0].id
    counted = newest_id.filter_count
    if counted != oldest.filter_count or counted != newest.filter_count:
        # Rows came or went between the three answers: count once more, bounded by the newest id.
        bounded = PurgePlan(criteria, cutoff, 0, None, None, last_id=last_id)
        counted = (await backend.list_notifications(bounded.query(limit=1, fields=("id",)))).filter_count
    return PurgePlan(
        criteria,
        cutoff,
        counted,
        oldest.items[0].timestamp if oldest.items else None,
        newest.items[0].timestamp if newest.items else None,
        last_id=last_id,
    )


async def remaining(backend: InboxBackend, plan: PurgePlan) -> int:
    """How many of what *plan* matches the server still holds (after an interruption, the chunk in
    flight may or may not have been deleted: only the server can tell)."""
    return (await backend.list_notifications(plan.query(limit=1, fields=("id",)))).filter_count


async def run_purge(
    backend: InboxBackend, plan: PurgePlan, *, progress: PurgeProgress | None = None, chunk: int = BATCH_CHUNK
) -> PurgeResult:
    """Delete what *plan* matches, *chunk* at a time (see the module's docstring).

    Cancelling it (ctrl+c) leaves nothing half-done that a new plan would not see. Raises
    ``InboxError`` when a chunk cannot even be listed (the server went away): what was deleted
    before it is what *progress* last reported.
    """
    deleted = 0
    after = 0
    if progress is not None:
        progress(0, plan.count)
    while True:
        page = await backend.list_notifications(
            plan.query(filter={"_and": [plan.query_filter, {"id": {"_gt": after}}]}, limit=chunk, fields=("id",))
        )
        keys = [item.id for item in page.items]
        if not keys:
            return PurgeResult(plan.count, deleted)
        deletion = await bulk.delete(backend, keys)
        deleted += len(deletion.deleted)
        if progress is not None:
            progress(deleted, max(plan.count, deleted))
        if not deletion.complete:
            return PurgeResult(plan.count, deleted, stopped=deletion)
        after = max(keys)
