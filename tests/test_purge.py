"""Purging old notifications as an admin, against the real server: exact, interruptible, resumable.

Three thousand old notifications: some made through the API and set back in time with an admin's
PATCH (what a real server allows), the rest written straight into the test server's database
(``tests.support.seeding``). Beside them, rows the purge must leave: recent ones, old ones still in
the inbox, and another user's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.api.auth import StaticToken
from app.api.rest import RestBackend
from app.errors import ForbiddenError
from app.models import ARCHIVED, INBOX
from app.purge import PurgeCriteria, parse_age, plan_purge, run_purge
from tests.support.cli_process import ROOT, run_cli
from tests.support.directus_server import RunningServer
from tests.support.fault_proxy import DirectAdmin
from tests.support.seeding import remove_rows, server_rows

THROUGH_THE_API = 200
WRITTEN = 2800
CRITERIA = PurgeCriteria(archived=True, older_than=timedelta(days=90))


@dataclass
class Seeded:
    marker: str
    oldest: datetime
    newest: datetime
    kept: list[int]
    """Rows the purge must leave: recent archived ones, old ones in the inbox, the user's."""

    @property
    def count(self) -> int:
        return THROUGH_THE_API + WRITTEN


def matching(admin: DirectAdmin, directus: RunningServer, marker: str) -> int:
    """How many of the seeded rows the purge's criteria match, asked of the server directly."""
    cutoff = (datetime.now(UTC) - timedelta(days=90)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    rows = admin.notifications(
        {
            "_and": [
                {"subject": {"_starts_with": marker}},
                {"status": {"_eq": ARCHIVED}},
                {"timestamp": {"_lt": cutoff}},
                {"recipient": {"_eq": directus.admin.id}},
            ]
        }
    )
    return len(rows)


@pytest.fixture
def seeded(directus: RunningServer, directus_admin: DirectAdmin) -> Iterator[Seeded]:
    marker = f"purge-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC).replace(microsecond=0)
    oldest, newest = now - timedelta(days=700), now - timedelta(days=100)
    # Through the API, then back in time with an admin's PATCH of each row's timestamp.
    made = directus_admin.create(directus.admin.id, [f"{marker} api {i}" for i in range(THROUGH_THE_API)])
    stamps = [newest - timedelta(hours=i) for i in range(THROUGH_THE_API)]
    patch = [
        {
            "id": row["id"],
            "status": ARCHIVED,
            "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        for row, when in zip(made, stamps, strict=True)
    ]
    directus_admin.http.patch("/notifications", json=patch).raise_for_status()
    stored = directus_admin.get(made[0]["id"])
    assert stored is not None and stored["timestamp"] == patch[0]["timestamp"]  # an admin may set it
    span = (stamps[-1] - oldest).total_seconds()
    written = [(oldest + timedelta(seconds=span * i / WRITTEN), ARCHIVED) for i in range(WRITTEN)]
    server_rows(directus, directus.admin.id, written, marker)
    server_rows(directus, directus.admin.id, [(now - timedelta(days=10), ARCHIVED)] * 5, f"{marker} recent")
    server_rows(directus, directus.admin.id, [(oldest, INBOX)] * 5, f"{marker} inbox")
    server_rows(directus, directus.user.id, [(oldest, ARCHIVED)] * 5, f"{marker} user's")
    left_alone = [{"subject": {"_starts_with": f"{marker} {kind} "}} for kind in ("recent", "inbox", "user's")]
    kept = [row["id"] for row in directus_admin.notifications({"_or": left_alone})]
    assert len(kept) == 15
    yield Seeded(marker, oldest, newest, kept)
    remove_rows(directus, marker)
    directus_admin.delete([row["id"] for row in made])


async def test_the_plan_states_exactly_what_and_an_interrupted_purge_resumes(
    directus: RunningServer, directus_admin: DirectAdmin, seeded: Seeded
):
    backend = RestBackend(directus.url, StaticToken(directus.admin.token), timeout=60)
    try:
        plan = await plan_purge(backend, CRITERIA)
        assert plan.count == seeded.count == matching(directus_admin, directus, seeded.marker)
        assert plan.oldest == seeded.oldest and plan.newest == seeded.newest
        assert plan.describe().startswith("3,000 notifications (archived, older than 90 days (before ")

        # Interrupted (as ctrl+c cancels it) right after its first chunk.
        reports: list[tuple[int, int]] = []

        def progress(done: int, total: int) -> None:
            reports.append((done, total))
            if done:
                purging.cancel()

        purging = asyncio.ensure_future(run_purge(backend, plan, progress=progress))
        with pytest.raises(asyncio.CancelledError):
            await purging
        assert reports[-1] == (500, 3000)
        assert matching(directus_admin, directus, seeded.marker) == 2500

        # Run again: it plans what is left, and deletes exactly that.
        plan = await plan_purge(backend, CRITERIA)
        assert plan.count == 2500
        result = await run_purge(backend, plan)
        assert result.complete and result.deleted == 2500
        assert matching(directus_admin, directus, seeded.marker) == 0
        assert sorted(directus_admin.statuses(seeded.kept)) == sorted(seeded.kept)  # nothing else
        assert (await plan_purge(backend, CRITERIA)).count == 0
    finally:
        await backend.aclose()


async def test_a_role_that_may_not_delete_is_refused_before_anything(directus: RunningServer):
    backend = RestBackend(directus.url, StaticToken(directus.user.token))
    try:
        with pytest.raises(ForbiddenError, match="may not delete notifications, so it cannot purge"):
            await plan_purge(backend, CRITERIA)
    finally:
        await backend.aclose()


def config_for(directus: RunningServer, folder: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'[profiles.admin]\nurl = "{directus.url}"\ntoken = "{directus.admin.token}"\n'
        f'[profiles.user]\nurl = "{directus.url}"\ntoken = "{directus.user.token}"\n'
    )
    config.chmod(0o600)
    return config


def test_the_command_interrupted_with_ctrl_c_and_run_again(
    directus: RunningServer, directus_admin: DirectAdmin, seeded: Seeded, tmp_path: Path
):
    config = config_for(directus, tmp_path)
    argv = ["--config", str(config), "--profile", "admin", "purge", "--archived", "--older-than", "90d"]

    dry = run_cli(*argv, "--dry-run", "--all-users")
    assert dry.code == 0 and dry.out.startswith("Would delete 3,005 notifications (archived, older than 90 days (")
    assert "of every user you may read)" in dry.out
    assert matching(directus_admin, directus, seeded.marker) == 3000

    refused = run_cli(*argv)  # no terminal, no --yes
    assert refused.code == 2 and "Pass --yes to delete 3,000 notifications" in refused.err

    environment = {key: value for key, value in os.environ.items() if not key.startswith("DIRECTUS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *argv, "--yes"],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while matching(directus_admin, directus, seeded.marker) == 3000:  # wait for the first chunk to go
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    left = matching(directus_admin, directus, seeded.marker)
    assert process.returncode == 130, (out, err)
    # The chunk in flight when ctrl+c came may or may not have gone: the server was asked.
    assert f"stopped: {3000 - left:,} of 3,000 deleted (the server holds {left:,} of them); run the same" in err
    assert 0 < left < 3000 and "Traceback" not in err

    again = run_cli(*argv, "--yes")
    assert again.code == 0, again.err
    assert again.out.strip() == f"Deleted {left:,} notifications."
    assert f"deleting {left:,} notifications (archived" in again.err
    assert matching(directus_admin, directus, seeded.marker) == 0
    assert sorted(directus_admin.statuses(seeded.kept)) == sorted(seeded.kept)

    user = run_cli("--config", str(config), "--profile", "user", "purge", "--archived", "--yes")
    assert user.code == 1 and "Your role may not delete notifications, so it cannot purge them" in user.err


def test_ages_and_criteria():
    assert parse_age("90d") == timedelta(days=90) and parse_age("2w") == timedelta(weeks=2)
    assert parse_age("1y") == timedelta(days=365) and parse_age("30min") == timedelta(minutes=30)
    for bad in ("90", "3m", "0d", "-1d", "1.5d", "d"):
        with pytest.raises(ValueError, match="units: min, h, d, w, y"):
            parse_age(bad)
    with pytest.raises(ValueError, match="needs --archived, --older-than"):
        PurgeCriteria()
