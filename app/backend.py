"""The one interface every inbox backend implements; the TUI and the CLI speak only to it.

Three implementations: ``app.api.rest.RestBackend`` and ``app.api.graphql.GraphQLBackend`` talk to a
Directus server, ``app.embedded.EmbeddedBackend`` keeps an inbox in a local SQLite file. The
contract tests in ``tests/test_contract.py`` hold all three to the same behaviour.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from app.counts import DayCount, GroupCount, GroupField, LocalDays
from app.errors import (
    AuthenticationError,
    BatchError,
    ForbiddenError,
    InboxError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    ServerError,
    format_keys,
    not_found_or_forbidden,
    still_at_work,
)
from app.models import (
    MAX_PAGE,
    NOTIFICATION_FIELDS,
    BackendInfo,
    Capabilities,
    Notification,
    NotificationChanges,
    NotificationDraft,
    Page,
    Query,
    RoleMembers,
    User,
    user_id_of,
)

BATCH_CHUNK = 500
"""Keys per batch request: small enough for any payload limit, large enough to be few requests."""

Progress = Callable[[int, int], None]
"""Called with (done, total) after each chunk of a batch operation."""


class InboxBackend(abc.ABC):
    """An inbox of notifications and the users they are between. All I/O methods are async."""

    info: BackendInfo

    # --- notifications -------------------------------------------------------------------
    @abc.abstractmethod
    async def list_notifications(self, query: Query) -> Page:
        """One page of notifications matching *query*, with the total and filter counts."""

    @abc.abstractmethod
    async def get(self, notification_id: int) -> Notification:
        """One notification; ``NotFoundError`` when it is missing or not the user's to read."""

    @abc.abstractmethod
    async def create(self, draft: NotificationDraft) -> Notification:
        """Create one notification; the backend fills id, timestamp and status."""

    @abc.abstractmethod
    async def create_many(self, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        """Create several notifications in one request."""

    @abc.abstractmethod
    async def update(self, notification_id: int, changes: NotificationChanges) -> Notification:
        """Change fields of one notification."""

    @abc.abstractmethod
    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        """One batch request: the same change applied to every key."""

    @abc.abstractmethod
    async def delete(self, notification_id: int) -> None:
        """Delete one notification."""

    @abc.abstractmethod
    async def _delete_batch(self, keys: Sequence[int]) -> None:
        """One batch request deleting every key."""

    # --- users and permissions ------------------------------------------------------------
    @abc.abstractmethod
    async def me(self) -> User:
        """The current user."""

    @abc.abstractmethod
    async def users(
        self, *, search: str | None = None, ids: Iterable[str] | None = None, limit: int = 100
    ) -> list[User]:
        """Users the current user may read, by search text or by ids (unknown ids are left out)."""

    @abc.abstractmethod
    async def capabilities(self) -> Capabilities:
        """What the current user may do with notifications."""

    async def role_members(self, role: str) -> RoleMembers:
        """The role named *role* (or with that id) and its members the current user may read.

        ``NotFoundError`` when the user may read no such role; this default, for an inbox without
        roles, is an ``InvalidInputError``.
        """
        raise InvalidInputError(f"This inbox has no roles, so there is no role '{role}' to write to.")

    # --- counts ------------------------------------------------------------------------------
    @abc.abstractmethod
    async def count_by(self, query: Query, field: GroupField, *, limit: int | None = None) -> list[GroupCount]:
        """How many notifications matching *query* (filter, status, ``mine``, search; not its
        paging or sort) have each value of *field*, biggest first (``app.counts.biggest_first``):
        one grouped aggregate. *limit*: only the biggest that many (``None``: every value)."""

    @abc.abstractmethod
    async def count_per_day(self, query: Query, days: LocalDays) -> list[DayCount]:
        """How many notifications matching *query* arrived on each of *days* (local calendar days,
        oldest first, every day present): as few requests as the backend allows (``app.counts``)."""

    async def aclose(self) -> None:  # noqa: B027 - a backend with nothing to release need not override it
        """Release connections and files."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- batch operations, chunked, and what they did -------------------------------------------
    async def update_many(
        self, keys: Sequence[int], changes: NotificationChanges, progress: Progress | None = None
    ) -> list[Notification]:
        """Apply *changes* to every key, in chunks of ``BATCH_CHUNK`` keys; the rows as changed.

        Raises when any key did not end up changed (see ``BatchOutcome.failure``): the first
        failure's own error when nothing changed, else ``BatchError`` naming the keys left.
        """
        outcome = await self.apply_update(keys, changes, progress)
        failure = outcome.failure("update")
        if failure is not None:
            raise failure
        return list(outcome.rows)

    async def delete_many(self, keys: Sequence[int], progress: Progress | None = None) -> None:
        """Delete every key, in chunks; raises as ``update_many`` does when any key is left."""
        failure = (await self.apply_delete(keys, progress)).failure("delete")
        if failure is not None:
            raise failure

    async def apply_update(
        self, keys: Iterable[int], changes: NotificationChanges, progress: Progress | None = None
    ) -> BatchOutcome:
        """Apply *changes* to every key, and tell what the server then holds for each; never raises
        ``InboxError`` (a failure is in the outcome).

        One request per ``BATCH_CHUNK`` keys. When a request's outcome is unknown (a timeout, a
        dropped connection, a server error, an answer of the wrong shape) the server is asked what
        it holds for its keys; when it refuses a chunk because some keys are gone (Directus answers
        403 for the whole batch), the chunk is sent again without them. The first chunk that leaves
        keys unchanged stops the operation: the keys after it are left unchanged, never sent.
        """
        payload = changes.payload()

        def done(held: Notification | None) -> bool:
            return held is not None and holds(held, payload)

        return await _Batch(self, keys, progress, done).run(lambda chunk: self._update_batch(chunk, changes))

    async def apply_delete(self, keys: Iterable[int], progress: Progress | None = None) -> BatchOutcome:
        """Delete every key, and tell what the server then holds; as ``apply_update``.

        A key the server no longer holds counts as deleted: Directus answers a delete of a missing
        id like a delete that happened, so the two cannot be told apart afterwards.
        """

        async def delete(chunk: list[int]) -> None:
            await self._delete_batch(chunk)

        return await _Batch(self, keys, progress, lambda held: held is None).run(delete)

    async def held(self, keys: Iterable[int]) -> dict[int, Notification]:
        """What the server holds for *keys* (those it does not show: gone, or not the user's to see)."""
        wanted = list(dict.fromkeys(int(key) for key in keys))
        found: dict[int, Notification] = {}
        for start in range(0, len(wanted), MAX_PAGE):
            chunk = wanted[start : start + MAX_PAGE]
            page = await self.list_notifications(Query(filter={"id": {"_in": chunk}}, sort=("id",), limit=len(chunk)))
            found.update((item.id, item) for item in page.items if item.id in chunk)
        return found


def holds(row: Notification, payload: dict[str, Any]) -> bool:
    """Whether *row* has every value of a change's *payload* (users compared by id)."""
    for field, value in payload.items():
        current = getattr(row, field, None)
        if NOTIFICATION_FIELDS[field].user_relation:
            current = user_id_of(current)
        if current != value:
            return False
    return True


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch operation did, as the server holds it afterwards.

    Every key asked for is in exactly one of ``done`` (changed as asked, or deleted),
    ``unchanged`` (held, not changed), ``vanished`` (found missing when the server was asked:
    deleted elsewhere, or not the user's to see) and ``unknown`` (the server could not be asked, or
    did not answer in time and may still act). ``error`` is the first failure met, also when asking
    the server then showed that everything had been done (an answer that was lost).
    """

    keys: tuple[int, ...]
    done: tuple[int, ...] = ()
    unchanged: tuple[int, ...] = ()
    vanished: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()
    error: InboxError | None = None
    rows: tuple[Notification, ...] = ()
    """For an update: the rows of ``done`` keys, as the server holds them."""

    @property
    def complete(self) -> bool:
        """Every key was done."""
        return len(self.done) == len(self.keys)

    @property
    def verified(self) -> bool:
        """Every key's fate is known (none is ``unknown``)."""
        return not self.unknown

    def failure(self, verb: str) -> InboxError | None:
        """The error to raise for what was not done (``None`` when everything was); see ``failure_of``."""
        return failure_of(verb, self.keys, self.done, self.vanished, self.error)


def failure_of(
    verb: str, keys: Sequence[int], done: Sequence[int], vanished: Sequence[int], error: InboxError | None
) -> InboxError | None:
    """The one error that says what a batch operation left undone (``None`` when it did it all).

    When nothing was done: the vanished keys' ``NotFoundError`` if that is all that went wrong,
    else the first failure itself, with ``failed_keys`` set. When some keys were done: a
    ``BatchError`` "Could not <verb> N of M notifications: <why>" naming the keys left.
    """
    finished = set(done)
    left = [key for key in keys if key not in finished]
    if not left:
        return None
    if len(vanished) == len(left):
        cause: InboxError = missing_error(vanished)
    elif error is not None:
        cause = error
    else:
        cause = ServerError(f"The server answered that it did {verb} them, but it does not hold them so.")
    if not done:
        cause.failed_keys = left
        return cause
    return BatchError(
        f"Could not {verb} {len(left)} of {len(keys)} notifications", done_keys=done, failed_keys=left, cause=cause
    )


def missing_error(keys: Sequence[int]) -> NotFoundError:
    """The error "not found, or you are not allowed to see it" for one key or several."""
    if len(keys) == 1:
        return not_found_or_forbidden(keys[0])
    return NotFoundError(
        f"Notifications {format_keys(keys)} were not found, or you are not allowed to see them.",
        code="FORBIDDEN",
        status=403,
    )


def refused(error: InboxError) -> bool:
    """Whether *error* means the request changed nothing: the server refused it (Directus refuses a
    batch as a whole, in one transaction), or it never left (no connection)."""
    if isinstance(error, NetworkError):
        return not error.sent
    return isinstance(error, AuthenticationError | ForbiddenError | InvalidInputError)


class _Batch:
    """One batch operation, chunk by chunk, keeping the tally of what each key became."""

    def __init__(
        self,
        backend: InboxBackend,
        keys: Iterable[int],
        progress: Progress | None,
        done: Callable[[Notification | None], bool],
    ) -> None:
        self.backend = backend
        self.keys = list(dict.fromkeys(int(key) for key in keys))
        self.progress = progress
        self.is_done = done
        self.done: set[int] = set()
        self.unchanged: set[int] = set()
        self.vanished: set[int] = set()
        self.unknown: set[int] = set()
        self.rows: dict[int, Notification] = {}
        self.error: InboxError | None = None

    async def run(self, send: Callable[[list[int]], Awaitable[list[Notification] | None]]) -> BatchOutcome:
        for start in range(0, len(self.keys), BATCH_CHUNK):
            chunk = self.keys[start : start + BATCH_CHUNK]
            go_on = await self._chunk(chunk, send)
            if self.progress is not None:
                self.progress(start + len(chunk), len(self.keys))
            if not go_on:
                self.unchanged.update(self.keys[start + BATCH_CHUNK :])  # never sent
                break
        return self._outcome()

    async def _chunk(
        self, pending: list[int], send: Callable[[list[int]], Awaitable[list[Notification] | None]]
    ) -> bool:
        """Send *pending* (again without vanished keys, while the server refuses it for them);
        whether the operation may go on with the next chunk."""
        while pending:
            try:
                rows = await send(pending)
            except InboxError as error:
                self.error = self.error or error
                if refused(error) and not isinstance(error, ForbiddenError):
                    self.unchanged.update(pending)
                    return False
                left = await self._ask(pending, nothing_changed=refused(error), may_still_act=still_at_work(error))
                if left is None:
                    # Refused, so nothing changed; only which keys vanished is not known.
                    (self.unchanged if refused(error) else self.unknown).update(pending)
                    return False
                if any(key in self.unknown for key in pending):
                    return False  # timed out, and the server may still be at work: go no further
                if not left:
                    return True  # the answer was lost, or refused only for keys now gone: all settled
                if isinstance(error, ForbiddenError) and len(left) < len(pending):
                    pending = left  # refused for the keys that vanished: once more without them
                    continue
                self.unchanged.update(left)
                return False
            if rows is None:  # a delete answers nothing: every key went
                self.done.update(pending)
                return True
            asked = set(pending)
            answered = {row.id: row for row in rows if row.id in asked and self.is_done(row)}
            self.done.update(answered)
            self.rows.update(answered)
            unanswered = [key for key in pending if key not in answered]
            if unanswered:
                # Directus skips an admin's keys that do not exist, and answers only what the user may read.
                left = await self._ask(unanswered)
                if left is None:
                    self.unknown.update(unanswered)
                else:
                    self.unchanged.update(left)
            return True
        return True

    async def _ask(
        self, keys: list[int], *, nothing_changed: bool = False, may_still_act: bool = False
    ) -> list[int] | None:
        """Ask the server what it holds for *keys*: file each as done or vanished, and return those
        it holds unchanged (``None`` when it could not be asked). After a request that changed
        nothing (*nothing_changed*) a missing key vanished before it, even for a delete. With
        *may_still_act* (a request that timed out may still be at work) the unchanged ones are
        filed as unknown instead."""
        try:
            held = await self.backend.held(keys)
        except InboxError:
            return None
        left: list[int] = []
        for key in keys:
            row = held.get(key)
            if row is None and (nothing_changed or not self.is_done(None)):
                self.vanished.add(key)
            elif self.is_done(row):
                self.done.add(key)
                if row is not None:
                    self.rows[key] = row
            elif may_still_act:
                self.unknown.add(key)
            else:
                left.append(key)
        return left

    def _outcome(self) -> BatchOutcome:
        def of(keys: set[int]) -> tuple[int, ...]:
            return tuple(key for key in self.keys if key in keys)

        return BatchOutcome(
            keys=tuple(self.keys),
            done=of(self.done),
            unchanged=of(self.unchanged),
            vanished=of(self.vanished),
            unknown=of(self.unknown),
            error=self.error,
            rows=tuple(self.rows[key] for key in self.keys if key in self.rows),
        )
