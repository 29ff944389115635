"""Speed, measured: each figure is a ratio against a floor measured in the same run.

    .venv/bin/python -m tests.benchmark            # all of it (starts a real Directus)
    .venv/bin/python -m tests.benchmark --no-server

Machines here are noisy, so this is not part of the test suite and asserts nothing; it prints
medians and ratios, and the targets below say what we aim for.

- API: one page of 100 through the adapter (REST, GraphQL) against a raw httpx GET of the same
  page on the same connection. Target: REST ≤ 1.3× (pydantic validation is the only extra work).
- Embedded: one page of 100 of a 100,000-notification inbox against the raw SQLite query.
- TUI: start-up until the first page is on screen, against a bare Textual app's start-up; and
  200 key events arriving at once (a held j or PgDn, as key repeat sends them) in a 100,000
  inbox, against the same keys reaching a bare app, which does nothing with them.
  Targets: start-up ≤ 10× (it loads me, permissions, two lists' counts, the first page and names
  from a 100,000-row inbox); held keys ≤ 15× (a bare app's key costs ~0.3 ms; 15× that is still
  a tenth of key repeat's 33 ms, so scrolling never lags behind the key).
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


async def paired_medians(
    subject: Callable[[], Awaitable[object]], floor: Callable[[], Awaitable[object]], rounds: int = ROUNDS
) -> tuple[float, float]:
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
    print(
        f"{name:<48} {measured * 1000:8.2f} ms   {floor_name:<28} {floor * 1000:8.2f} ms"
        f"   ratio {measured / floor:5.2f}×"
    )


async def bench_api() -> None:
    from tests.support.directus_server import ensure_installed, start_server

    server = start_server(Path(tempfile.mkdtemp(prefix="directus-inbox-bench-")), ensure_installed())
    try:
        async with RestBackend(server.url, StaticToken(server.admin.token)) as admin:
            await admin.create_many(
                [
                    NotificationDraft(recipient=server.user.id, subject=f"bench {i}", message="Hello <em>there</em>")
                    for i in range(500)
                ]
            )
        query = Query(mine=True, status="inbox", limit=100)
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {server.user.token}"}
        ) as raw:
            params: dict[str, str | int] = {
                "limit": 100,
                "sort": "-timestamp,-id",
                "fields": "*",
                "meta": "total_count,filter_count",
                "filter": '{"_and":[{"status":{"_eq":"inbox"}},{"recipient":{"_eq":"$CURRENT_USER"}}]}',
            }
            for cls in (RestBackend, GraphQLBackend):
                async with cls(server.url, StaticToken(server.user.token)) as backend:
                    measured, floor = await paired_medians(
                        lambda: backend.list_notifications(query), lambda: raw.get("/notifications", params=params)
                    )
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
                conn.execute(
                    f"SELECT * FROM notifications {where} ORDER BY timestamp DESC, id DESC LIMIT 100 OFFSET 50000",
                    (me.id,),
                ).fetchall()
                conn.execute(f"SELECT count(*) FROM notifications {where}", (me.id,)).fetchone()
                conn.execute("SELECT count(*) FROM notifications").fetchone()

            await asyncio.to_thread(run)

        measured, floor = await paired_medians(lambda: backend.list_notifications(query), raw)
        conn.close()
    report("embedded: page at offset 50,000 of 100,000", measured, floor, "raw sqlite3 SELECT")


STARTS = 5
PRESSES = 200


async def bench_tui(path: Path) -> None:
    """Start-up to the first page on screen, and key presses, against a bare Textual app."""
    from textual import events
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    from app.ui.app import InboxApp
    from app.ui.widgets.notification_list import NotificationList

    class Bare(App):
        keys = 0

        def compose(self) -> ComposeResult:
            yield Static("bare")

        def on_key(self) -> None:
            self.keys += 1

    async def start_bare() -> float:
        started = time.perf_counter()
        async with Bare().run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            return time.perf_counter() - started

    async def start_inbox() -> float:
        started = time.perf_counter()
        async with EmbeddedBackend(path) as backend:
            app = InboxApp(backend)
            async with app.run_test(size=(120, 40)) as pilot:
                rows = app.query_one("#inbox-list", NotificationList)
                while rows.cache.get(0) is None:
                    await pilot.pause(0.005)
                return time.perf_counter() - started

    bare_starts, inbox_starts = [], []
    for _ in range(STARTS):
        bare_starts.append(await start_bare())
        inbox_starts.append(await start_inbox())
    report(
        "TUI: start-up to the first page (100,000)",
        statistics.median(inbox_starts),
        statistics.median(bare_starts),
        "bare Textual app start-up",
    )

    async def burst(app: App, key: str, handled: Callable[[], int], ready: Callable[[], bool]) -> float:
        """Seconds per key for PRESSES key events arriving at once, as from a held key."""
        async with app.run_test(size=(120, 40)) as pilot:
            while not ready():
                await pilot.pause(0.01)
            await pilot.pause(0.2)
            before = handled()
            started = time.perf_counter()
            for _ in range(PRESSES):
                app.post_message(events.Key(key, None))
            while handled() < before + PRESSES:
                await pilot.pause(0.001)
            await pilot.pause()
            return (time.perf_counter() - started) / PRESSES

    for key in ("j", "pagedown"):
        bare = Bare()
        bare_time = await burst(bare, key, lambda: bare.keys, lambda: True)
        async with EmbeddedBackend(path) as backend:
            app = InboxApp(backend)
            pagedowns = 0

            def moves() -> int:
                return app.query_one("#inbox-list", NotificationList).cursor if key == "j" else pagedowns

            original = NotificationList.action_page_down

            def counting_page_down(notification_list: NotificationList) -> None:
                nonlocal pagedowns
                original(notification_list)
                pagedowns += 1

            setattr(NotificationList, "action_page_down", counting_page_down)  # noqa: B010 - counted, still run
            try:
                inbox_time = await burst(
                    app, key, moves, lambda: app.query_one("#inbox-list", NotificationList).cache.get(0) is not None
                )
            finally:
                setattr(NotificationList, "action_page_down", original)  # noqa: B010
        report(f"TUI: {PRESSES} {key} held down in a 100,000 inbox", inbox_time, bare_time, "the same keys, bare app")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-server", action="store_true", help="skip the real-server figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        await bench_embedded(path)
        await bench_tui(path)
        if not args.no_server:
            await bench_api()


if __name__ == "__main__":
    asyncio.run(main())
