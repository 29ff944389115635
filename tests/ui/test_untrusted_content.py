"""Text from the server is shown as text: no terminal escape, no markup, no action, no reordering.

A hostile sender puts ESC sequences (a clear-screen CSI, an OSC 52 clipboard write), Textual
markup with an action (``[@click=app.quit]``), Rich markup and a bidi override into everything
the app shows: subject, message, collection, item, the sender's name, and a server error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import pytest

from app.embedded import EmbeddedBackend
from app.embedded.seed import CURRENT_USER
from app.errors import ForbiddenError
from app.models import Notification, NotificationChanges, NotificationDraft
from app.ui.screens.confirm import ConfirmScreen
from app.ui.widgets.preview import Preview
from tests.ui.support import inbox_app, rows, run, screen_text, settle, text_in, toasts

OSC52 = "\x1b]52;c;cGF3bmVk\x07"
CLEAR = "\x1b[2J"
HOSTILE = f"{OSC52}[@click=app.quit]x[/] {CLEAR}[bold]loud[/bold] \u202eexe.txt"
SHOWN = "[@click=app.quit]x[/] [bold]loud[/bold] exe.txt"
EVE = "eve0000-0000-4000-8000-000000000000"
FORBIDDEN_CHARACTERS = ("\x1b", "\x07", "\u202e", "\x9b")


class RefusingBackend(EmbeddedBackend):
    """A server whose refusal message is itself hostile."""

    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        raise ForbiddenError(f"{CLEAR}[@click=app.quit]no[/] [bold]way[/bold]{OSC52}", code="FORBIDDEN", status=403)


@pytest.fixture
async def backend(tmp_path):
    path = tmp_path / "hostile.sqlite3"
    inbox = RefusingBackend(path, seed=0)
    await inbox.prepare()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO users (id, first_name, last_name, email) VALUES (?, ?, ?, ?)",
            (EVE, f"[@click=app.quit]Eve[/]{CLEAR}", "\u202eliveE", "eve@example.com"),
        )
    await inbox.create(
        NotificationDraft(
            recipient=CURRENT_USER.id,
            sender=EVE,
            subject=HOSTILE,
            collection=f"[red]{CLEAR}articles",
            item=f"1{OSC52}",
            message=f'{HOSTILE}\n\n> [@click=app.quit]quote[/]\n\n<a href="javascript:alert(1)">x</a>',
        )
    )
    yield inbox
    await inbox.aclose()


def assert_inert(text: str) -> None:
    for character in FORBIDDEN_CHARACTERS:
        assert character not in text, f"{character!r} reached the screen"


async def test_hostile_strings_show_literally_and_do_nothing(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        row = rows(app)[0]
        assert row.startswith("  [@click=app.qui…"), "the sender's name, cut to its column"
        assert "[@click=app.quit]x[/] [bold]loud" in row
        preview = text_in(app, app.query_one(Preview).region)
        assert SHOWN in preview
        assert "From [@click=app.quit]Eve[/] liveE <eve@example.com>" in preview
        assert "Item [red]articles · 1" in preview
        assert "[@click=app.quit]quote[/]" in preview
        assert "javascript" not in preview
        assert_inert(screen_text(app))

        # Clicking the text that would carry the action does nothing but move the cursor.
        await pilot.click("#inbox-list", offset=(24, 0))
        await pilot.click("#preview-header", offset=(3, 0))
        await pilot.click("#preview-body", offset=(3, 0))
        await settle(pilot)
        assert app.is_running and app.return_code is None


async def test_hostile_strings_in_the_dialog_and_in_an_error_are_inert(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        dialog = text_in(app, app.screen.query_one("#dialog").region)
        assert f"{SHOWN} from [@click=app.quit]Eve[/] liveE" in dialog
        assert_inert(screen_text(app))
        await pilot.press("n")

        await pilot.press("a")
        await settle(pilot)
        shown = toasts(app)
        assert "[@click=app.quit]no[/] [bold]way[/bold]" in shown
        assert_inert(screen_text(app))
        assert app.is_running
