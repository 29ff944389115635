"""``UnifiedBackend``: the inboxes of several profiles as one ``InboxBackend``.

::

    unified = UnifiedBackend({"work": work_backend, "staging": staging_backend})
    page = await unified.list_notifications(Query.of_folder("inbox"))   # both, merged by time
    page.unreachable        # {"staging": "Cannot reach https://staging…: connection refused."}
    row = page.items[0]     # a UnifiedNotification: .profile, .native_id, .id (unified)
    await bulk.change_status(unified, selection, ARCHIVED)              # split per server
    unified.tally(change.changed)                                       # {"work": 3, "staging": 2}

What it does, beyond what every backend does:

- **ids**: every notification it hands out is a ``UnifiedNotification`` whose ``id`` is unique
  across the servers (``app.unified.ids``: ``native * size + slot``) and which names its
  ``profile``; every id it is given goes back to its own server as that server's id, and so do
  filters on ``id`` (``sorted_before`` of a unified row works as is).
- **lists**: merged in the query's order, counts summed (``Page.profile_counts`` per profile); a
  deep page costs about what a first page does (``app.unified.paging``).
- **actions**: ``get``, ``update``, ``delete`` go to the row's server; a batch (``apply_update``,
  ``apply_delete``, so ``app.bulk``'s verified change, delete and undo) is split per server, each
  part verified by its own server, all at once; the outcome is one, in unified ids, its error
  naming each profile that failed. ``create`` goes to the one server that knows the recipient.
- **faults**: a server that fails, or does not answer within ``patience`` seconds, is left out of
  the listing (its part missing, ``Page.unreachable`` saying why) and not asked again for a while
  (``retry_delays``, growing while it keeps failing), so it does not slow every page; it rejoins
  the first time it answers after that (or at once after ``retry_now``). Only when no server
  answers does a listing raise. Writes are never cut short by ``patience``: their outcome must be
  known.
- ``me`` is the user of the first profile that answers; ``capabilities`` is what the user may do
  on at least one server (a key is usable when some row allows it; the server of a row that does
  not allow it refuses, and the outcome says so); ``capabilities_of(profile)`` is one server's.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from app.backend import BatchOutcome, InboxBackend, Progress
from app.config import profile_labels
from app.counts import DayCount, GroupCount, GroupField, LocalDays, biggest_first
from app.errors import AuthenticationError, InboxError, InvalidInputError, NetworkError, ServerError
from app.models import (
    MAX_PAGE,
    ActionRule,
    BackendInfo,
    Capabilities,
    Notification,
    NotificationChanges,
    NotificationDraft,
    Page,
    Query,
    User,
)
from app.unified.ids import NOTHING, group_by_slot, split_id, translate_filter, unified_id
from app.unified.paging import DIRECT_ROWS, Listing, ListingCost, ListMemory, with_sort_fields

T = TypeVar("T")

DEFAULT_PATIENCE = 5.0
"""Seconds a listing waits for a server before leaving its part out (its own timeout may be longer)."""
RETRY_DELAYS = (1.0, 30.0)
"""First and longest wait before a failed server is asked again by a listing."""


class UnifiedNotification(Notification):
    """A notification of a unified inbox: ``id`` is unified, ``native_id`` is its id on ``profile``'s server."""

    profile: str
    native_id: int

    def to_json(self) -> dict[str, Any]:
        """The CLI's shape (``Notification.to_json``) with the server's own id, and ``"profile"``."""
        data = super().to_json()
        data["id"] = self.native_id
        data["profile"] = self.profile
        return data


@dataclass
class Member:
    """One profile of a unified inbox, and whether it answers."""

    name: str
    label: str
    slot: int
    backend: InboxBackend
    error: InboxError | None = None
    """Why it was left out of the last listing that asked it (``None``: it answered)."""
    since: datetime | None = None
    """When it began failing."""
    failures: int = 0
    retry_at: float = 0.0
    """``time.monotonic()`` before which a listing does not ask it again."""

    @property
    def problem(self) -> str | None:
        return None if self.error is None else self.error.message


@dataclass(frozen=True)
class _TooSlow:
    seconds: float


@dataclass
class _Round:
    """The answers of one round, per member; a member's first failure puts it out of the round."""

    answers: dict[int, Any] = field(default_factory=dict)
    failed: dict[str, InboxError] = field(default_factory=dict)


class UnifiedBackend(InboxBackend):
    """Several profiles' backends as one; see the module's docstring. *backends* in display order."""

    def __init__(
        self,
        backends: Mapping[str, InboxBackend],
        *,
        labels: Mapping[str, str] | None = None,
        patience: float = DEFAULT_PATIENCE,
        retry_delays: tuple[float, float] = RETRY_DELAYS,
        direct_rows: int = DIRECT_ROWS,
    ) -> None:
        if not backends:
            raise ValueError("a unified inbox needs at least one backend")
        names = list(backends)
        chosen = dict(labels) if labels is not None else profile_labels(names)
        self.members: dict[str, Member] = {
            name: Member(name, chosen.get(name, name), slot, backend)
            for slot, (name, backend) in enumerate(backends.items())
        }
        self.size = len(names)
        self.patience = patience
        self.retry_delays = retry_delays
        self.direct_rows = direct_rows
        locations = ", ".join(f"{name} ({member.backend.info.location})" for name, member in self.members.items())
        self.info = BackendInfo(kind="unified", location=locations, public_url=None)
        self.last_listing = ListingCost()
        """What the latest ``list_notifications`` asked of the servers."""
        self._memory = ListMemory()
        self._homes: dict[str, set[str]] = {}
        """Per user id, the profiles whose servers have shown that user."""
        self._rng = random.Random()

    # --- the profiles and their ids --------------------------------------------------------------------
    @property
    def profiles(self) -> list[str]:
        return list(self.members)

    @property
    def labels(self) -> dict[str, str]:
        return {name: member.label for name, member in self.members.items()}

    def member(self, profile: str) -> InboxBackend:
        """The backend of *profile* (to compose on that server, or read its own info)."""
        return self._member(profile).backend

    def _member(self, profile: str) -> Member:
        try:
            return self.members[profile]
        except KeyError:
            raise InvalidInputError(f"There is no profile '{profile}' in this unified inbox.") from None

    def _by_slot(self, slot: int) -> Member:
        return list(self.members.values())[slot]

    def unified_id(self, profile: str, native_id: int) -> int:
        """The unified id of *profile*'s notification *native_id*."""
        return unified_id(native_id, self._member(profile).slot, self.size)

    def locate(self, notification_id: int) -> tuple[str, int]:
        """``(profile, native id)`` of a unified id; ``InvalidInputError`` for what is not one."""
        native, slot = split_id(notification_id, self.size)
        return self._by_slot(slot).name, native

    def backend_for(self, notification_id: int) -> InboxBackend:
        """The backend a unified id belongs to (its ``info.item_url`` makes the row's link)."""
        return self._by_slot(split_id(notification_id, self.size)[1]).backend

    def split(self, keys: Iterable[int]) -> dict[str, list[int]]:
        """Unified *keys* per profile (unified ids, in the order given, without repeats)."""
        grouped: dict[str, list[int]] = {}
        for key in dict.fromkeys(int(key) for key in keys):
            grouped.setdefault(self.locate(key)[0], []).append(key)
        return grouped

    def tally(self, keys: Iterable[int]) -> dict[str, int]:
        """How many of *keys* are on each profile, in the profiles' order (those with none left out)."""
        grouped = self.split(keys)
        return {name: len(grouped[name]) for name in self.members if name in grouped}

    def describe_keys(self, keys: Sequence[int], limit: int = 20) -> str:
        """Unified *keys* as a user reads and writes them: "work:12, staging:7, … 3 more"
        (``app.bulk.describe_status_change(change, keys_text=unified.describe_keys)``)."""
        shown = ", ".join(":".join(map(str, self.locate(key))) for key in keys[:limit])
        return shown + (f", … {len(keys) - limit} more" if len(keys) > limit else "")

    def describe_tally(self, keys: Iterable[int]) -> str:
        """ "3 on work, 2 on staging" (empty for no keys)."""
        return ", ".join(f"{count:,} on {name}" for name, count in self.tally(keys).items())

    # --- which servers answer ---------------------------------------------------------------------------
    @property
    def unreachable(self) -> dict[str, str]:
        """The profiles left out of the latest listings, each with why."""
        return {name: member.error.message for name, member in self.members.items() if member.error is not None}

    def retry_now(self, profile: str | None = None) -> None:
        """Ask *profile* (every failed one with ``None``) again on the next listing, without waiting."""
        for member in self.members.values():
            if profile is None or member.name == profile:
                member.retry_at = 0.0

    def _available(self, member: Member) -> bool:
        return member.error is None or time.monotonic() >= member.retry_at

    def _failed(self, member: Member, error: InboxError) -> None:
        member.error = on_profile(error, member.name)
        member.since = member.since or datetime.now(UTC)
        member.failures += 1
        if isinstance(error, NetworkError | ServerError | AuthenticationError) or error.code == "TOO_SLOW":
            first, longest = self.retry_delays
            ceiling = min(longest, first * 2.0 ** min(member.failures - 1, 32))
            member.retry_at = time.monotonic() + ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        else:
            member.retry_at = 0.0  # refused this request: the next may well be fine

    def _answered(self, member: Member) -> None:
        member.error, member.since, member.failures, member.retry_at = None, None, 0, 0.0

    async def _round(
        self, calls: Sequence[tuple[Member, Callable[[], Awaitable[Any]]]], *, patient: bool = True
    ) -> _Round:
        """Run *calls* at once, each on its member; within ``patience`` unless not *patient*."""
        result = _Round()
        tasks = {index: asyncio.ensure_future(call()) for index, (_, call) in enumerate(calls)}
        if not tasks:
            return result
        timeout = self.patience if patient else None
        try:
            _, pending = await asyncio.wait(tasks.values(), timeout=timeout)
        except BaseException:
            for task in tasks.values():
                task.cancel()
            raise
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for index, task in tasks.items():
            member = calls[index][0]
            if task in pending:
                slow = NetworkError(f"No answer within {self.patience:g} s.", code="TOO_SLOW")
                result.failed.setdefault(member.name, slow)
                continue
            failure = task.exception()
            if isinstance(failure, InboxError):
                result.failed.setdefault(member.name, failure)
            elif failure is not None:
                raise failure
            else:
                result.answers[index] = task.result()
        for index, (member, _) in enumerate(calls):
            if member.name in result.failed:
                result.answers.pop(index, None)
        for member in {id(member): member for member, _ in calls}.values():
            if member.name in result.failed:
                self._failed(member, result.failed[member.name])
            else:
                self._answered(member)
        return result

    # --- notifications: lists -----------------------------------------------------------------------
    def tag(self, profile: str, item: Notification) -> UnifiedNotification:
        """*profile*'s notification *item* (its own id) as this inbox hands it out."""
        return self._tag(self._member(profile), item)

    def _tag(self, member: Member, item: Notification) -> UnifiedNotification:
        values = {name: getattr(item, name) for name in Notification.model_fields}
        values["id"] = unified_id(item.id, member.slot, self.size)
        return UnifiedNotification.model_construct(**values, profile=member.name, native_id=item.id)

    def _native_query(self, member: Member, query: Query) -> Query | None:
        """*query* (ids unified) as *member*'s server takes it; ``None`` when none of its rows can match."""
        translated = translate_filter(query.filter, member.slot, self.size)
        if translated is NOTHING:
            return None
        return query.model_copy(update={"filter": translated})

    async def _ask(self, requests: Sequence[tuple[str, Query]]) -> list[Page | None]:
        calls: list[tuple[Member, Callable[[], Awaitable[Page]]]] = []
        empty: dict[int, Page] = {}
        indices: list[int] = []
        for index, (name, query) in enumerate(requests):
            member = self.members[name]
            native = self._native_query(member, query)
            if native is None:
                empty[index] = Page(items=[], total_count=0, filter_count=0, offset=0, limit=query.limit)
                continue
            calls.append((member, self._listing_call(member, native)))
            indices.append(index)
        done = await self._round(calls)
        pages: list[Page | None] = [None] * len(requests)
        for index, page in empty.items():
            pages[index] = page
        for position, index in enumerate(indices):
            pages[index] = done.answers.get(position)
        failed = set(done.failed)
        return [None if name in failed else page for (name, _), page in zip(requests, pages, strict=True)]

    def _listing_call(self, member: Member, query: Query) -> Callable[[], Awaitable[Page]]:
        async def call() -> Page:
            page = await member.backend.list_notifications(query)
            return page.model_copy(update={"items": [self._tag(member, item) for item in page.items]})

        return call

    async def list_notifications(self, query: Query) -> Page:
        waiting = [name for name, member in self.members.items() if not self._available(member)]
        if len(waiting) == len(self.members):
            self.last_listing = ListingCost()
            raise self._nobody_answered(waiting)  # every server failed a moment ago: say so, as then
        parts: dict[str, Query] = {}
        for name, member in self.members.items():
            if name not in waiting and self._native_query(member, query) is not None:
                parts[name] = with_sort_fields(query)
        asked = set(parts)
        listing = Listing(query, parts, self._ask, self._memory, self.direct_rows)
        merged = await listing.run() if parts else None
        self.last_listing = listing.cost
        answered = set(listing.parts)
        if asked and not answered:
            raise self._nobody_answered(asked)
        unreachable = {
            name: member.error.message
            for name, member in self.members.items()
            if member.error is not None and name not in answered
        }
        in_order = [name for name in self.members if name in answered]
        counts = {name: merged.filter_counts.get(name, 0) for name in in_order} if merged else {}
        return Page(
            items=merged.items if merged else [],
            total_count=sum(merged.total_counts.get(name, 0) for name in answered) if merged else 0,
            filter_count=sum(counts.values()),
            offset=query.effective_offset,
            limit=query.limit,
            unreachable=unreachable,
            profile_counts=counts,
        )

    async def _each_answering(self, query: Query, ask: Callable[[Member, Query], Awaitable[T]]) -> list[T]:
        """*ask* of every server that is not being waited for and whose rows can match *query*;
        the answers of those that answered (none answering at all is the error)."""
        calls: list[tuple[Member, Callable[[], Awaitable[T]]]] = []
        for member in self.members.values():
            native = self._native_query(member, query) if self._available(member) else None
            if native is not None:
                calls.append((member, functools.partial(ask, member, native)))
        if not calls:
            return []
        done = await self._round(calls)
        if not done.answers:
            raise self._nobody_answered([member.name for member, _ in calls])
        return [done.answers[index] for index in sorted(done.answers)]

    async def count_by(self, query: Query, field: GroupField, *, limit: int | None = None) -> list[GroupCount]:
        """Each server's groups, summed by value (a user id is one user everywhere, as in ``users``)."""

        async def ask(member: Member, native: Query) -> list[GroupCount]:
            return await member.backend.count_by(native, field)

        totals: dict[str | None, int] = {}
        for groups in await self._each_answering(query, ask):
            for group in groups:
                totals[group.value] = totals.get(group.value, 0) + group.count
        ranked = biggest_first(GroupCount(value, count) for value, count in totals.items())
        return ranked if limit is None else ranked[:limit]

    async def count_per_day(self, query: Query, days: LocalDays) -> list[DayCount]:
        """Each server's count per day, summed."""

        async def ask(member: Member, native: Query) -> list[DayCount]:
            return await member.backend.count_per_day(native, days)

        totals: dict[date, int] = dict.fromkeys(days.dates, 0)
        for counts in await self._each_answering(query, ask):
            for day in counts:
                totals[day.day] = totals.get(day.day, 0) + day.count
        return [DayCount(day, count) for day, count in sorted(totals.items())]

    def _nobody_answered(self, asked: Iterable[str]) -> InboxError:
        errors = [self.members[name].error for name in asked if self.members[name].error is not None]
        return combined_error([error for error in errors if error is not None]) or NetworkError(
            "No server of the unified inbox answered."
        )

    async def held(self, keys: Iterable[int]) -> dict[int, Notification]:
        found: dict[int, Notification] = {}
        groups = self._groups(keys)
        calls = [(member, self._held_call(member, natives)) for member, natives in groups]
        done = await self._round(calls, patient=False)
        if done.failed:
            raise combined_error([on_profile(error, name) for name, error in done.failed.items()])
        for rows in done.answers.values():
            found.update(rows)
        return found

    def _held_call(self, member: Member, natives: list[int]) -> Callable[[], Awaitable[dict[int, Notification]]]:
        async def call() -> dict[int, Notification]:
            rows = await member.backend.held(natives)
            return {self._tag(member, row).id: self._tag(member, row) for row in rows.values()}

        return call

    def _groups(self, keys: Iterable[int]) -> list[tuple[Member, list[int]]]:
        valid: list[int] = []
        for key in keys:
            try:
                split_id(key, self.size)
            except InvalidInputError:
                continue
            valid.append(int(key))
        return [(self._by_slot(slot), natives) for slot, natives in group_by_slot(valid, self.size).items()]

    # --- notifications: one at a time --------------------------------------------------------------
    async def _on(self, notification_id: int, action: Callable[[Member, int], Awaitable[T]]) -> T:
        native, slot = split_id(notification_id, self.size)
        member = self._by_slot(slot)
        try:
            return await action(member, native)
        except InboxError as error:
            raise on_profile(error, member.name) from error

    async def get(self, notification_id: int) -> Notification:
        async def get(member: Member, native: int) -> Notification:
            return self._tag(member, await member.backend.get(native))

        return await self._on(notification_id, get)

    async def update(self, notification_id: int, changes: NotificationChanges) -> Notification:
        async def update(member: Member, native: int) -> Notification:
            return self._tag(member, await member.backend.update(native, changes))

        return await self._on(notification_id, update)

    async def delete(self, notification_id: int) -> None:
        async def delete(member: Member, native: int) -> None:
            await member.backend.delete(native)

        await self._on(notification_id, delete)

    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        rows: list[Notification] = []
        for member, natives in self._groups(keys):
            try:
                rows += [self._tag(member, row) for row in await member.backend._update_batch(natives, changes)]
            except InboxError as error:
                raise on_profile(error, member.name) from error
        return rows

    async def _delete_batch(self, keys: Sequence[int]) -> None:
        for member, natives in self._groups(keys):
            try:
                await member.backend._delete_batch(natives)
            except InboxError as error:
                raise on_profile(error, member.name) from error

    # --- batches, split per server ---------------------------------------------------------------------
    async def apply_update(
        self, keys: Iterable[int], changes: NotificationChanges, progress: Progress | None = None
    ) -> BatchOutcome:
        """Each server's part with that server's ``apply_update``, all at once; one outcome."""
        return await self._apply(
            keys, progress, lambda member, natives, part: member.backend.apply_update(natives, changes, part)
        )

    async def apply_delete(self, keys: Iterable[int], progress: Progress | None = None) -> BatchOutcome:
        """Each server's part with that server's ``apply_delete``, all at once; one outcome."""
        return await self._apply(
            keys, progress, lambda member, natives, part: member.backend.apply_delete(natives, part)
        )

    async def _apply(
        self,
        keys: Iterable[int],
        progress: Progress | None,
        operation: Callable[[Member, list[int], Progress], Awaitable[BatchOutcome]],
    ) -> BatchOutcome:
        wanted = list(dict.fromkeys(int(key) for key in keys))
        groups = self._groups(wanted)
        grouped = {unified_id(native, member.slot, self.size) for member, natives in groups for native in natives}
        invalid = tuple(key for key in wanted if key not in grouped)
        done_so_far: dict[str, int] = {}

        def part(member: Member) -> Progress:
            def report(done: int, _total: int) -> None:
                done_so_far[member.name] = done
                if progress is not None:
                    progress(sum(done_so_far.values()), len(wanted))

            return report

        outcomes = await asyncio.gather(*(operation(member, natives, part(member)) for member, natives in groups))

        def unified(member: Member, natives: Iterable[int]) -> tuple[int, ...]:
            return tuple(unified_id(native, member.slot, self.size) for native in natives)

        pairs = [(member, outcome) for (member, _), outcome in zip(groups, outcomes, strict=True)]
        errors = [on_profile(outcome.error, member.name) for member, outcome in pairs if outcome.error is not None]
        return BatchOutcome(
            keys=tuple(wanted),
            done=tuple(key for member, outcome in pairs for key in unified(member, outcome.done)),
            unchanged=tuple(key for member, outcome in pairs for key in unified(member, outcome.unchanged)),
            vanished=tuple(key for member, outcome in pairs for key in unified(member, outcome.vanished)) + invalid,
            unknown=tuple(key for member, outcome in pairs for key in unified(member, outcome.unknown)),
            error=combined_error(errors) if errors else None,
            rows=tuple(self._tag(member, row) for member, outcome in pairs for row in outcome.rows),
        )

    # --- creating -------------------------------------------------------------------------------------
    async def create(self, draft: NotificationDraft) -> Notification:
        return (await self.create_many([draft]))[0]

    async def create_many(self, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        """One batch on the one server that has every recipient; ``InvalidInputError`` when the
        recipients are on different servers (one batch each could half succeed) or on none."""
        if not drafts:
            return []
        homes = [await self._home_of(draft.recipient) for draft in drafts]
        if len(set(homes)) > 1:
            raise InvalidInputError(
                f"The recipients are on different servers ({', '.join(dict.fromkeys(homes))}). "
                "Send to each server's users separately."
            )
        member = self.members[homes[0]]
        try:
            created = await member.backend.create_many(drafts)
        except InboxError as error:
            raise on_profile(error, member.name) from error
        return [self._tag(member, row) for row in created]

    async def _home_of(self, user_id: str) -> str:
        known = self._homes.get(user_id)
        if known is None:
            calls = [(member, self._users_call(member, None, [user_id], 1)) for member in self.members.values()]
            await self._round(calls)
            known = self._homes.get(user_id, set())
        if len(known) == 1:
            return next(iter(known))
        if not known:
            raise InvalidInputError(f"No server of the unified inbox has the user {user_id}, or none answered.")
        names = ", ".join(name for name in self.members if name in known)
        raise InvalidInputError(
            f"The user {user_id} is on several servers ({names}). Send from one profile (open it alone)."
        )

    # --- users and permissions ---------------------------------------------------------------------------
    def _users_call(
        self, member: Member, search: str | None, ids: list[str] | None, limit: int
    ) -> Callable[[], Awaitable[list[User]]]:
        async def call() -> list[User]:
            users = await member.backend.users(search=search, ids=ids, limit=limit)
            for user in users:
                self._homes.setdefault(user.id, set()).add(member.name)
            return users

        return call

    async def users(
        self, *, search: str | None = None, ids: Iterable[str] | None = None, limit: int = MAX_PAGE
    ) -> list[User]:
        """Users of every server that answers (each once: the same id on two servers is one user)."""
        wanted = None if ids is None else sorted(set(ids))
        calls = [
            (member, self._users_call(member, search, wanted, limit))
            for member in self.members.values()
            if self._available(member)
        ]
        done = await self._round(calls)
        if calls and not done.answers:
            raise combined_error([on_profile(error, name) for name, error in done.failed.items()])
        unique: dict[str, User] = {}
        for index in sorted(done.answers):
            for user in done.answers[index]:
                unique.setdefault(user.id, user)
        return list(unique.values())[: limit if ids is None else None]

    async def me(self) -> User:
        """The user of the first profile (in order) whose server answers."""
        errors: list[InboxError] = []
        for member in self.members.values():
            try:
                return await member.backend.me()
            except InboxError as error:
                errors.append(on_profile(error, member.name))
        raise combined_error(errors)

    async def identities(self) -> dict[str, User | InboxError]:
        """Who the user is on each profile's server (or why that could not be told)."""
        calls = [(member, member.backend.me) for member in self.members.values()]
        done = await self._round(calls)
        result: dict[str, User | InboxError] = {}
        for index, (member, _) in enumerate(calls):
            answer = done.answers.get(index)
            result[member.name] = answer if answer is not None else on_profile(done.failed[member.name], member.name)
        return result

    async def capabilities_of(self, profile: str) -> Capabilities:
        member = self._member(profile)
        try:
            return await member.backend.capabilities()
        except InboxError as error:
            raise on_profile(error, member.name) from error

    async def capabilities(self) -> Capabilities:
        """What the user may do on at least one server that answers (see the module's docstring)."""
        calls = [(member, member.backend.capabilities) for member in self.members.values()]
        done = await self._round(calls)
        if not done.answers:
            raise combined_error([on_profile(error, name) for name, error in done.failed.items()])
        return union(list(done.answers.values()))

    async def aclose(self) -> None:
        await asyncio.gather(*(member.backend.aclose() for member in self.members.values()), return_exceptions=True)


# --- helpers ------------------------------------------------------------------------------------------

_ACCESS_ORDER = {"none": 0, "partial": 1, "full": 2}


def union(all_capabilities: Sequence[Capabilities]) -> Capabilities:
    """What at least one of *all_capabilities* allows, rule by rule."""

    def widest(rules: list[ActionRule]) -> ActionRule:
        best = max(rules, key=lambda rule: _ACCESS_ORDER[rule.access])
        fields = tuple(dict.fromkeys(name for rule in rules if rule.allowed for name in rule.fields))
        return ActionRule(access=best.access, fields=fields)

    return Capabilities(
        read=widest([c.read for c in all_capabilities]),
        create=widest([c.create for c in all_capabilities]),
        update=widest([c.update for c in all_capabilities]),
        delete=widest([c.delete for c in all_capabilities]),
        read_users=widest([c.read_users for c in all_capabilities]),
        admin=any(c.admin for c in all_capabilities),
    )


def on_profile(error: InboxError, profile: str) -> InboxError:
    """*error*, of the same kind, its message beginning with the profile it happened on."""
    prefix = f"{profile}: "
    if error.message.startswith(prefix):
        return error
    named = copy.copy(error)
    named.message = prefix + error.message
    named.args = (named.message,)
    return named


def combined_error(errors: Sequence[InboxError]) -> InboxError:
    """One error for several servers' failures: the first's kind, every message in it."""
    if not errors:
        return NetworkError("No server of the unified inbox answered.")
    if len(errors) == 1:
        return errors[0]
    combined = copy.copy(errors[0])
    combined.message = "; ".join(error.message for error in errors)
    combined.args = (combined.message,)
    return combined
