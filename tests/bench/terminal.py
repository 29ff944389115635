"""A real terminal for the benchmark: a pseudo-terminal of 120×40 that the benchmark drives.

The program under test runs on the slave side of a pty, as in any terminal emulator; this side
reads what it writes as it arrives, feeds it to ``pyte`` (a VT emulator) and so knows what the
screen shows at the moment each write arrived. That is what a user sees, to the millisecond,
without the polling a ``tmux capture-pane`` loop would add (and the CPU it would take from the
program on a 2-core machine).
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyte

COLUMNS, LINES = 120, 40

Condition = Callable[[list[str]], bool]
"""A test on the screen's lines."""


class TerminalTimeout(AssertionError):
    pass


class Terminal:
    """One program in a pty; ``wait_for`` answers when (``time.perf_counter``) the screen changed so."""

    def __init__(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)},
            cwd=cwd,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the pty is its controlling terminal
        )
        os.close(slave)
        self.master = master
        self.closed = False

    # --- reading ------------------------------------------------------------------------------------
    @property
    def lines(self) -> list[str]:
        return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines)

    def _read(self, timeout: float) -> float | None:
        """Read what arrived within *timeout* s; the moment it arrived, or ``None`` if nothing did."""
        if self.closed:
            return None
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return None
        arrived = time.perf_counter()
        try:
            data = os.read(self.master, 1 << 20)
        except OSError:  # the program exited and the pty is gone
            data = b""
        if not data:
            self.closed = True
            return None
        self.stream.feed(data)
        return arrived

    def wait_for(self, condition: Condition, what: str, timeout: float = 60.0) -> float:
        """The moment the screen first met *condition* (it may already have)."""
        if condition(self.lines):
            return time.perf_counter()
        deadline = time.perf_counter() + timeout
        while (remaining := deadline - time.perf_counter()) > 0:
            arrived = self._read(remaining)
            if arrived is not None and condition(self.lines):
                return arrived
            if self.closed:
                break
        raise TerminalTimeout(f"timed out waiting for {what}; the screen was:\n{self.text()}")

    def settle(self, quiet: float = 0.25, timeout: float = 10.0) -> None:
        """Wait until the program has written nothing for *quiet* seconds."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and self._read(quiet) is not None:
            pass

    def pump(self, until: float) -> float | None:
        """Read until the moment *until*; the arrival time of the last write, if any."""
        last = None
        while (remaining := until - time.perf_counter()) > 0:
            arrived = self._read(remaining)
            if arrived is not None:
                last = arrived
        return last

    # --- writing ------------------------------------------------------------------------------------
    def press(self, keys: str | bytes) -> float:
        """Type *keys*; the moment they were written."""
        data = keys.encode() if isinstance(keys, str) else keys
        sent = time.perf_counter()
        os.write(self.master, data)
        return sent

    # --- the process --------------------------------------------------------------------------------
    def rss_mib(self) -> float:
        """The program's resident memory, as the kernel counts it."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if not self.closed:
            self.closed = True
        try:
            os.close(self.master)
        except OSError:
            pass

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


KEYS = {
    "down": "\x1b[B",
    "up": "\x1b[A",
    "pagedown": "\x1b[6~",
    "pageup": "\x1b[5~",
    "tab": "\t",
    "enter": "\r",
    "escape": "\x1b",
}
"""What a terminal sends for the named keys."""
