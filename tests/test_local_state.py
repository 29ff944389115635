"""Snoozes and "last seen", kept on this machine (``app/local_state.py``): private, atomic, shared
safely by the TUI and the CLI, and whole after a crash."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.local_state import LastSeen, StateFile, state_dir
from app.models import Notification
from tests.support.waiting import eventually

NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
ROOT = Path(__file__).resolve().parent.parent


def test_snoozes_wait_then_fall_due_and_survive_a_new_instance():
    state = StateFile.for_account("https://cms.example.com", "user-1")
    state.snooze([3, 4], NOW + HOUR)
    state.snooze([5], NOW + 2 * HOUR)
    state.snooze([4], NOW - HOUR)  # snoozed again: the new moment wins
    again = StateFile.for_account("https://cms.example.com", "user-1").load()
    assert again.waiting(NOW) == {3: NOW + HOUR, 5: NOW + 2 * HOUR}
    assert again.due(NOW) == {4: NOW - HOUR}
    assert again.next_due(NOW) == NOW + HOUR
    assert list(again.waiting(NOW + 90 * timedelta(minutes=1))) == [5]
    state.unsnooze([3, 99])
    assert set(state.load().snoozes) == {4, 5}


def test_each_account_has_its_own_state():
    StateFile.for_account("https://a.example.com", "u").snooze([1], NOW + HOUR)
    assert StateFile.for_account("https://b.example.com", "u").load().snoozes == {}
    assert StateFile.for_account("https://a.example.com", "other").load().snoozes == {}


def test_a_snooze_needs_an_aware_moment():
    with pytest.raises(ValueError, match="aware"):
        StateFile.for_account("x", "u").snooze([1], datetime(2026, 11, 26, 18))


def test_the_state_is_private_whatever_the_umask():
    old = os.umask(0o022)
    try:
        state = StateFile.for_account("https://cms.example.com", "u")
        state.snooze([1], NOW + HOUR)
    finally:
        os.umask(old)
    assert state.path.parent == state_dir()
    assert stat.S_IMODE(state_dir().stat().st_mode) == 0o700
    assert stat.S_IMODE(state_dir().parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o600
    assert [path.name for path in state_dir().iterdir() if path.suffix == ".tmp"] == []


def test_the_file_is_plain_json_in_utc():
    state = StateFile.for_account("x", "u")
    state.snooze([7], datetime(2026, 11, 26, 18, tzinfo=UTC) + timedelta(hours=0))
    state.mark_seen(NOW, newest_id=42)
    assert json.loads(state.path.read_text()) == {
        "version": 1,
        "snoozes": {"7": "2026-11-26T18:00:00Z"},
        "last_seen": "2026-11-26T14:30:00Z",
        "newest_seen_id": 42,
    }


def test_a_failed_write_leaves_the_previous_state(monkeypatch):
    state = StateFile.for_account("x", "u")
    state.snooze([1], NOW + HOUR)

    def no_rename(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError, match="No space"):
        state.snooze([2], NOW + HOUR)
    monkeypatch.undo()
    assert set(state.load().snoozes) == {1}
    assert [path.name for path in state.path.parent.iterdir() if path.suffix == ".tmp"] == []


def test_an_unreadable_file_is_set_aside_and_the_state_starts_empty():
    state = StateFile.for_account("x", "u")
    state.snooze([1], NOW + HOUR)
    state.path.write_text('{"snoozes": {"1": "not a time"')
    assert state.load().snoozes == {}
    assert state.recovered is not None and state.recovered.read_text().startswith('{"snoozes"')
    state.snooze([2], NOW + HOUR)
    assert set(state.load().snoozes) == {2}


def test_last_seen_never_moves_back():
    state = StateFile.for_account("x", "u")
    assert state.load().last_seen is None
    state.mark_seen(NOW, newest_id=40)
    state.mark_seen(NOW - HOUR, newest_id=12)  # another window, opened earlier
    assert state.load().last_seen == LastSeen(NOW, 40)
    state.mark_seen(NOW + HOUR)
    assert state.load().last_seen == LastSeen(NOW + HOUR, 40)


def test_what_is_new_is_told_by_id_when_known_else_by_time():
    by_id = LastSeen(NOW, newest_id=40)
    late_clock = Notification(id=41, timestamp=NOW - HOUR)  # a server clock behind this machine's
    assert by_id.is_new(late_clock) and not by_id.is_new(Notification(id=40, timestamp=NOW + HOUR))
    assert by_id.new_filter() == {"id": {"_gt": 40}}
    by_time = LastSeen(NOW)
    assert by_time.is_new(Notification(id=1, timestamp=NOW + HOUR)) and not by_time.is_new(Notification(id=2))
    assert by_time.new_filter() == {"timestamp": {"_gt": "2026-11-26T14:30:00.000Z"}}


def writer(path: Path, first: int, count: int) -> subprocess.Popen[bytes]:
    """Another process snoozing ids first .. first+count-1, one change at a time."""
    code = textwrap.dedent(
        f"""
        from datetime import UTC, datetime
        from pathlib import Path
        from app.local_state import StateFile
        state = StateFile(Path({str(path)!r}))
        for key in range({first}, {first + count}):
            state.snooze([key], datetime(2030, 1, 1, tzinfo=UTC))
        """
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


def test_two_processes_changing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "state.json"
    writers = [writer(path, 0, 60), writer(path, 1000, 60)]
    assert [process.wait(timeout=120) for process in writers] == [0, 0]
    assert set(StateFile(path).load().snoozes) == {*range(60), *range(1000, 1060)}


async def test_a_process_killed_mid_write_leaves_a_whole_state(tmp_path):
    path = tmp_path / "state.json"
    process = writer(path, 0, 100_000)
    try:
        await eventually(lambda: len(StateFile(path).load().snoozes) > 200, "200 snoozes written", timeout=60)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    state = StateFile(path)
    snoozes = state.load().snoozes
    assert state.recovered is None
    assert len(snoozes) > 200 and set(snoozes) == set(range(len(snoozes)))
