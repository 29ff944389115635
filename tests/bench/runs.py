"""What the benchmark does in the terminal: start the app, hold keys, switch tabs, search, bulk-change.

Every figure is whole-process, in a pty (``tests.bench.terminal``): from the moment the command is
started, or a key is written to the terminal, to the moment the terminal receives the screen that
answers it. Each floor is measured in the same run, in the same way.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from app.bulk import plural
from tests.bench import screen
from tests.bench.terminal import KEYS, Terminal

KEY_REPEAT = 1 / 30
"""Seconds between the key events of a held key (a terminal's usual 30 per second)."""

BARE_SCRIPT = Path(__file__).with_name("bare.py")


def app_command() -> str:
    installed = Path(sys.executable).parent / "directus-inbox"
    return str(installed) if installed.exists() else "directus-inbox"


def isolated_env(home: Path) -> dict[str, str]:
    """The user's environment, with a throw-away home for config and data and no Directus settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DIRECTUS_")}
    # An installed app has its bytecode compiled (pip does it); a development shell that forbids
    # writing it would make every start compile the app from source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for variable, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[variable] = str(home / sub)
    return env


def spawn_app(home: Path, *args: str) -> Terminal:
    return Terminal([app_command(), *args], env=isolated_env(home))


def spawn_bare(home: Path) -> Terminal:
    return Terminal([sys.executable, str(BARE_SCRIPT)], env=isolated_env(home))


def bare_shown(lines: list[str]) -> bool:
    return screen.bare_count(lines) == 0


def first_page(total: int | None, first_subject: str | None = None) -> Callable[[list[str]], bool]:
    """The list shows row 1 of *total* (any total, if ``None``), loaded (its subject, if given)."""

    def shown(lines: list[str]) -> bool:
        where = screen.position(lines)
        if where is None or where[0] != 1 or (total is not None and where[1] != total):
            return False
        rows = screen.rows(lines)
        if first_subject is not None:
            return any(first_subject[:30] in row for row in rows)
        return bool(rows) and "loading…" not in rows[0] and rows[0].strip() != ""

    return shown


def time_to(spawn: Callable[[], Terminal], shown: Callable[[list[str]], bool]) -> float:
    """Seconds from starting the command to the screen meeting *shown*."""
    with spawn() as terminal:
        return terminal.wait_for(shown, "the first screen") - terminal.started


def raw_get(url: str, token: str, params: Mapping[str, Any], rounds: int) -> list[float]:
    """A raw GET on a fresh connection each time, as a program starting up makes it."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            client.get("/notifications", params=dict(params)).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


# --- held keys ------------------------------------------------------------------------------------


def held(
    terminal: Terminal, key: str, presses: int, reached: Callable[[list[str], int], bool], timeout: float = 60.0
) -> list[float]:
    """Key-to-screen seconds of each of *presses* key events sent at key-repeat pace.

    Key k is answered by the first screen that meets ``reached(lines, k)``; a screen that answers
    several keys at once (the app fell behind and caught up) answers each of them then.
    """
    data = KEYS.get(key, key)
    sent: list[float] = []
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + presses * KEY_REPEAT + timeout
    while len(latencies) < presses and time.perf_counter() < deadline:
        if len(sent) < presses:
            next_send = started + len(sent) * KEY_REPEAT
            if time.perf_counter() >= next_send:
                sent.append(terminal.press(data))
                continue
            wait = next_send - time.perf_counter()
        else:
            wait = deadline - time.perf_counter()
        arrived = terminal._read(wait)
        if arrived is None:
            continue
        lines = terminal.lines
        while len(latencies) < len(sent) and reached(lines, len(latencies) + 1):
            latencies.append(arrived - sent[len(latencies)])
    if len(latencies) < presses:
        raise AssertionError(f"only {len(latencies)} of {presses} {key} answered; the screen:\n{terminal.text()}")
    return latencies


def moved(start_row: int, step: int) -> Callable[[list[str], int], bool]:
    def reached(lines: list[str], k: int) -> bool:
        where = screen.position(lines)
        if where is None:
            return False
        return where[0] >= start_row + k if step > 0 else where[0] <= start_row - k

    return reached


def counted(start: int) -> Callable[[list[str], int], bool]:
    def reached(lines: list[str], k: int) -> bool:
        count = screen.bare_count(lines)
        return count is not None and count >= start + k

    return reached


# --- the inbox session ------------------------------------------------------------------------------


def rest_a_moment(terminal: Terminal) -> None:
    terminal.settle(quiet=0.15, timeout=3)


def compile_app() -> None:
    """Compile the app's bytecode, as installing it does (an editable install leaves it to the first run)."""
    import compileall

    import app

    compileall.compile_dir(Path(app.__file__).parent, quiet=1)


def megabyte_preview(
    terminal: Terminal, subject: str, first_line: str, archived_total: int, archived_row_1: str, inbox_total: int
) -> tuple[float, float]:
    """Key-to-screen of the 1 MB message (row 2 of Archived), the first time and again after moving away.

    Starts and ends in the Inbox, once the app answers again."""

    def shown(lines: list[str]) -> bool:
        text = screen.preview(lines)
        return subject in text and first_line[:30] in text

    def row_1_shown(lines: list[str]) -> bool:
        text = screen.preview(lines)
        return archived_row_1 in text and first_line[:30] not in text and "Hello, please have a look" in text

    terminal.press("2")
    terminal.wait_for(lambda lines: screen.position(lines) == (1, archived_total) and row_1_shown(lines), "Archived")
    rest_a_moment(terminal)
    sent = terminal.press("j")
    first = terminal.wait_for(shown, "the 1 MB message in the preview", timeout=300) - sent
    rest_a_moment(terminal)
    terminal.press("k")
    terminal.wait_for(row_1_shown, "the preview of row 1", timeout=300)
    rest_a_moment(terminal)
    sent = terminal.press("j")
    again = terminal.wait_for(shown, "the 1 MB message again", timeout=300) - sent
    rest_a_moment(terminal)
    terminal.press("k")
    terminal.wait_for(row_1_shown, "the preview of row 1", timeout=300)
    terminal.press("1")
    terminal.wait_for(lambda lines: screen.position(lines) == (1, inbox_total), "the inbox", timeout=60)
    rest_a_moment(terminal)
    return first, again


def tab_switches(
    terminal: Terminal, switches: int, inbox_total: int, archived_total: int, archived_text: str
) -> list[float]:
    def archived(lines: list[str]) -> bool:
        return screen.position(lines) == (1, archived_total) and screen.shows_row(lines, archived_text)

    def inbox(lines: list[str]) -> bool:
        where = screen.position(lines)
        return where is not None and where[1] == inbox_total and not screen.shows_row(lines, archived_text)

    times = []
    for index in range(switches):
        sent = terminal.press(KEYS["tab"])
        times.append(terminal.wait_for(archived if index % 2 == 0 else inbox, "the other tab") - sent)
        rest_a_moment(terminal)
    if switches % 2:
        terminal.press(KEYS["tab"])
        terminal.wait_for(inbox, "the inbox again")
        rest_a_moment(terminal)
    return times


def page_through(terminal: Terminal, pages: int, total: int, last_subject: str) -> float:
    """PgDn *pages* times at key-repeat pace, then G to the last row; the app's RSS in MiB then."""
    for _ in range(pages):
        terminal.press(KEYS["pagedown"])
        terminal.pump(time.perf_counter() + KEY_REPEAT)
    terminal.press("G")

    def at_the_end(lines: list[str]) -> bool:
        return screen.position(lines) == (total, total) and screen.shows_row(lines, last_subject[:30])

    terminal.wait_for(at_the_end, "the last row", timeout=120)
    rest_a_moment(terminal)
    rss = terminal.rss_mib()
    terminal.press("g")
    terminal.wait_for(lambda lines: (screen.position(lines) or (0, 0))[0] == 1, "the first row")
    rest_a_moment(terminal)
    return rss


def search(terminal: Terminal, term: str, matches: int, inbox_total: int) -> float:
    """From enter to the first page of results on screen (the search starts from no search)."""
    terminal.press("/")
    terminal.wait_for(lambda lines: screen.anywhere(lines, "Search subjects"), "the search box")
    terminal.press(term)
    terminal.wait_for(lambda lines: screen.anywhere(lines, term), "the typed term")

    def results(lines: list[str]) -> bool:
        return screen.position(lines) == (1, matches) and screen.shows_row(lines, term)

    sent = terminal.press(KEYS["enter"])
    return terminal.wait_for(results, "the search results", timeout=120) - sent


def clear_search(terminal: Terminal, inbox_total: int) -> None:
    terminal.press(KEYS["escape"])
    terminal.wait_for(lambda lines: screen.position(lines) == (1, inbox_total), "the whole inbox again", timeout=60)
    rest_a_moment(terminal)


def select_all_matching(terminal: Terminal, count: int) -> None:
    terminal.press("*")
    if count > 100:
        terminal.wait_for(lambda lines: "100 selected" in screen.status(lines), "100 selected")
        terminal.press("*")
        wanted = f"All {count:,} selected"
    else:
        wanted = f"{count:,} selected"
    terminal.wait_for(lambda lines: wanted in screen.status(lines), wanted)


def until_done(terminal: Terminal, sent: float, done_text: str, timeout: float) -> tuple[float, bool]:
    """Seconds from *sent* until *done_text* shows, and whether a progress bar was seen meanwhile."""
    progress = False

    def done(lines: list[str]) -> bool:
        nonlocal progress
        progress = progress or "%" in screen.status(lines)
        return screen.anywhere(lines, done_text)

    finished = terminal.wait_for(done, done_text, timeout=timeout)
    return finished - sent, progress


def bulk_archive(terminal: Terminal, count: int) -> tuple[float, bool]:
    select_all_matching(terminal, count)
    sent = terminal.press("a")
    return until_done(terminal, sent, f"{plural(count)} archived", timeout=60 + count / 50)


def bulk_delete(terminal: Terminal, count: int, term: str) -> tuple[float, bool]:
    terminal.press("2")

    def archived_results(lines: list[str]) -> bool:
        return screen.position(lines) == (1, count) and screen.shows_row(lines, term)

    terminal.wait_for(archived_results, "the archived search results", timeout=300)
    rest_a_moment(terminal)
    select_all_matching(terminal, count)
    terminal.press("d")
    terminal.wait_for(lambda lines: screen.anywhere(lines, f"Delete {count:,} notification"), "the question")
    sent = terminal.press("y")
    return until_done(terminal, sent, f"{plural(count)} deleted", timeout=60 + count / 50)


# --- raw batch requests (the floors of the bulk figures) -----------------------------------------------


def raw_batches(url: str, token: str, method: str, keys: list[int], chunk: int, data: object | None) -> float:
    """Seconds for *keys* in batch requests of *chunk* keys, one after another, on one connection."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
        started = time.perf_counter()
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            body = {"keys": part, "data": data} if method == "PATCH" else part
            client.request(method, "/notifications", json=body).raise_for_status()
        return time.perf_counter() - started
