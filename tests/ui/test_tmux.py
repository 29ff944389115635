"""The installed ``directus-inbox`` command in a real terminal (tmux): it opens, moves, switches, quits.

The test's own tmux server (its socket in the test's temporary directory) keeps it apart from any
tmux the developer runs, and the command gets the test's temporary home, so it opens a fresh
embedded demo inbox.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.embedded.seed import MENTION_EXAMPLE

TMUX = shutil.which("tmux")
# In CI tmux is installed by .ci/run, and this test must run there.
pytestmark = pytest.mark.skipif(TMUX is None and os.environ.get("CI") != "true", reason="tmux is not installed")


def console_script() -> str:
    installed = Path(sys.executable).parent / "directus-inbox"
    return str(installed) if installed.exists() else shutil.which("directus-inbox") or "directus-inbox"


class Terminal:
    def __init__(self, socket: Path, session: str) -> None:
        self.socket = socket
        self.session = session

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None, "tmux is not installed"
        return subprocess.run([TMUX, "-S", str(self.socket), *args], capture_output=True, text=True, timeout=30)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session).stdout

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{self.screen()}")

    @property
    def running(self) -> bool:
        return self.tmux("has-session", "-t", self.session).returncode == 0


@pytest.fixture
def terminal(isolated_dirs, tmp_path):
    term = Terminal(tmp_path / "tmux.sock", "inbox")
    env = {
        "XDG_DATA_HOME": isolated_dirs / "data",
        "XDG_CONFIG_HOME": isolated_dirs / "config",
        "XDG_STATE_HOME": isolated_dirs / "state",
        "TERM": "xterm-256color",
    }
    # COLUMNS/LINES (set by some runners) would override the size of the tmux window.
    command = "env -u COLUMNS -u LINES " + " ".join(f"{name}={shlex.quote(str(value))}" for name, value in env.items())
    command += f" {shlex.quote(console_script())}"
    started = term.tmux("new-session", "-d", "-s", term.session, "-x", "120", "-y", "40", command)
    assert started.returncode == 0, started.stderr
    yield term
    term.tmux("kill-server")


POSITION = re.compile(r"(?<![\d,])(\d[\d,]*)/(\d[\d,]*)(?= *(?:▏|$))", re.MULTILINE)
"""The cursor's position at the end of the status line ("1/219"), before the preview pane's edge."""
"""The status line under the list: the cursor's row, of how many."""


def position(screen: str) -> tuple[int, int] | None:
    found = POSITION.search(screen)
    return (int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))) if found else None


def test_the_installed_command_opens_moves_switches_and_quits(terminal):
    def inbox_shown(screen: str) -> bool:
        shown = position(screen)
        return MENTION_EXAMPLE["subject"] in screen and shown is not None and f"Inbox {shown[1]}" in screen

    screen = terminal.wait_for(inbox_shown, "the inbox, with its count on the tab")
    assert "embedded inbox (no server configured)" in screen.splitlines()[0]
    shown = position(screen)
    assert shown is not None
    row, inbox_total = shown
    assert row == 1

    terminal.press("j")
    terminal.wait_for(lambda s: position(s) == (2, inbox_total), "the cursor on row 2")

    terminal.press("2")
    screen = terminal.wait_for(lambda s: "To inbox" in s.splitlines()[-1], "the Archived tab")
    assert MENTION_EXAMPLE["subject"] not in screen.splitlines()[3]

    terminal.press("q")
    deadline = time.monotonic() + 15
    while terminal.running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not terminal.running, "q quits the app (and so ends the tmux session)"
