"""Following a unified inbox: one ``LiveInbox`` per server, their batches merged into one stream.

::

    async with UnifiedLive(unified, known_ids=shown_ids) as live:
        async for batch in live.batches():      # UnifiedLiveBatch, a LiveBatch in unified ids
            ...

Each server is followed as it would be alone — its own WebSocket or polling, reconnects and
reconciliations — so one server down or slow changes nothing for the others. A batch is what any
of them reported, gathered while the stream settles: notifications as ``UnifiedNotification``
(unified ids, their profile named), deleted ids unified, the counts summed (``profile_counts``
per profile) and, when any server's connection changed, every server's (``connections``).

``connection`` is the *weakest* server's state — offline if any is, then connecting, polling, and
live only when all are — with the profiles concerned named in its reason ("staging: the server
cannot be reached"). So a view that reloads its lists when the inbox comes back from offline
does so when a server rejoins: its rows were missing from the merge while it was away. A
server's return also tells the ``UnifiedBackend`` to ask it again at once (``retry_now``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.live.changes import ConnectionState, FolderCounts, LiveBatch, Mode
from app.live.inbox import LiveInbox
from app.unified.backend import UnifiedBackend
from app.unified.ids import split_id

WEAKEST_FIRST: tuple[Mode, ...] = ("offline", "connecting", "polling", "live")


@dataclass(frozen=True)
class UnifiedLiveBatch(LiveBatch):
    """A ``LiveBatch`` of a unified inbox (see the module's docstring)."""

    connections: Mapping[str, ConnectionState] = field(default_factory=dict)
    """Every profile's connection, when any of them changed in this batch (else empty)."""
    profile_counts: Mapping[str, FolderCounts] = field(default_factory=dict)
    """Every profile's counts known so far, when any of them changed in this batch (else empty)."""


class UnifiedLive:
    """Follows every profile of *unified*; the options are ``LiveInbox``'s, for each server.

    *known_ids*: the unified ids the caller shows; per server the newest of them is the mark after
    which notifications are reported as created in the first batch (``LiveInbox.newest_known_id``).
    """

    def __init__(
        self,
        unified: UnifiedBackend,
        *,
        known_ids: Iterable[int] | None = None,
        poll_interval: float | None = None,
        realtime: bool = True,
        **options: Any,
    ) -> None:
        self.unified = unified
        newest: dict[int, int] = {}
        for key in known_ids or ():
            native, slot = split_id(key, unified.size)
            newest[slot] = max(native, newest.get(slot, 0))
        self.lives: dict[str, LiveInbox] = {
            name: LiveInbox(
                member.backend,
                poll_interval=poll_interval,
                realtime=realtime,
                newest_known_id=newest.get(member.slot),
                **options,
            )
            for name, member in unified.members.items()
        }
        self.states: dict[str, ConnectionState] = {name: live.state for name, live in self.lives.items()}
        self.profile_counts: dict[str, FolderCounts] = {}
        self.state = combined_state(self.states)
        self.counts: FolderCounts | None = None
        self._queue: asyncio.Queue[tuple[str, LiveBatch]] = asyncio.Queue()
        self._pumps: list[asyncio.Task[None]] = []
        self._entered: list[LiveInbox] = []

    def reconcile_soon(self, profile: str | None = None) -> None:
        """Ask *profile*'s server (every server with ``None``) now what changed."""
        for name, live in self.lives.items():
            if profile is None or name == profile:
                live.reconcile_soon()

    async def __aenter__(self) -> UnifiedLive:
        try:
            for live in self.lives.values():
                await live.__aenter__()
                self._entered.append(live)
        except BaseException:
            await self.aclose()
            raise
        self._pumps = [
            asyncio.create_task(self._pump(name, live), name=f"live-{name}") for name, live in self.lives.items()
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        pumps, self._pumps = self._pumps, []
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        entered, self._entered = self._entered, []
        await asyncio.gather(*(live.aclose() for live in entered), return_exceptions=True)

    async def _pump(self, name: str, live: LiveInbox) -> None:
        async for batch in live.batches():
            self._queue.put_nowait((name, batch))

    async def batches(self) -> AsyncIterator[UnifiedLiveBatch]:
        """Batches as the servers report them (whatever is waiting is merged into one)."""
        if not self._pumps:
            raise RuntimeError("enter the UnifiedLive first: async with UnifiedLive(unified) as live")
        while True:
            waiter = asyncio.ensure_future(self._queue.get())
            try:
                await asyncio.wait([waiter, *self._pumps], return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not waiter.done():
                    waiter.cancel()
            for task in self._pumps:
                if task.done():
                    task.result()  # a bug in a server's live inbox: raise it here, to the consumer
                    raise RuntimeError(f"the live inbox of {task.get_name()} stopped")
            reports = [waiter.result()]
            while not self._queue.empty():
                reports.append(self._queue.get_nowait())
            batch = self._merge(reports)
            if batch:
                yield batch

    def _merge(self, reports: list[tuple[str, LiveBatch]]) -> UnifiedLiveBatch:
        created: dict[int, Any] = {}
        updated: dict[int, Any] = {}
        deleted: set[int] = set()
        counts_changed = connection_changed = False
        for name, batch in reports:
            for item in batch.created:
                tagged = self.unified.tag(name, item)
                deleted.discard(tagged.id)
                updated.pop(tagged.id, None)
                created[tagged.id] = tagged
            for item in batch.updated:
                tagged = self.unified.tag(name, item)
                (created if tagged.id in created else updated)[tagged.id] = tagged
            for native in batch.deleted:
                key = self.unified.unified_id(name, native)
                created.pop(key, None)
                updated.pop(key, None)
                deleted.add(key)
            if batch.counts is not None:
                self.profile_counts[name] = batch.counts
                counts_changed = True
            if batch.connection is not None:
                was = self.states[name].mode
                self.states[name] = batch.connection
                connection_changed = True
                if was == "offline" and batch.connection.mode in ("live", "polling"):
                    self.unified.retry_now(name)
        counts: FolderCounts | None = None
        if counts_changed:
            counts = FolderCounts(
                inbox=sum(c.inbox for c in self.profile_counts.values()),
                archived=sum(c.archived for c in self.profile_counts.values()),
            )
            if counts == self.counts:
                counts = None
            else:
                self.counts = counts
        connection: ConnectionState | None = None
        if connection_changed:
            state = combined_state(self.states, self.state)
            if (state.mode, state.reason) != (self.state.mode, self.state.reason):
                self.state = connection = state
        order = sorted(created.values(), key=lambda item: item.timestamp or datetime.min.replace(tzinfo=UTC))
        return UnifiedLiveBatch(
            created=tuple(order),
            updated=tuple(updated[key] for key in sorted(updated)),
            deleted=frozenset(deleted),
            counts=counts,
            connection=connection,
            connections=dict(self.states) if connection_changed else {},
            profile_counts=dict(self.profile_counts) if counts_changed else {},
        )


def combined_state(states: Mapping[str, ConnectionState], previous: ConnectionState | None = None) -> ConnectionState:
    """The weakest of *states*, its reason naming each profile in that state (see the module)."""
    mode = min((state.mode for state in states.values()), key=WEAKEST_FIRST.index)
    concerned = [(name, state) for name, state in states.items() if state.mode == mode]
    reason = None
    if mode != "live":
        reason = "; ".join(f"{name}: {state.reason}" if state.reason else name for name, state in concerned)
    since = previous.since if previous is not None and previous.mode == mode else datetime.now(UTC)
    intervals = [state.poll_interval for _, state in concerned if state.poll_interval]
    return ConnectionState(mode, since, reason, min(intervals) if intervals else None)
