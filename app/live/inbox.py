"""The live inbox: the current user's notifications followed as they change, on every backend.

::

    async with LiveInbox(backend) as live:
        async for batch in live.batches():
            ...

``batches()`` yields ``LiveBatch``: what was created, updated and deleted, the per-tab counts and
the connection state, coalesced (a burst of 1,000 creates arrives as a few batches). A Textual
app runs this in a worker and posts one message per batch; leaving the ``async with`` (or
cancelling the worker) closes the socket and stops the timers. ``directus-inbox watch`` prints
the ``created`` part.

How nothing is missed, whatever the server does:

- On a Directus server with WebSockets on, a ``RealtimeSession`` brings events within a second.
  The socket is reopened with exponential backoff and jitter when it drops.
- The server does not promise that every change has an event (Flows with "emit events" off,
  subscriptions that go silent after ``init``, changes while the socket was down, while the token
  was being renewed). So the inbox *reconciles*: after every (re)connect and every
  ``poll_interval`` seconds it asks one cheap question (``Probe.summary``: per status, the count,
  the sum of the ids and the newest id) and compares it with what it holds (``Mirror``: every id
  of the user's notifications with its status — ids, not rows). When they agree, that was all.
  A newer id: it fetches the notifications after the newest it knows. A count or sum that still
  differs (an archive or a delete that no event told): it lists ids and statuses and fetches
  only the rows that changed.
- Without a socket (WebSockets off or refused, or the embedded inbox) the same reconciliation on
  the timer is the polling: never a page reload.

Everything the inbox learns goes through one queue and one task (``_engine``), so an event and a
reconciliation never interleave halfway.

(Past 500 lines for that reason: the connection, the reconciliation and the polling share that
one engine and its state, and split apart they would have to share it by hand.)
"""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from array import array
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from websockets.exceptions import ConnectionClosed

from app.api import DirectusBackend
from app.api.client import DirectusClient
from app.backend import InboxBackend
from app.errors import AuthenticationError, ForbiddenError, InboxError, NetworkError
from app.live.changes import BatchBuilder, ConnectionState, FolderCounts, LiveBatch, Mode
from app.live.probe import Probe, probe_for
from app.live.realtime import (
    KEEPALIVE,
    ConnectionLost,
    MissedEvents,
    RealtimeSession,
    RealtimeUnavailable,
    ServerPing,
    SocketEvent,
)
from app.models import ARCHIVED, MAX_PAGE, Notification, Query

DEFAULT_POLL_INTERVAL = 30.0
"""Seconds between reconciliations with a Directus server (the only updates when it has no socket)."""
EMBEDDED_POLL_INTERVAL = 1.0
"""Seconds between looks at the embedded inbox's file: a look is one ``PRAGMA data_version``."""
RECONNECT_DELAYS = (1.0, 30.0)
"""First and longest wait before reopening a dropped socket (or asking an unreachable server again)."""
REFUSED_RETRY = 300.0
"""Seconds before trying the socket again on a server that refused it (WebSockets may be turned on)."""
SETTLE = 0.05
"""A batch is handed out once the stream has been quiet this long ..."""
MAX_BATCH_DELAY = 0.25
"""... or when its oldest change has waited this long, so a steady burst still shows up."""

SocketStatus = Literal["idle", "connecting", "open", "down", "refused"]


class Mirror:
    """Every id of the current user's notifications with its status, and per-status totals.

    Compact, as it holds the whole inbox (100,000 ids is 1.2 MB here, where a dict of ids to
    status strings took 12 MB): the ids in a sorted ``array`` beside, per id, the number of its
    status in ``_names`` (Directus takes any text as a status, so there is no fixed list). New
    notifications have the highest ids, so they are appended.
    """

    def __init__(self, statuses: Mapping[int, str]) -> None:
        self._ids = array("q")
        self._codes = array("I")
        self._names: list[str] = []
        self._code_of: dict[str, int] = {}
        self._totals: dict[str, list[int]] = {}
        for key in sorted(statuses):
            self._ids.append(key)
            self._codes.append(self._code(statuses[key]))
            self._count(statuses[key], key, +1)

    def _code(self, status: str) -> int:
        code = self._code_of.get(status)
        if code is None:
            code = self._code_of[status] = len(self._names)
            self._names.append(status)
        return code

    def _index(self, key: int) -> int | None:
        index = bisect.bisect_left(self._ids, key)
        return index if index < len(self._ids) and self._ids[index] == key else None

    def __contains__(self, key: int) -> bool:
        return self._index(key) is not None

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> list[int]:
        return self._ids.tolist()

    def get(self, key: int) -> str | None:
        index = self._index(key)
        return None if index is None else self._names[self._codes[index]]

    def set(self, key: int, status: str) -> None:
        index = bisect.bisect_left(self._ids, key)
        if index < len(self._ids) and self._ids[index] == key:
            old = self._names[self._codes[index]]
            if old == status:
                return
            self._count(old, key, -1)
            self._codes[index] = self._code(status)
        else:
            self._ids.insert(index, key)
            self._codes.insert(index, self._code(status))
        self._count(status, key, +1)

    def discard(self, key: int) -> bool:
        index = self._index(key)
        if index is None:
            return False
        self._count(self._names[self._codes[index]], key, -1)
        del self._ids[index]
        del self._codes[index]
        return True

    def _count(self, status: str, key: int, sign: int) -> None:
        totals = self._totals.setdefault(status, [0, 0])
        totals[0] += sign
        totals[1] += sign * key
        if not totals[0]:
            del self._totals[status]

    def fingerprint(self) -> dict[str, tuple[int, int]]:
        """Per status, the count and the sum of the ids: as ``Summary.fingerprint``."""
        return {status: (count, total) for status, (count, total) in self._totals.items()}

    def folder_counts(self) -> FolderCounts:
        archived = self._totals.get(ARCHIVED, [0, 0])[0]
        return FolderCounts(inbox=len(self._ids) - archived, archived=archived)


@dataclass
class LiveStats:
    """What the live inbox did, for tests and measurements."""

    connections: int = 0
    """Sockets opened and subscribed (the first, then every reconnect)."""
    socket_events: int = 0
    server_pings: int = 0
    """Heartbeats of the server answered on the socket."""
    reauthentications: int = 0
    """Tokens renewed on an open socket after the server said TOKEN_EXPIRED."""
    reconciliations: int = 0
    listings: int = 0
    """Reconciliations that had to list ids and statuses (the probe disagreed and no newer id explained it)."""
    fetched_rows: int = 0
    batches: int = 0


@dataclass(frozen=True)
class _Reconcile:
    requested: float


@dataclass(frozen=True)
class _Socket:
    status: SocketStatus
    reason: str | None = None


_Input = SocketEvent | MissedEvents | ServerPing | _Reconcile | _Socket


class _ClientTokens:
    """The backend's own sign-in, lent to the socket (login mode renews through it)."""

    def __init__(self, client: DirectusClient) -> None:
        self._client = client

    async def access_token(self) -> str:
        return await self._client.auth.access_token(self._client)

    async def renew(self) -> bool:
        return await self._client.auth.renew(self._client)


def backoff_delay(attempt: int, delays: tuple[float, float], rng: random.Random) -> float:
    """Exponential backoff with jitter: between half and all of ``first * 2**attempt``, capped."""
    first, longest = delays
    ceiling = min(longest, first * 2.0 ** min(attempt, 32))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def _unreachable_reason(error: Exception) -> str:
    if isinstance(error, NetworkError):
        return "the server cannot be reached"
    if isinstance(error, AuthenticationError):
        return "the server does not accept the credentials"
    if isinstance(error, ForbiddenError):
        return "the server does not let this user read notifications"
    if isinstance(error, InboxError):
        return "the server fails to answer"
    return "the server's answer could not be read"


class LiveInbox:
    """Follows the current user's notifications on *backend*; see the module's docstring.

    *poll_interval*: seconds between reconciliations (``DEFAULT_POLL_INTERVAL`` for a server,
    ``EMBEDDED_POLL_INTERVAL`` for the embedded file when ``None``). *realtime*: open a socket
    when the server has one (False: poll only). *newest_known_id*: the newest id the caller has
    shown; anything newer is reported as created in the first batch (otherwise the first
    reconciliation only takes stock, and reports counts and the connection). *reconnect_delays*:
    first and longest wait between attempts to reach the server again. *keepalive*: seconds of
    silence on the socket before it is pinged, and then given to answer. *settle* and
    *max_batch_delay*: a batch is handed out when no change came for *settle* seconds, or when
    its oldest change is *max_batch_delay* old.
    """

    def __init__(
        self,
        backend: InboxBackend,
        *,
        poll_interval: float | None = None,
        realtime: bool = True,
        newest_known_id: int | None = None,
        reconnect_delays: tuple[float, float] = RECONNECT_DELAYS,
        keepalive: float = KEEPALIVE,
        settle: float = SETTLE,
        max_batch_delay: float = MAX_BATCH_DELAY,
    ) -> None:
        self.backend = backend
        server = isinstance(backend, DirectusBackend)
        if poll_interval is None:
            poll_interval = DEFAULT_POLL_INTERVAL if server else EMBEDDED_POLL_INTERVAL
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self.poll_interval = poll_interval
        self._client = backend.client if isinstance(backend, DirectusBackend) and realtime else None
        self.reconnect_delays = reconnect_delays
        self.keepalive = keepalive
        self.settle = settle
        self.max_batch_delay = max_batch_delay
        self.stats = LiveStats()
        self.state = ConnectionState("connecting", datetime.now(UTC), None, poll_interval)
        """The current connection state (also reported in the batch where it changed)."""
        self.counts: FolderCounts | None = None
        """The current per-tab counts (also reported in the batch where they changed)."""

        self._newest_known_id = newest_known_id
        self._me: str | None = None
        self._probe: Probe | None = None
        self._mirror: Mirror | None = None
        self._watermark = 0
        """The newest id ever held: a reconciliation asks only for notifications after it."""
        self._socket: SocketStatus = "idle" if self._client is not None else "refused"
        self._socket_reason: str | None = None if self._client is not None else self._no_socket_reason()
        self._probe_error: str | None = None
        self._probe_failures = 0
        self._last_reconcile = -1.0
        self._inputs: asyncio.Queue[_Input] = asyncio.Queue()
        self._builder = BatchBuilder()
        self._changed = asyncio.Event()
        self._baseline = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._rng = random.Random()
        self._started = False

    def _no_socket_reason(self) -> str:
        if self.backend.info.is_embedded:
            return "the embedded inbox is watched on disk"
        return "WebSockets are not used"

    # --- the public surface -----------------------------------------------------------------------
    def reconcile_soon(self) -> None:
        """Ask the server now what changed (for a refresh key, or after the caller's own changes)."""
        self._inputs.put_nowait(_Reconcile(time.monotonic()))

    async def __aenter__(self) -> LiveInbox:
        if self._started:
            raise RuntimeError("a LiveInbox runs once; make another")
        self._started = True
        self.reconcile_soon()
        self._tasks = [asyncio.create_task(self._engine(), name="live-engine")]
        self._tasks.append(asyncio.create_task(self._timer(), name="live-timer"))
        if self._client is not None:
            self._tasks.append(asyncio.create_task(self._follow_socket(self._client), name="live-socket"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the socket, stop the timers and release the probe."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._probe is not None:
            await self._probe.aclose()
            self._probe = None

    async def batches(self) -> AsyncIterator[LiveBatch]:
        """Batches of changes as they settle, for as long as the caller iterates.

        Raises only for a bug: what the server does (refuses, drops, answers nonsense) becomes a
        ``ConnectionState``.
        """
        if not self._tasks:
            raise RuntimeError("enter the LiveInbox first: async with LiveInbox(backend) as live")
        while True:
            await self._next_change()
            await self._settle()
            batch = self._builder.take()
            self._changed.clear()
            if batch:
                self.stats.batches += 1
                yield batch

    # --- output ------------------------------------------------------------------------------------
    async def _next_change(self) -> None:
        while not self._builder:
            waiter = asyncio.ensure_future(self._changed.wait())
            try:
                await asyncio.wait([waiter, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            for task in self._tasks:
                if task.done():
                    task.result()  # a bug in a task: raise it here, to the consumer
                    raise RuntimeError(f"the live inbox's {task.get_name()} stopped")

    async def _settle(self) -> None:
        while True:
            first, last = self._builder.first_change, self._builder.last_change
            if first is None or last is None:
                return
            now = time.monotonic()
            wait = min(self.settle - (now - last), self.max_batch_delay - (now - first))
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    # --- inputs --------------------------------------------------------------------------------------
    async def _timer(self) -> None:
        while True:
            if self._probe_error is None:
                delay = self.poll_interval
            else:
                delay = min(self.poll_interval, backoff_delay(self._probe_failures, self.reconnect_delays, self._rng))
            await asyncio.sleep(delay)
            self.reconcile_soon()

    async def _follow_socket(self, client: DirectusClient) -> None:
        await self._baseline.wait()
        tokens = _ClientTokens(client)
        failures = 0
        while True:
            self._inputs.put_nowait(_Socket("connecting"))
            try:
                session = await RealtimeSession.open(client.url, tokens, keepalive=self.keepalive, tls=client.tls)
            except RealtimeUnavailable as error:
                self._inputs.put_nowait(_Socket("refused", str(error)))
                await asyncio.sleep(REFUSED_RETRY)
                continue
            except ConnectionLost:
                self._inputs.put_nowait(_Socket("down", "reconnecting to the server's WebSocket"))
                await asyncio.sleep(backoff_delay(failures, self.reconnect_delays, self._rng))
                failures += 1
                continue
            failures = 0
            self._inputs.put_nowait(_Socket("open"))
            refused: str | None = None
            try:
                async for message in session.events():
                    self._inputs.put_nowait(message)
            except (ConnectionLost, ConnectionClosed, OSError):
                pass
            except RealtimeUnavailable as error:
                refused = str(error)
            finally:
                await session.aclose()
            if refused is not None:
                self._inputs.put_nowait(_Socket("refused", refused))
                await asyncio.sleep(REFUSED_RETRY)
            else:
                self._inputs.put_nowait(_Socket("down", "reconnecting to the server's WebSocket"))
                await asyncio.sleep(backoff_delay(0, self.reconnect_delays, self._rng))

    # --- the engine: one input at a time ----------------------------------------------------------
    async def _engine(self) -> None:
        while True:
            item = await self._inputs.get()
            if isinstance(item, SocketEvent):
                self.stats.socket_events += 1
                self._apply_event(item)
            elif isinstance(item, ServerPing):
                self.stats.server_pings += 1
            elif isinstance(item, MissedEvents):
                if item.reason == "reauthenticated":
                    self.stats.reauthentications += 1
                self.reconcile_soon()
            elif isinstance(item, _Socket):
                if self._socket_changed(item):
                    # At once, before the new state is told: whether the server still answers decides
                    # between polling and offline, and events may have been missed.
                    await self._reconcile()
            elif item.requested >= self._last_reconcile:
                await self._reconcile()
            self._publish()

    def _socket_changed(self, item: _Socket) -> bool:
        """Take the socket's new status; True when it just opened or closed (time to reconcile)."""
        was_open = self._socket == "open"
        self._socket = item.status
        if item.status != "connecting":  # an attempt keeps the reason of the last failure
            self._socket_reason = item.reason
        if item.status == "open":
            self.stats.connections += 1
        return item.status == "open" or was_open

    def _publish(self) -> None:
        """Put new counts and a new connection state into the batch being gathered."""
        if self._mirror is not None:
            counts = self._mirror.folder_counts()
            if counts != self.counts:
                self.counts = counts
                self._builder.set_counts(counts)
        mode, reason = self._mode()
        if (mode, reason) != (self.state.mode, self.state.reason):
            since = self.state.since if mode == self.state.mode else datetime.now(UTC)
            self.state = ConnectionState(mode, since, reason, self.poll_interval)
            self._builder.set_connection(self.state)
        if self._builder:
            self._changed.set()

    def _mode(self) -> tuple[Mode, str | None]:
        if self._socket == "open":
            return "live", None
        if self._probe_error is not None:
            return "offline", self._probe_error
        if self._mirror is None or (self._socket in ("idle", "connecting") and self.stats.connections == 0):
            return "connecting", None
        return "polling", self._socket_reason

    # --- applying what the server says ---------------------------------------------------------------
    def _apply_event(self, event: SocketEvent) -> None:
        if event.unreadable:
            self.reconcile_soon()
        if event.action == "delete":
            self._forget(event.ids)
        else:
            self._take(event.items, source=event.action)

    def _forget(self, ids: Iterable[int]) -> None:
        if self._mirror is None:
            return
        for key in ids:
            # Delete events name every user's deleted ids: only those held are the user's.
            if self._mirror.discard(key):
                self._builder.delete(key)

    def _take(self, items: Sequence[Notification], *, source: Literal["create", "update", "fetched"]) -> None:
        mirror = self._mirror
        if mirror is None:
            return
        for item in items:
            if item.recipient_id != self._me:
                self._forget([item.id])  # an admin gave it to someone else
                continue
            held = mirror.get(item.id)
            if held is None:
                mirror.set(item.id, item.status)
                self._watermark = max(self._watermark, item.id)
                self._builder.create(item)
            elif source == "update" or (source == "fetched" and held != item.status):
                mirror.set(item.id, item.status)
                self._builder.update(item)
            # else: a create event for what a reconciliation already brought: nothing doubled

    # --- reconciliation -------------------------------------------------------------------------------
    async def _reconcile(self) -> None:
        self._last_reconcile = time.monotonic()
        self.stats.reconciliations += 1
        try:
            await self._compare_and_fetch()
        except (InboxError, KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            self._probe_failures += 1
            self._probe_error = _unreachable_reason(error)
        else:
            self._probe_failures = 0
            self._probe_error = None

    async def _compare_and_fetch(self) -> None:
        if self._probe is None:
            self._me = (await self.backend.me()).id
            self._probe = probe_for(self.backend, self._me)
        summary = await self._probe.summary()
        if self._mirror is None:
            await self._take_stock()
            return
        if summary.fingerprint() == self._mirror.fingerprint():
            return
        if summary.newest_id > self._watermark:
            await self._fetch_newer()
            summary = await self._probe.summary()
            if summary.fingerprint() == self._mirror.fingerprint():
                return
        await self._diff_listing()

    async def _take_stock(self) -> None:
        """The first reconciliation: hold every id and status, report nothing but what is newer than asked."""
        assert self._probe is not None
        statuses = await self._probe.statuses()
        self.stats.listings += 1
        newest = max(statuses, default=0)
        known = self._newest_known_id
        if known is not None and known < newest:
            statuses = {key: status for key, status in statuses.items() if key <= known}
            newest = known
        self._mirror = Mirror(statuses)
        self._watermark = newest
        if known is not None:
            await self._fetch_newer()
        self._baseline.set()

    async def _fetch_newer(self) -> None:
        while True:
            after = self._watermark
            query = Query(mine=True, filter={"id": {"_gt": after}}, sort=("id",), limit=MAX_PAGE)
            items = (await self.backend.list_notifications(query)).items
            self.stats.fetched_rows += len(items)
            self._take(items, source="fetched")
            self._watermark = max([self._watermark, *(item.id for item in items)])
            if len(items) < MAX_PAGE or self._watermark <= after:
                return

    async def _diff_listing(self) -> None:
        assert self._probe is not None and self._mirror is not None
        statuses = await self._probe.statuses()
        self.stats.listings += 1
        self._forget([key for key in self._mirror.ids() if key not in statuses])
        changed = [key for key, status in statuses.items() if self._mirror.get(key) != status]
        for start in range(0, len(changed), MAX_PAGE):
            chunk = changed[start : start + MAX_PAGE]
            query = Query(mine=True, filter={"id": {"_in": chunk}}, sort=("id",), limit=len(chunk))
            items = (await self.backend.list_notifications(query)).items
            self.stats.fetched_rows += len(items)
            self._take(items, source="fetched")
        self._watermark = max(self._watermark, max(statuses, default=0))
