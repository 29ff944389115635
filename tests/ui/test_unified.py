"""The unified inbox in the TUI: several profiles' inboxes in one list, each row tagged with its profile.

Two embedded inboxes stand for two servers here (the unified backend treats every backend alike);
two real Directus servers, one of them stopped mid-session, are in ``test_unified_servers.py``.
"""

from __future__ import annotations

import pytest

from app.embedded import EmbeddedBackend
from app.models import INBOX, Query
from app.ui.screens.confirm import ConfirmScreen
from app.unified import UnifiedBackend
from tests.ui.support import inbox_app, rows, run, screen_text, seeded_inbox, settle, toasts


@pytest.fixture
async def unified(tmp_path):
    both = UnifiedBackend(
        {
            "work": seeded_inbox(tmp_path / "work.sqlite3", 3),
            "staging": seeded_inbox(tmp_path / "staging.sqlite3", 2),
        }
    )
    yield both
    await both.aclose()


async def statuses(backend: EmbeddedBackend) -> dict[int, str]:
    page = await backend.list_notifications(Query(limit=-1))
    return {item.id: item.status for item in page.items}


async def test_both_inboxes_show_in_one_list_each_row_tagged_with_counts_per_server(unified):
    work, staging = unified.member("work"), unified.member("staging")
    assert isinstance(work, EmbeddedBackend) and isinstance(staging, EmbeddedBackend)
    in_work = [key for key, status in (await statuses(work)).items() if status == INBOX]
    in_staging = [key for key, status in (await statuses(staging)).items() if status == INBOX]
    app = inbox_app(unified)
    async with run(app) as pilot:
        await settle(pilot)
        shown = rows(app)
        assert len(shown) == len(in_work) + len(in_staging)
        labels = [line.split()[0] for line in shown]
        assert labels.count("work") == len(in_work) and labels.count("stag") == len(in_staging)
        assert f"work {len(in_work)} stag {len(in_staging)}" in screen_text(app)
        assert f"Inbox {len(in_work) + len(in_staging)}" in screen_text(app)

        # One row of each server selected, archived with one key: each on its own server.
        first_work = next(row for row, label in enumerate(labels) if label == "work")
        first_staging = next(row for row, label in enumerate(labels) if label == "stag")
        for row in (first_work, first_staging):
            app.main.current_list.move_cursor(row)
            await pilot.press("space")
        await pilot.press("a")
        await settle(pilot)
        assert "2 notifications archived (1 on work, 1 on staging)." in toasts(app)
    for backend, before in ((work, in_work), (staging, in_staging)):
        now_in_inbox = [key for key, status in (await statuses(backend)).items() if status == INBOX]
        assert len(now_in_inbox) == len(before) - 1 and set(now_in_inbox) < set(before)


async def test_a_delete_across_servers_asks_and_reports_per_server(unified):
    work, staging = unified.member("work"), unified.member("staging")
    assert isinstance(work, EmbeddedBackend) and isinstance(staging, EmbeddedBackend)
    before = {name: len(await statuses(backend)) for name, backend in (("work", work), ("staging", staging))}
    app = inbox_app(unified)
    async with run(app) as pilot:
        await settle(pilot)
        labels = [line.split()[0] for line in rows(app)]
        for label in ("work", "stag"):
            app.main.current_list.move_cursor(labels.index(label))
            await pilot.press("space")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Delete 2 notifications (1 on work, 1 on staging)? This cannot be undone."
        await pilot.press("y")
        await settle(pilot)
        assert "2 notifications deleted (1 on work, 1 on staging)." in toasts(app)
    assert len(await statuses(work)) == before["work"] - 1
    assert len(await statuses(staging)) == before["staging"] - 1
