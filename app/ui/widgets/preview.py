"""The preview pane: who sent the notification under the cursor, when, about what, and its message.

The header is built from cleaned server strings as ``Content`` (never parsed as markup); the
message goes through ``app.message.to_markdown`` into Textual's ``Markdown`` widget, whose links
are handed to the app (``LinkClicked``) rather than opened blindly.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import tzinfo

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Markdown, Static

from app.message import to_markdown, to_plain_text
from app.models import ARCHIVED, INBOX, Notification, UserRef
from app.sanitize import clean_line
from app.timefmt import local_time
from app.ui import keys
from app.ui.user_names import UserNames

LABEL_WIDTH = 6
SETTLE_DELAY = 0.1
"""Seconds the cursor must rest on a notification before its message is laid out."""
HELD_KEY_DELAY = 0.4
"""The same while moves come faster than a human presses keys (a held j): laying a message out
costs a layout of the whole screen (~100 ms here), and one started mid-burst made the app fall
behind the key repeat, so more drawing started, and the list lagged further."""
HELD_KEY_GAP = 0.15
"""Moves closer together than this are a held key."""
LONG_MESSAGE = 8_000
"""Past this many characters a message is shown as plain text: Textual lays a Markdown document
out block by block (a 1 MB message took 25 s), a text at once."""
FIRST_PART = 3_000
"""Of a long message, this much is shown at once; the rest follows from a thread."""


class Preview(VerticalScroll, can_focus=True):
    """The notification under the cursor. Focus it (enter) to scroll a long message."""

    BINDINGS = keys.PREVIEW

    def __init__(self, *, names: UserNames, tz: tzinfo | None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = names
        self.tz = tz
        self.notification: Notification | None = None
        self._item_url: str | None = None
        self._no_link_reason = ""
        self._markdown: str | None = None
        self._empty_text = "Nothing to show."
        self._settle: Timer | None = None
        self._last_show = 0.0
        self.drawing = False
        """A notification waits to be drawn (the cursor has not rested on it long enough yet)."""

    @dataclass
    class PlainText(Message):
        """A long message's text, worked out in a thread."""

        notification_id: int
        text: str

    def compose(self) -> ComposeResult:
        yield Static(Content("Nothing to show."), id="preview-header")
        yield Markdown(id="preview-body", open_links=False)
        yield Static(id="preview-plain", markup=False)

    def on_mount(self) -> None:
        self.query_one("#preview-plain").display = False

    def show(
        self,
        notification: Notification | None,
        *,
        item_url: str | None,
        no_link_reason: str,
        empty_text: str = "Nothing to show.",
    ) -> None:
        self.notification = notification
        self._item_url = item_url
        self._no_link_reason = no_link_reason
        self._empty_text = empty_text
        # Header and message change the preview's layout, which costs far more than moving the
        # cursor: while the cursor runs down the list (a held j), each move restarts the timer, and
        # only where the cursor stops is drawn.
        now = time.monotonic()
        held = now - self._last_show < HELD_KEY_GAP
        self._last_show = now
        if self._settle is not None:
            self._settle.stop()
        self.drawing = True
        self._settle = self.set_timer(HELD_KEY_DELAY if held else SETTLE_DELAY, self._draw)

    def refresh_names(self) -> None:
        """Draw the header again (also when names for its user ids were learnt)."""
        if self.notification is not None:
            self.query_one("#preview-header", Static).update(
                header_content(
                    self.notification,
                    self.names,
                    tz=self.tz,
                    item_url=self._item_url,
                    no_link_reason=self._no_link_reason,
                )
            )

    def _draw(self) -> None:
        self.drawing = False
        notification = self.notification
        if notification is None:
            self.query_one("#preview-header", Static).update(Content(self._empty_text))
            markdown = ""
        else:
            self.refresh_names()
            message = notification.message or ""
            if len(message) > LONG_MESSAGE:
                self._show_long(notification.id, message)
                return
            markdown = to_markdown(notification.message) or "*No message.*"
        self._show_markdown(markdown)

    def _show_long(self, notification_id: int, message: str) -> None:
        """The first part at once, the whole text when a thread has it (cached: once per message)."""
        cached = LONG_TEXTS.get(message)
        if cached is not None:
            self._show_plain(cached)
        else:
            self._show_plain(f"{to_plain_text(message[:FIRST_PART])}\n\n… (the rest of this long message follows)")
            self._lay_out_long(notification_id, message)
        self.scroll_home(animate=False)

    @work(thread=True, exclusive=True, group="preview-long")
    def _lay_out_long(self, notification_id: int, message: str) -> None:
        self.post_message(self.PlainText(notification_id, long_text(message)))

    @on(PlainText)
    def _plain_text(self, event: PlainText) -> None:
        if self.notification is not None and self.notification.id == event.notification_id:
            self._show_plain(event.text)

    def _show_plain(self, text: str) -> None:
        self.query_one("#preview-body", Markdown).display = False
        plain = self.query_one("#preview-plain", Static)
        plain.update(Content(text))
        plain.display = True

    def _show_markdown(self, markdown: str) -> None:
        self.query_one("#preview-plain", Static).display = False
        self.query_one("#preview-body", Markdown).display = True
        if markdown != self._markdown:
            self._markdown = markdown
            # Not awaited, and not in a worker: an update cancelled half-way through its mounting
            # (as an exclusive worker would be by the next move) left blocks whose messages were
            # never processed, and the app waited on them forever.
            self.query_one("#preview-body", Markdown).update(markdown)
        self.scroll_home(animate=False)


LONG_TEXTS: OrderedDict[str, str] = OrderedDict()
"""Long messages' plain text, by message, the latest few: each is worked out once."""
LONG_TEXTS_KEPT = 16


_LONG_TEXTS_LOCK = threading.Lock()


def long_text(message: str) -> str:
    """A long message as plain text (``to_plain_text``, cleaned), worked out once per message
    (in a thread; the threads of moves the user has made since may still be at work)."""
    with _LONG_TEXTS_LOCK:
        text = LONG_TEXTS.get(message)
    if text is None:
        text = to_plain_text(message)
        with _LONG_TEXTS_LOCK:
            LONG_TEXTS[message] = text
            while len(LONG_TEXTS) > LONG_TEXTS_KEPT:
                LONG_TEXTS.popitem(last=False)
    return text


def header_content(
    notification: Notification, names: UserNames, *, tz: tzinfo | None, item_url: str | None, no_link_reason: str
) -> Content:
    """The preview's header lines. Every server string is cleaned and kept as plain text."""
    subject = clean_line(notification.subject) or "(no subject)"
    lines: list[Content] = [Content.assemble((subject, "bold"))]

    def field(label: str, *value: str | tuple[str, str]) -> None:
        lines.append(Content.assemble((f"{label:<{LABEL_WIDTH}} ", "$text-muted"), *value))

    field("From", person(notification.sender, names))
    field("To", person(notification.recipient, names))
    field("Date", local_time(notification.timestamp, tz))
    if notification.status not in (INBOX, ARCHIVED):
        field("Status", (clean_line(notification.status) or "none", "$text-warning"))
    if notification.collection or notification.item:
        reference = " · ".join(clean_line(part) for part in (notification.collection, notification.item) if part)
        field("Item", reference)
        field("", (item_url, "underline") if item_url else (no_link_reason, "$text-muted"))
    return Content("\n").join(lines)


def person(ref: UserRef | None, names: UserNames) -> str:
    if ref is None:
        return "system (no sender)"
    user = names.user(ref)
    if user is None:
        return names.label(ref)
    return clean_line(user.label) or names.label(ref)
