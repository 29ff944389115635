"""The preview of a long message: its start at once, the whole text soon after, worked out once."""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import Static

from app.embedded import EmbeddedBackend
from app.models import NotificationDraft
from app.ui.widgets.preview import FIRST_PART, Preview
from tests.support.waiting import eventually
from tests.ui.support import inbox_app, run, settle, text_in

MEGABYTE = 1_000_000  # (a body of 1,048,576 bytes is the most a Directus server takes)


def long_message() -> str:
    paragraph = "Rows of the nightly export, checked and signed off by the night shift. " * 4
    head = "THE FIRST LINE of a very long report.\n\n"
    body = "\n\n".join(f"{n:05} {paragraph}" for n in range(MEGABYTE // len(paragraph)))
    return (head + body)[:MEGABYTE]


def plain_text(app) -> str:
    plain = app.main.query_one(Preview).query_one("#preview-plain", Static)
    return str(plain.render()) if plain.display else ""


async def test_a_megabyte_message_shows_its_start_at_once_and_the_rest_soon(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=0)
    me = (await backend.me()).id
    message = long_message()
    await backend.create(NotificationDraft(recipient=me, subject="Short one", message="Hello."))
    await backend.create(NotificationDraft(recipient=me, subject="The long report", message=message))
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        preview = app.main.query_one(Preview)
        assert "THE FIRST LINE of a very long report." in text_in(app, preview.region)
        started = time.monotonic()
        await eventually(lambda: "message cut" in plain_text(app), "the whole (cut) text", timeout=30)
        assert "the rest of this long message follows" not in plain_text(app)
        assert len(plain_text(app)) > 10 * FIRST_PART
        worked_out = time.monotonic() - started
        await pilot.press("j")
        await settle(pilot)
        assert "Hello." in text_in(app, preview.region) and not plain_text(app)
        await pilot.press("k")
        await settle(pilot)
        assert "message cut" in plain_text(app), "back on it, the whole text is there at once (worked out once)"
        assert worked_out < 30
    await backend.aclose()


async def test_a_long_message_is_plain_text_never_markup_or_escapes(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=0)
    me = (await backend.me()).id
    hostile = "[bold red]not bold[/] \x1b[31mnot red\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 "
    await backend.create(NotificationDraft(recipient=me, subject="Long and hostile", message=hostile * 200))
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await eventually(lambda: plain_text(app).count("[bold red]not bold[/]") >= 150, "the whole text")
        assert "\x1b" not in plain_text(app) and "\x07" not in plain_text(app)
        assert "[bold red]not bold[/]" in text_in(app, app.main.query_one(Preview).region)
    await backend.aclose()
