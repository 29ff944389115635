"""How fast the live inbox is, measured: prints medians, asserts nothing (machines here are noisy).

    .venv/bin/python -m tests.benchmark_live            # starts a real Directus, then the embedded part
    .venv/bin/python -m tests.benchmark_live --no-server

- Delay from a REST create (the request sent) to the notification handed out by ``batches()``:
  over WebSockets, and polling (no socket, a 2 s interval, the creates at random moments of it:
  half the interval plus the reconciliation is expected), next to the create request alone.
- A burst of 1,000 created in one request: how long the server takes, how long until the last
  one is handed out, and in how many batches; over the socket and polling.
- The cost of one reconciliation that finds nothing (the probe: one aggregate request) over REST
  and GraphQL, and of the listing a disagreement needs.
- The embedded inbox (100,000 notifications): ``PRAGMA data_version`` (what a look costs when
  nobody wrote) against the grouped count it replaces, the listing, and the delay until a write
  on another connection (as another process makes) is handed out.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.backend import InboxBackend
from app.embedded import EmbeddedBackend
from app.live import LiveInbox
from app.live.probe import probe_for
from app.models import NotificationDraft
from tests.support.directus_server import RunningServer, ensure_installed, start_server
from tests.support.live_recorder import Recorder

ROUNDS = 15


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    print(f"  {label:<58} median {ms(statistics.median(samples)):>8}   max {ms(samples[-1]):>8}   (n={len(samples)})")


async def timed(action: Callable[[], Awaitable[object]], rounds: int = ROUNDS) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return samples


async def arrival(seen: Recorder, key: int) -> float:
    """When *key* was handed out (``time.monotonic()``)."""
    await seen.until(lambda: key in seen.arrived, timeout=120, what=f"notification {key}")
    return seen.arrived[key]


async def create_to_stream(server: RunningServer, admin: InboxBackend, live: LiveInbox, rounds: int) -> list[float]:
    delays = []
    rng = random.Random(1)
    async with Recorder(live) as seen:
        await seen.until(lambda: seen.mode in ("live", "polling"), timeout=60, what="ready")
        for _ in range(rounds):
            # At a random moment of the poll interval, as a colleague's notification would come.
            await asyncio.sleep(rng.uniform(0, live.poll_interval) if live.state.mode == "polling" else 0)
            started = time.monotonic()
            sent = await admin.create(NotificationDraft(recipient=server.user.id, subject="timed"))
            delays.append(await arrival(seen, sent.id) - started)
    return delays


async def burst(server: RunningServer, admin: InboxBackend, live: LiveInbox, label: str) -> None:
    async with Recorder(live) as seen:
        await seen.until(lambda: seen.mode in ("live", "polling"), timeout=60, what="ready")
        started = time.monotonic()
        sent = await admin.create_many(
            [NotificationDraft(recipient=server.user.id, subject=f"burst {i}") for i in range(1000)]
        )
        answered = time.monotonic()
        wanted = {item.id for item in sent}
        await seen.until(lambda: wanted <= set(seen.created), timeout=300)
        last = max(seen.arrived[key] for key in wanted)
        batches = sum(1 for _, batch in seen.batches if wanted & {item.id for item in batch.created})
        print(
            f"  burst of 1,000 {label:<22} server {ms(answered - started):>8}, last handed out "
            f"{ms(last - answered)} after the answer, in {batches} batches"
        )
        await admin.delete_many(sorted(wanted))


async def measure_server(server: RunningServer) -> None:
    async with RestBackend(server.url, StaticToken(server.admin.token), timeout=300) as admin:
        print("Directus 12.4 on loopback, an ordinary user's LiveInbox, the admin creating over REST")
        report(
            "a create request alone",
            await timed(lambda: admin.create(NotificationDraft(recipient=server.user.id, subject="alone"))),
        )
        async with RestBackend(server.url, StaticToken(server.user.token)) as user:
            report(
                "create → stream, WebSockets",
                await create_to_stream(server, admin, LiveInbox(user, poll_interval=3600), ROUNDS),
            )
            report(
                "create → stream, polling every 2 s (no socket)",
                await create_to_stream(server, admin, LiveInbox(user, poll_interval=2.0, realtime=False), 10),
            )
            for transport in (RestBackend, GraphQLBackend):
                async with transport(server.url, StaticToken(server.user.token)) as backend:
                    probe = probe_for(backend, server.user.id)
                    report(f"a reconciliation that finds nothing, {transport.__name__}", await timed(probe.summary))
                    count = len(await probe.statuses())
                    report(f"listing ids and statuses of {count:,}, {transport.__name__}", await timed(probe.statuses))
            await burst(server, admin, LiveInbox(user, poll_interval=3600), "over WebSockets")
            await burst(server, admin, LiveInbox(user, poll_interval=2.0, realtime=False), "polling every 2 s")


async def measure_embedded(directory: Path) -> None:
    path = directory / "inbox.sqlite3"
    print("Embedded inbox of 100,000 notifications")
    async with EmbeddedBackend(path, seed=100_000) as backend, EmbeddedBackend(path) as other:
        me = (await backend.me()).id
        conn = sqlite3.connect(path)
        rounds = range(200)
        started = time.perf_counter()
        for _ in rounds:
            conn.execute("PRAGMA data_version").fetchone()
        version = (time.perf_counter() - started) / len(rounds)
        samples = []
        for _ in range(20):
            started = time.perf_counter()
            conn.execute(
                "SELECT status, COUNT(*), SUM(id), MAX(id) FROM notifications WHERE recipient = ? GROUP BY 1", (me,)
            ).fetchall()
            samples.append(time.perf_counter() - started)
        conn.close()
        print(f"  PRAGMA data_version (a look when nobody wrote)               {version * 1e6:.1f} µs")
        report("the grouped count and id sum it spares", samples)
        probe = probe_for(backend, me)
        report("listing ids and statuses", await timed(probe.statuses, 5))
        await probe.aclose()
        delays = []
        rng = random.Random(1)
        async with Recorder(LiveInbox(backend)) as seen:
            await seen.until(lambda: seen.mode == "polling", timeout=60, what="ready")
            for _ in range(10):
                await asyncio.sleep(rng.uniform(0, seen.live.poll_interval))
                started = time.monotonic()
                sent = await other.create(NotificationDraft(recipient=me, subject="from another connection"))
                delays.append(await arrival(seen, sent.id) - started)
        report("write on another connection → stream (polling every 1 s)", delays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-server", action="store_true", help="only the embedded inbox")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="live-bench-") as tmp:
        if not args.no_server:
            server = start_server(Path(tmp) / "server", ensure_installed())
            try:
                asyncio.run(measure_server(server))
            finally:
                server.stop()
        asyncio.run(measure_embedded(Path(tmp)))


if __name__ == "__main__":
    main()
