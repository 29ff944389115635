"""How much a unified inbox's page costs at any depth, measured on two real servers; asserts nothing.

    .venv/bin/python -m tests.benchmark_unified [--rows 20000] [--latency 0]

Starts two Directus 12.4.0 servers (the cached install), puts ``--rows`` notifications for one user
on each (interleaved in time, with bursts of one millisecond), and for pages at several depths
prints: the merge's time, rounds, requests and rows sent, next to the naive merge (pages 1..n from
each server: ``offset + limit`` rows each), and the next page after one served (the cursor). The
first page is listed first, as the app does (so the servers' sizes are known). With
``--latency MS`` every request waits that long first (a server far away; the merge's rounds count
more than its rows then).
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from app.api import RestBackend, StaticToken
from app.models import MAX_PAGE, Page, Query
from app.unified import UnifiedBackend
from app.unified.paging import sort_key
from tests.support.directus_server import RunningServer, ensure_installed, start_server
from tests.support.seeding import server_rows
from tests.unified.conftest import START

REPEAT = 5


class Distant(RestBackend):
    """A server *latency* seconds away (each request waits that long before it is sent)."""

    latency = 0.0

    async def list_notifications(self, query: Query) -> Page:
        if self.latency:
            await asyncio.sleep(self.latency)
        return await super().list_notifications(query)


async def naive(unified: UnifiedBackend, offset: int) -> tuple[float, int]:
    """Pages 1..n of every server, merged: the cost the search avoids."""
    started = time.perf_counter()
    query = Query.of_folder("inbox", limit=offset + MAX_PAGE)
    pages = await asyncio.gather(*(unified.member(name).list_notifications(query) for name in unified.profiles))
    tagged = [
        [unified.tag(name, item) for item in page.items] for name, page in zip(unified.profiles, pages, strict=True)
    ]
    list(heapq.merge(*tagged, key=sort_key(query.sort)))[offset : offset + MAX_PAGE]
    return time.perf_counter() - started, sum(len(page.items) for page in pages)


async def measure(servers: list[RunningServer], rows: int, latency: float) -> None:
    Distant.latency = latency
    members = {
        f"server{index}": Distant(server.url, StaticToken(server.user.token), timeout=60)
        for index, server in enumerate(servers)
    }
    unified = UnifiedBackend(members)
    total = 2 * rows
    print(f"{rows:,} notifications on each of 2 servers, {latency * 1000:.0f} ms added per request")
    print(
        f"  {'offset':>7}  {'path':<7} {'merge':>9} {'rounds':>6} {'requests':>8} {'rows':>5}   "
        f"{'naive':>9} {'rows':>7}   {'next page':>9}"
    )
    await unified.list_notifications(Query.of_folder("inbox"))  # the first page, as the app shows it first
    for offset in (0, 1_000, total // 10, total // 4, total // 2, 3 * total // 4, total - 150):
        times, naive_times = [], []
        for _ in range(REPEAT):
            unified._memory.cursors.clear()  # a jump, not the page after one served
            started = time.perf_counter()
            await unified.list_notifications(Query.of_folder("inbox", offset=offset))
            times.append(time.perf_counter() - started)
            cost = unified.last_listing
            started = time.perf_counter()
            await unified.list_notifications(Query.of_folder("inbox", offset=offset + MAX_PAGE))
            following = time.perf_counter() - started
            elapsed, naive_rows = await naive(unified, offset)
            naive_times.append(elapsed)
        merge_ms, naive_ms = statistics.median(times) * 1000, statistics.median(naive_times) * 1000
        print(
            f"  {offset:>7,}  {cost.path:<7} {merge_ms:>7.0f}ms {cost.rounds:>6} {cost.requests:>8} {cost.rows:>5}   "
            f"{naive_ms:>7.0f}ms {naive_rows:>7,}   {following * 1000:>7.0f}ms"
        )
    await unified.aclose()


def seed(servers: list[RunningServer], rows: int) -> None:
    rng = random.Random(1)
    for index, server in enumerate(servers):
        spread = [(START + timedelta(seconds=rng.randrange(10**7)), "inbox") for _ in range(rows * 9 // 10)]
        bursts = [(START + timedelta(seconds=rng.choice([0, 10**6, 5 * 10**6])), "inbox") for _ in range(rows // 10)]
        server_rows(server, server.user.id, spread + bursts, f"bench{index}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.0, help="milliseconds added to each request")
    args = parser.parse_args()
    install = ensure_installed()
    with tempfile.TemporaryDirectory() as folder:
        servers = [start_server(Path(folder) / f"server{index}", install) for index in range(2)]
        try:
            seed(servers, args.rows)
            asyncio.run(measure(servers, args.rows, args.latency / 1000))
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
