"""Speed as a user feels it: whole-process, in a real terminal, each figure beside its floor.

    .venv/bin/python -m tests.benchmark                 # the full run (about 10 minutes, by hand)
    .venv/bin/python -m tests.benchmark --no-server     # the embedded inbox and the floors only
    .venv/bin/python -m tests.benchmark --size 300 --bulk 40 --quick   # what the suite runs

It starts a real Directus 12.4 with ``--size`` (100,000) notifications for an ordinary user (see
``tests/bench/inbox.py``), runs the installed ``directus-inbox`` in a 120×40 pty
(``tests/bench/terminal.py``), and prints a table: every figure next to its floor measured in the
same run, the ratio, and the target of issue 10. Nothing is asserted: machines here are shared and
noisy. The suite runs it at a tiny size (``tests/test_benchmark.py``) so that it cannot rot.

What is measured (``tests/bench/runs.py``), and against what:

- start to the first page of the inbox on the real server, from the command's start to the first
  row and the position ``1/100,000`` on screen; floor: a bare Textual app's start to its label
  (``tests/bench/bare.py``) plus a raw GET of the same page with its counts on a fresh connection.
  The same on the embedded inbox (``--demo-size``, after the seeding run); floor: the bare start.
- a held j, then k (key events at 30 per second): each key to the screen showing its move, p50
  and p95; floor: the bare app updating its label per key. Tab switches (p95), the same floor.
- search: from enter to the first page of results on screen; floor: the raw search request.
- archive and delete of ``--bulk`` (10,000) notifications, selected as all matching a search, from
  the key to "Archived 10,000 notifications" (a progress bar must show meanwhile); floor: the raw
  batch PATCH (DELETE) of as many keys, 500 per request, on one connection.
- the 1 MB message (row 2 of Archived): from j to its first line in the preview, and again after
  moving away.
- the GraphQL transport's list of a page against REST's (in process, medians of paired rounds).
- the app's RSS after 60 PgDn and G (to the last of 100,000); floor: the bare app's RSS.
- importing the UI against importing Textual's app and widgets (whole process).

Measured on this project's machine (2 cores, 24 GiB, shared with other sessions: load 1-2 from
them during the runs), 2026-12-01, Directus 12.4.0 on SQLite, Textual 8.2.8, Python 3.11.7.

Before (main at 2bbcb40):

| what | this app | floor (same run) | ratio | target |  |
|---|---|---|---|---|---|
| importing the CLI and the UI (process) | 1,341 ms | Textual app+widgets 623 ms | 2.15× |  |  |
| start to the first page, embedded 100,000 | 1,945 ms | bare start 582 ms | 3.34× | ≤ 1.3× | NOT MET |
| list a page of 100, REST transport | 483 ms | raw GET 478 ms | 1.01× | ≤ 1.3× | met |
| list a page of 100, GraphQL transport | 811 ms | REST transport 483 ms | 1.68× | ≤ 1.3× | NOT MET |
| start to first page, server 100,000 | 2,846 ms | bare 557 ms + raw GET 493 ms = 1,050 ms | 2.71× | ≤ 1.3× | NOT MET |
| (the bare app's RSS) | 33 MiB |  |  |  |  |
| held j, key to screen, p50 | 263 ms | bare p50 6 ms | 40.63× |  |  |
| held j, key to screen, p95 | 519 ms | bare p95 10 ms | 52.84× | ≤ 1.5× | NOT MET |
| held k, key to screen, p50 | 345 ms | bare p50 5 ms | 72.51× |  |  |
| held k, key to screen, p95 | 588 ms | bare p95 11 ms | 55.82× | ≤ 1.5× | NOT MET |
| tab switch, key to screen, p95 | 609 ms | bare key p95 17 ms | 36.80× | ≤ 2× | NOT MET |
| RSS after 60 PgDn and G (100,000) | 86 MiB | bare app 33 MiB |  | ≤ 100 MiB | met |
| 1 MB message in the preview, first / again | 7,381 ms / 9,453 ms |  |  | ≤ 200 ms | NOT MET |
| search to 10,000 results on screen | 1,471 ms | raw search GET 755 ms | 1.95× | ≤ 1.2× | NOT MET |
| archive 10,000 (all matching) | 29.6 s | raw PATCH ×20 19.2 s | 1.54× | ≤ 1.1× | NOT MET |
| delete 10,000 (all matching) | 12.3 s | raw DELETE ×20 9,480 ms | 1.30× | ≤ 1.1× | NOT MET |

100,000 notifications; 5 starts each; 100 key events per held key at 30/s; 20 tab switches; terminal 120×40 (pty).

After (GraphQL list in one window; markdownify and BeautifulSoup imported on first use):

| what | this app | floor (same run) | ratio | target |  |
|---|---|---|---|---|---|
| importing the CLI and the UI (process) | 1,131 ms | Textual app+widgets 574 ms | 1.97× |  |  |
| start to the first page, embedded 100,000 | 2,122 ms | bare start 577 ms | 3.68× | ≤ 1.3× | NOT MET |
| list a page of 100, REST transport | 460 ms | raw GET 456 ms | 1.01× | ≤ 1.3× | met |
| list a page of 100, GraphQL transport | 447 ms | REST transport 460 ms | 0.97× | ≤ 1.3× | met |
| start to first page, server 100,000 | 2,534 ms | bare 567 ms + raw GET 470 ms = 1,037 ms | 2.44× | ≤ 1.3× | NOT MET |
| (the bare app's RSS) | 33 MiB |  |  |  |  |
| held j, key to screen, p50 | 286 ms | bare p50 6 ms | 51.84× |  |  |
| held j, key to screen, p95 | 539 ms | bare p95 11 ms | 47.64× | ≤ 1.5× | NOT MET |
| held k, key to screen, p50 | 248 ms | bare p50 6 ms | 43.68× |  |  |
| held k, key to screen, p95 | 514 ms | bare p95 11 ms | 47.04× | ≤ 1.5× | NOT MET |
| tab switch, key to screen, p95 | 467 ms | bare key p95 14 ms | 32.93× | ≤ 2× | NOT MET |
| RSS after 60 PgDn and G (100,000) | 89 MiB | bare app 33 MiB |  | ≤ 100 MiB | met |
| 1 MB message in the preview, first / again | 6,815 ms / 6,904 ms |  |  | ≤ 200 ms | NOT MET |
| search to 10,000 results on screen | 1,073 ms | raw search GET 809 ms | 1.33× | ≤ 1.2× | NOT MET |
| archive 10,000 (all matching) | 28.4 s | raw PATCH ×20 21.9 s | 1.30× | ≤ 1.1× | NOT MET |
| delete 10,000 (all matching) | 14.6 s | raw DELETE ×20 8,843 ms | 1.65× | ≤ 1.1× | NOT MET |

100,000 notifications; 5 starts each; 100 key events per held key at 30/s; 20 tab switches; terminal 120×40 (pty).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import inbox as bench_inbox
from tests.bench import runs, screen
from tests.bench.table import Table, median, ms, percentile
from tests.bench.terminal import Terminal

BATCH = 500


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmark", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="notifications in the inbox (100,000)")
    parser.add_argument("--bulk", type=int, default=10_000, help="notifications archived, then deleted (10,000)")
    parser.add_argument("--archived", type=int, default=1_000, help="notifications in Archived (1,000)")
    parser.add_argument("--rounds", type=int, default=5, help="starts of each command (5)")
    parser.add_argument("--presses", type=int, default=100, help="key events per held key (100)")
    parser.add_argument("--switches", type=int, default=20, help="tab switches (20)")
    parser.add_argument("--pages", type=int, default=60, help="PgDn before G, for the memory figure (60)")
    parser.add_argument("--quick", action="store_true", help="one round of everything: proves it runs")
    parser.add_argument("--no-server", action="store_true", help="skip the real-server figures")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.presses, args.switches, args.pages = 1, 10, 2, 3
    return args


# --- whole process, no server --------------------------------------------------------------------------


def bench_imports(table: Table, rounds: int) -> None:
    def seconds(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    ui, textual = [], []
    for _ in range(rounds):
        ui.append(seconds("import app.cli, app.ui.app"))
        textual.append(seconds("import textual.app, textual.widgets"))
    table.ratio("importing the CLI and the UI (process)", median(ui), median(textual), "Textual app+widgets", None)


def bench_embedded(table: Table, args: argparse.Namespace, home: Path) -> None:
    demo = ("--demo-size", str(args.size))
    with runs.spawn_app(home, *demo) as terminal:  # the first run seeds the file
        terminal.wait_for(runs.first_page(None), "the seeded embedded inbox", timeout=600)
    bare, app = [], []
    for _ in range(args.rounds):
        bare.append(runs.time_to(lambda: runs.spawn_bare(home), runs.bare_shown))
        app.append(runs.time_to(lambda: runs.spawn_app(home, *demo), runs.first_page(None)))
    table.ratio(f"start to the first page, embedded {args.size:,}", median(app), median(bare), "bare start", 1.3)

    floors = bench_bare(args, home)
    with runs.spawn_app(home, *demo) as terminal:
        terminal.wait_for(runs.first_page(None), "the embedded inbox", timeout=120)
        runs.rest_a_moment(terminal)
        for key, start, step in (("j", 1, +1), ("k", 1 + args.presses, -1)):
            samples = runs.held(terminal, key, args.presses, runs.moved(start, step))
            runs.rest_a_moment(terminal)
            for share in (0.5, 0.95):
                table.ratio(
                    f"held {key} (embedded), key to screen, p{share * 100:.0f}",
                    percentile(samples, share),
                    percentile(floors[key], share),
                    f"bare p{share * 100:.0f}",
                    1.5 if share == 0.95 else None,
                )


# --- the real server --------------------------------------------------------------------------------------


def grant_delete(server: object) -> None:
    """Let the benchmark's user delete notifications (a role that may, as the README says).

    Without a rule: the Core licence refuses permission rules ("custom_permission_rules_enabled is
    a restricted resource"), and this server holds only the benchmark's data."""
    from tests.bench.inbox import _admin_request

    _admin_request(
        server,  # type: ignore[arg-type]
        "POST",
        "/permissions",
        {
            "policy": server.extra["policy"],  # type: ignore[attr-defined]
            "collection": "directus_notifications",
            "action": "delete",
            "fields": ["*"],
        },
    )


async def bench_transports(table: Table, url: str, token: str, rounds: int) -> None:
    import httpx

    from app.api import GraphQLBackend, RestBackend, StaticToken
    from app.api.rest import query_params
    from app.models import INBOX, Query

    query = Query.of_folder(INBOX)
    params = query_params(query)
    times: dict[str, list[float]] = {"rest": [], "graphql": [], "raw": []}
    async with (
        RestBackend(url, StaticToken(token)) as rest,
        GraphQLBackend(url, StaticToken(token)) as graphql,
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as raw,
    ):
        actions = {
            "rest": lambda: rest.list_notifications(query),
            "graphql": lambda: graphql.list_notifications(query),
            "raw": lambda: raw.get("/notifications", params=params),
        }
        for action in actions.values():
            await action()  # connections and the server's schema cache warm
        for _ in range(rounds):
            for name, action in actions.items():
                started = time.perf_counter()
                await action()
                times[name].append(time.perf_counter() - started)
    rest_time, graphql_time = median(times["rest"]), median(times["graphql"])
    table.ratio("list a page of 100, REST transport", rest_time, median(times["raw"]), "raw GET", 1.3)
    table.ratio("list a page of 100, GraphQL transport", graphql_time, rest_time, "REST transport", 1.3)


def bench_server(table: Table, args: argparse.Namespace, home: Path) -> None:
    from app.api.rest import query_params
    from app.models import INBOX, Query
    from tests.support.directus_server import ensure_installed, start_server

    workdir = Path(tempfile.mkdtemp(prefix="directus-inbox-bench-"))
    server = start_server(workdir, ensure_installed())
    try:
        grant_delete(server)
        seeded = bench_inbox.seed(server, args.size, args.bulk, args.archived)
        bench_inbox.check_equivalent(server, seeded)
        url, token = server.url, server.user.token
        connect = ("--url", url, "--token", token)
        size = args.size

        asyncio.run(bench_transports(table, url, token, max(5, args.rounds * 6)))

        first_page = query_params(Query.of_folder(INBOX))
        get = median(runs.raw_get(url, token, first_page, max(3, args.rounds * 2)))
        bare, app = [], []
        for _ in range(args.rounds):
            bare.append(runs.time_to(lambda: runs.spawn_bare(home), runs.bare_shown))
            app.append(
                runs.time_to(lambda: runs.spawn_app(home, *connect), runs.first_page(size, seeded.newest_subject))
            )
        table.ratio(
            f"start to the first page, server {size:,}",
            median(app),
            median(bare) + get,
            f"bare {ms(median(bare))} + raw GET {ms(get)} =",
            1.3,
        )

        floors = bench_bare(args, home)
        table.absolute("(the bare app's RSS)", f"{floors['rss'][0]:.0f} MiB", "", "", None)
        with runs.spawn_app(home, *connect) as terminal:
            try:
                session(table, args, terminal, seeded, floors, url, token)
            except AssertionError as error:
                table.note(f"The session stopped: {error}")
    finally:
        server.stop()


def session(
    table: Table,
    args: argparse.Namespace,
    terminal: Terminal,
    seeded: bench_inbox.SeededInbox,
    floors: dict[str, list[float]],
    url: str,
    token: str,
) -> None:
    """One run of the app on the server's inbox, as a user goes through it; each figure as it is taken."""
    from app.api.rest import query_params
    from app.models import INBOX, Query

    size = args.size
    terminal.wait_for(runs.first_page(size, seeded.newest_subject), "the first page", timeout=120)
    runs.rest_a_moment(terminal)
    for key, start, step in (("j", 1, +1), ("k", 1 + args.presses, -1)):
        samples = runs.held(terminal, key, args.presses, runs.moved(start, step))
        runs.rest_a_moment(terminal)
        floor = floors[key]
        table.ratio(
            f"held {key}, key to screen, p50", percentile(samples, 0.5), percentile(floor, 0.5), "bare p50", None
        )
        table.ratio(
            f"held {key}, key to screen, p95", percentile(samples, 0.95), percentile(floor, 0.95), "bare p95", 1.5
        )

    switches = runs.tab_switches(terminal, args.switches, size, args.archived, bench_inbox.ARCHIVED_PREFIX)
    table.ratio(
        "tab switch, key to screen, p95", percentile(switches, 0.95), percentile(floors["tab"], 0.95), "bare key p95", 2
    )

    rss = runs.page_through(terminal, args.pages, size, seeded.last_subject)
    table.absolute(
        f"RSS after {args.pages} PgDn and G ({size:,})",
        f"{rss:.0f} MiB",
        f"bare app {floors['rss'][0]:.0f} MiB",
        "≤ 100 MiB",
        rss <= 100,
    )

    first, again = runs.megabyte_preview(
        terminal,
        bench_inbox.MEGABYTE_SUBJECT,
        bench_inbox.MEGABYTE_FIRST_LINE,
        args.archived,
        f"{bench_inbox.ARCHIVED_PREFIX} {args.archived - 1}",
        size,
    )
    table.absolute(
        "1 MB message in the preview, first / again",
        f"{ms(first)} / {ms(again)}",
        "",
        "≤ 200 ms",
        max(first, again) <= 0.2,
    )

    term = bench_inbox.SEARCH_TERM
    search_params = query_params(Query.of_folder(INBOX, search=term))
    searches, raw_searches = [], []
    rounds = max(1, args.rounds // 2)
    for round_ in range(rounds):
        raw_searches += runs.raw_get(url, token, search_params, 1)
        searches.append(runs.search(terminal, term, args.bulk, size))
        if round_ < rounds - 1:
            runs.clear_search(terminal, size)
    runs.rest_a_moment(terminal)
    table.ratio(
        f"search to {args.bulk:,} results on screen", median(searches), median(raw_searches), "raw search GET", 1.2
    )

    requests = -(-args.bulk // BATCH)
    ids = seeded.search_ids
    archive_floor = runs.raw_batches(url, token, "PATCH", ids, BATCH, {"status": "archived"})
    runs.raw_batches(url, token, "PATCH", ids, BATCH, {"status": "inbox"})
    took, progress = runs.bulk_archive(terminal, args.bulk)
    bar = "" if progress else ", NO progress bar"
    table.ratio(f"archive {args.bulk:,} (all matching){bar}", took, archive_floor, f"raw PATCH ×{requests}", 1.1)

    delete_floor = runs.raw_batches(url, token, "DELETE", seeded.floor_ids, BATCH, None)
    took, progress = runs.bulk_delete(terminal, args.bulk, term)
    bar = "" if progress else ", NO progress bar"
    table.ratio(f"delete {args.bulk:,} (all matching){bar}", took, delete_floor, f"raw DELETE ×{requests}", 1.1)


def bench_bare(args: argparse.Namespace, home: Path) -> dict[str, list[float]]:
    """The bare app's key-to-screen for a held j and k and for tab presses, and its RSS."""
    with runs.spawn_bare(home) as terminal:
        terminal.wait_for(runs.bare_shown, "the bare app")
        runs.rest_a_moment(terminal)
        j = runs.held(terminal, "j", args.presses, runs.counted(0))
        runs.rest_a_moment(terminal)
        k = runs.held(terminal, "k", args.presses, runs.counted(args.presses))
        runs.rest_a_moment(terminal)
        tab = []
        for index in range(args.switches):
            sent = terminal.press("\t")
            count = 2 * args.presses + index + 1
            tab.append(terminal.wait_for(lambda lines: screen.bare_count(lines) == count, "a tab") - sent)
            runs.rest_a_moment(terminal)
        return {"j": j, "k": k, "tab": tab, "rss": [terminal.rss_mib()]}


def run(args: argparse.Namespace) -> Table:
    table = Table()
    with tempfile.TemporaryDirectory(prefix="directus-inbox-bench-home-") as tmp:
        home = Path(tmp)
        runs.compile_app()
        bench_imports(table, args.rounds)
        bench_embedded(table, args, home)
        if not args.no_server:
            bench_server(table, args, home)
    table.note(
        f"{args.size:,} notifications; {args.rounds} starts each; {args.presses} key events per held key "
        f"at 30/s; {args.switches} tab switches; terminal 120×40 (pty)."
    )
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    table = run(args)
    print(table.render(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
