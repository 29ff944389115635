"""Run a ``LiveInbox`` in the background of a test and keep everything it reports.

Waiting is ``tests.support.waiting.eventually``: it polls a condition, never sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from app.live import ConnectionState, FolderCounts, LiveBatch, LiveInbox
from app.models import Notification
from tests.support.waiting import eventually


@dataclass
class Recorder:
    live: LiveInbox
    batches: list[tuple[float, LiveBatch]] = field(default_factory=list)
    created: Counter[int] = field(default_factory=Counter)
    """How many times each id was reported created (nothing may be doubled: all ones)."""
    latest: dict[int, Notification] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    states: list[ConnectionState] = field(default_factory=list)
    counts: FolderCounts | None = None
    arrived: dict[int, float] = field(default_factory=dict)
    """``time.monotonic()`` at which each created id was handed out."""
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Recorder:
        await self.live.__aenter__()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.live.aclose()

    async def _run(self) -> None:
        async for batch in self.live.batches():
            now = time.monotonic()
            self.batches.append((now, batch))
            for item in batch.created:
                self.created[item.id] += 1
                self.arrived.setdefault(item.id, now)
                self.latest[item.id] = item
                self.deleted.discard(item.id)
            for item in batch.updated:
                self.latest[item.id] = item
            for key in batch.deleted:
                self.deleted.add(key)
                self.latest.pop(key, None)
            if batch.counts is not None:
                self.counts = batch.counts
            if batch.connection is not None:
                self.states.append(batch.connection)

    @property
    def mode(self) -> str:
        return self.states[-1].mode if self.states else "connecting"

    def status_of(self, key: int) -> str | None:
        item = self.latest.get(key)
        return item.status if item else None

    async def until(self, condition: Callable[[], bool], timeout: float = 30.0, what: str = "the condition") -> float:
        assert self._task is not None
        task = self._task

        def done_or_failed() -> bool:
            if task.done():
                task.result()  # the stream failed: show why
                raise AssertionError("the live stream ended")
            return condition()

        return await eventually(done_or_failed, what, timeout)

    async def until_mode(self, mode: str, timeout: float = 30.0) -> float:
        return await self.until(lambda: self.mode == mode, timeout, f"mode {mode!r} (now {self.mode!r})")
