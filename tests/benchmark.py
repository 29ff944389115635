"""Speed, measured: each figure is a ratio against a floor measured in the same run.

    .venv/bin/python -m tests.benchmark            # all of it (starts a real Directus)
    .venv/bin/python -m tests.benchmark --no-server

Machines here are noisy, so this is not part of the test suite and asserts nothing; it prints
medians and ratios, and the targets below say what we aim for.

- API: one page of 100 through the adapter (REST, GraphQL) against a raw httpx GET of the same
  page on the same connection. Target: REST ≤ 1.3× (pydantic validation is the only extra work).
- Embedded: one page of 100 of a 100,000-notification inbox against the raw SQLite query.
- TUI: start-up until the first page is on screen, against a bare Textual app's start-up; and
  one key press moving the cursor in a 100,000 inbox, against the same key in a bare app.
  Target: start-up ≤ 3×, a key press ≤ 2× the bare app's.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.embedded import EmbeddedBackend
from app.models import NotificationDraft, Query

ROUNDS = 30


async def paired_medians(subject: Callable[[], Awaitable[object]], floor: Callable[[], Awaitable[object]],
                         rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of *subject* and of *floor*, run alternately so that drift hits both."""
    await subject()  # warm up connections and caches
    await floor()
    times: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(rounds):
        for index, action in enumerate((subject, floor)):
            started = time.perf_counter()
            await action()
            times[index].append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def report(name: str, measured: float, floor: float, floor_name: str) -> None:
    print(f"{name:<48} {measured * 1000:8.2f} ms   {floor_name:<28} {floor * 1000:8.2f} ms"
          f"   ratio {measured / floor:5.2f}×")


async def bench_api() -> None:
    from tests.support.directus_server import ensure_installed, start_server

    server = start_server(Path(tempfile.mkdtemp(prefix="directus-inbox-bench-")), ensure_installed())
    try:
        async with RestBackend(server.url, StaticToken(server.admin.token)) as admin:
            await admin.create_many([NotificationDraft(recipient=server.user.id, subject=f"bench {i}",
                                                       message="Hello <em>there</em>") for i in range(500)])
        query = Query(mine=True, status="inbox", limit=100)
        async with httpx.AsyncClient(base_url=server.url,
                                     headers={"Authorization": f"Bearer {server.user.token}"}) as raw:
            params = {"limit": 100, "sort": "-timestamp,-id", "fields": "*", "meta": "total_count,filter_count",
                      "filter": '{"_and":[{"status":{"_eq":"inbox"}},{"recipient":{"_eq":"$CURRENT_USER"}}]}'}
            for cls in (RestBackend, GraphQLBackend):
                async with cls(server.url, StaticToken(server.user.token)) as backend:
                    measured, floor = await paired_medians(lambda: backend.list(query),
                                                           lambda: raw.get("/notifications", params=params))
                report(f"list 100 as a user, {cls.__name__}", measured, floor, "raw httpx GET")
    finally:
        server.stop()


async def bench_embedded(path: Path) -> None:
    backend = EmbeddedBackend(path, seed=100_000)
    async with backend:
        me = await backend.me()
        query = Query(mine=True, status="inbox", limit=100, offset=50_000)
        conn = sqlite3.connect(path, check_same_thread=False)

        async def raw() -> None:
            # The same page and counts, straight from SQLite, on the same kind of worker thread.
            def run() -> None:
                where = "WHERE status = 'inbox' AND recipient = ?"
                conn.execute(f"SELECT * FROM notifications {where} ORDER BY timestamp DESC, id DESC "
                             "LIMIT 100 OFFSET 50000", (me.id,)).fetchall()
                conn.execute(f"SELECT count(*) FROM notifications {where}", (me.id,)).fetchone()
                conn.execute("SELECT count(*) FROM notifications").fetchone()
            await asyncio.to_thread(run)

        measured, floor = await paired_medians(lambda: backend.list(query), raw)
        conn.close()
    report("embedded: page at offset 50,000 of 100,000", measured, floor, "raw sqlite3 SELECT")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-server", action="store_true", help="skip the real-server figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        await bench_embedded(path)
        if not args.no_server:
            await bench_api()


if __name__ == "__main__":
    asyncio.run(main())
