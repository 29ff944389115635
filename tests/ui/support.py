"""What the TUI tests share: inboxes with fixed data, a fixed clock, and ways to wait and to look.

``seeded_inbox`` fills an embedded inbox with the demo data of ``app.embedded.seed`` dated relative
to ``FIXED_NOW``, and the app is given the same clock and UTC, so what the screen shows ("3m",
"Sat 14 Mar 2026, 09:30 UTC") is the same on every run: snapshots can compare it.
"""

from __future__ import annotations

import html
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from rich.cells import cell_len
from textual.app import App
from textual.geometry import Region
from textual.message import Message
from textual.pilot import Pilot

from app.config import Settings
from app.embedded import EmbeddedBackend
from app.embedded import seed as demo
from app.embedded.schema import SCHEMA
from app.models import Notification, Page, Query
from app.ui.app import InboxApp
from app.ui.live import GROUP as LIVE_GROUP
from app.ui.widgets.preview import Preview

FIXED_NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
MENTION_SUBJECT = demo.MENTION_EXAMPLE["subject"]
SIZE = (120, 40)


Backend = TypeVar("Backend", bound=EmbeddedBackend)


@overload
def seeded_inbox(path: Path, count: int) -> EmbeddedBackend: ...
@overload
def seeded_inbox(path: Path, count: int, backend_class: type[Backend]) -> Backend: ...
def seeded_inbox(path: Path, count: int, backend_class: type[EmbeddedBackend] = EmbeddedBackend) -> EmbeddedBackend:
    """An embedded inbox holding ``count`` demo notifications, the newest dated ``FIXED_NOW``
    (``count=0``: the demo users and an empty inbox)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
        demo.seed(conn, count, now=FIXED_NOW)
    return backend_class(path)


class CountingBackend(EmbeddedBackend):
    """The embedded inbox, remembering every list query it answered (to prove paging is lazy)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.list_queries: list[Query] = []

    async def list_notifications(self, query: Query) -> Page:
        self.list_queries.append(query)
        return await super().list_notifications(query)


def inbox_app(backend, settings: Settings | None = None, *, live: bool = False) -> InboxApp:
    """The app on *backend* with a fixed clock in UTC. It follows the server by itself only with
    ``live=True``: elsewhere the lists change when the test says so."""
    app = InboxApp(backend, settings or Settings(), clock=lambda: FIXED_NOW, tz=UTC, live=live)
    # The tabs' underline glides to a new width when a count arrives; a snapshot must not catch
    # it half-way.
    app.animation_level = "none"
    return app


def run(app: InboxApp, size: tuple[int, int] = SIZE, messages: list[Message] | None = None):
    """``app.run_test`` with the toasts on (a test run leaves them out unless asked); every
    message the app handles is appended to ``messages`` if given."""
    return app.run_test(size=size, notifications=True, message_hook=messages.append if messages is not None else None)


async def settle(pilot: Pilot) -> None:
    """Wait until no worker runs and the screen has stopped changing (the messages the workers
    posted are handled, and what they set off, such as the tabs' underline, is drawn)."""
    app = pilot.app
    shown = None
    for _ in range(100):
        # The live inbox's worker runs for as long as the app: what it reports is waited for
        # through the screen, like the rest.
        working = [worker for worker in app.workers if worker.group != LIVE_GROUP]
        if working:  # (an empty list would mean every worker, the live one included)
            await app.workers.wait_for_complete(working)
        await pilot.pause()
        drawing = any(preview.drawing for preview in app.screen.query(Preview))
        if not drawing and all(worker.is_finished for worker in app.workers if worker.group != LIVE_GROUP):
            now_shown = screen_text(app)
            if now_shown == shown:
                return
            shown = now_shown
    raise AssertionError("the app kept working (or changing the screen)")


_SVG_TEXT = re.compile(r'<text [^>]*\bx="([0-9.]+)"[^>]*clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>')
_CELL_WIDTH = 12.2
"""Rich's SVG export draws each cell 0.61 of its 20 px font wide."""


def screen_text(app: App[Any]) -> str:
    """The text on the terminal, as the user reads it (toasts and dialogs included).

    Read from ``App.export_screenshot``, the public way to see the screen: each run of text in the
    SVG names its line, and its x is its column."""
    width, height = app.size
    cells = [[" "] * width for _ in range(height)]
    for x, line, text in _SVG_TEXT.findall(app.export_screenshot()):
        row, column = int(line), round(float(x) / _CELL_WIDTH)
        for character in html.unescape(text).replace("\xa0", " "):
            if row < height and column < width:
                cells[row][column] = character
                for extra in range(1, cell_len(character)):
                    if column + extra < width:
                        cells[row][column + extra] = ""
            column += max(1, cell_len(character))
    return "\n".join("".join(line).rstrip() for line in cells) + "\n"


def text_in(app: InboxApp, region: Region) -> str:
    """The words shown in a region of the screen, wrapped lines joined, borders left out."""
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    words = " ".join(_cells(line, region.x, region.right) for line in lines).translate(_BORDERS)
    return " ".join(words.split())


_BORDERS = str.maketrans(dict.fromkeys("▌▏█▀▄▁▔", " "))


def _cells(line: str, start: int, end: int) -> str:
    taken, position = [], 0
    for character in line:
        if start <= position < end:
            taken.append(character)
        position += cell_len(character)
    return "".join(taken)


def toasts(app: InboxApp) -> str:
    """The notifications on screen, as text (each on one line)."""
    return "\n".join(text_in(app, toast.region) for toast in app.screen.query("Toast"))


def rows(app: InboxApp) -> list[str]:
    """The visible rows of the list on screen, as text."""
    notification_list = app.main.current_list
    height = notification_list.scrollable_content_region.height
    lines = (notification_list.render_line(y).text.rstrip() for y in range(height))
    return [line for line in lines if line.strip()]


def cursor_subject(app: InboxApp) -> str | None:
    current = app.main.current_list.current
    return current.subject if current is not None else None


def row_at(app: InboxApp, row: int) -> Notification:
    """The notification on a row of the list in front; the row must be loaded."""
    notification = app.main.current_list.cache.get(row)
    assert notification is not None, f"row {row} is not loaded"
    return notification


def under_cursor(app: InboxApp) -> Notification:
    """The notification under the cursor; there must be one."""
    notification = app.main.current_list.current
    assert notification is not None, "no notification is under the cursor"
    return notification


def previewed(app: InboxApp) -> Notification:
    """The notification the preview shows; there must be one."""
    notification = app.main.query_one(Preview).notification
    assert notification is not None, "the preview shows no notification"
    return notification
