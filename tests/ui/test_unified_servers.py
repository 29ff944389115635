"""The unified inbox in the TUI over two real Directus 12.4.0 servers, one of them stopped mid-session.

``work`` is the session's server (``directus``) as its ordinary user, ``staging`` a second server
(``second_directus``, from ``tests/unified/conftest.py``) as its own ordinary user. What each server
then holds is asked of it directly, as its admin.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from textual.widgets import Static

from app.api.auth import StaticToken
from app.api.rest import RestBackend
from app.config import Settings
from app.models import ARCHIVED, INBOX
from app.unified import UnifiedBackend
from tests.support.directus_server import RunningServer
from tests.support.fault_proxy import DirectAdmin
from tests.support.waiting import eventually
from tests.ui.support import inbox_app, rows, run, screen_text, settle, toasts
from tests.unified.conftest import second_directus, shared_second_directus  # noqa: F401 - fixtures

pytestmark = pytest.mark.server


@pytest.fixture
async def admins(directus: RunningServer, second_directus: RunningServer) -> AsyncIterator[dict[str, DirectAdmin]]:  # noqa: F811
    both = {
        "work": DirectAdmin(directus.url, directus.admin.token),
        "staging": DirectAdmin(second_directus.url, second_directus.admin.token),
    }
    yield both
    for admin in both.values():
        admin.close()


def user_backend(server: RunningServer) -> RestBackend:
    return RestBackend(server.url, StaticToken(server.user.token), timeout=10)


async def test_a_server_stopped_mid_session_keeps_its_rows_marked_and_rejoins(
    directus: RunningServer,
    second_directus: RunningServer,  # noqa: F811
    admins: dict[str, DirectAdmin],
):
    mark = f"uiunified{uuid.uuid4().hex[:8]}"
    work_rows = admins["work"].create(directus.user.id, [f"{mark} w{i}" for i in range(3)])
    staging_rows = admins["staging"].create(second_directus.user.id, [f"{mark} s{i}" for i in range(2)])
    unified = UnifiedBackend(
        {"work": user_backend(directus), "staging": user_backend(second_directus)}, patience=3, retry_delays=(0.2, 1)
    )
    app = inbox_app(unified, Settings(poll_interval=1), live=True)
    try:
        async with run(app) as pilot:
            await settle(pilot)
            await pilot.press("slash", *mark, "enter")
            await settle(pilot)
            assert sorted(line.split()[0] for line in rows(app)) == ["stag"] * 2 + ["work"] * 3
            await eventually(lambda: "● Live" in screen_text(app), "both servers followed live")

            second_directus.stop()
            await eventually(lambda: "staging unreachable" in screen_text(app), "the status line naming staging")
            # The line goes on with work's state (cut on a narrow screen: the unreachable one comes first).
            whole_line = str(app.main.query_one("#status-text", Static).content)
            assert "● Live" in whole_line and "Offline" not in whole_line

            # Work goes on: the newest work row archived; the list, fetched afresh, keeps staging's rows, marked.
            work_row = next(row for row, line in enumerate(rows(app)) if line.split()[0] == "work")
            app.main.current_list.move_cursor(work_row)
            archived = app.main.current_list.current
            assert archived is not None
            await pilot.press("a")
            await settle(pilot)
            assert "1 notification archived (1 on work)." in toasts(app)
            assert admins["work"].statuses([archived.native_id]) == {archived.native_id: ARCHIVED}  # type: ignore[attr-defined]
            labels = sorted(line.split()[0] for line in rows(app))
            assert labels == ["stag!"] * 2 + ["work"] * 2
            assert "staging unreachable" in screen_text(app)

            second_directus.start()
            await eventually(
                lambda: "unreachable" not in screen_text(app) and "stag!" not in "".join(rows(app)),
                "staging rejoined by itself",
                timeout=60,
            )
            assert sorted(line.split()[0] for line in rows(app)) == ["stag"] * 2 + ["work"] * 2
            assert set(admins["staging"].statuses([row["id"] for row in staging_rows]).values()) == {INBOX}
    finally:
        if not second_directus.running:
            second_directus.start()
        await unified.aclose()
        admins["work"].delete([row["id"] for row in work_rows])
        admins["staging"].delete([row["id"] for row in staging_rows])
