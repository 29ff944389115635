"""The preview pane: who sent the notification under the cursor, when, about what, and its message.

The header is built from cleaned server strings as ``Content`` (never parsed as markup); the
message goes through ``app.message.to_markdown`` into Textual's ``Markdown`` widget, whose links
are handed to the app (``LinkClicked``) rather than opened blindly.
"""

from __future__ import annotations

from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Markdown, Static

from app.message import to_markdown
from app.models import ARCHIVED, INBOX, Notification, UserRef
from app.sanitize import clean_line
from app.timefmt import local_time
from app.ui import keys
from app.ui.user_names import UserNames

LABEL_WIDTH = 6
SETTLE_DELAY = 0.05
"""Seconds the cursor must rest on a notification before its message is laid out."""


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

    def compose(self) -> ComposeResult:
        yield Static(Content("Nothing to show."), id="preview-header")
        yield Markdown(id="preview-body", open_links=False)

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
        if self._settle is not None:
            self._settle.stop()
        self._settle = self.set_timer(SETTLE_DELAY, self._draw)

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
        notification = self.notification
        if notification is None:
            self.query_one("#preview-header", Static).update(Content(self._empty_text))
            markdown = ""
        else:
            self.refresh_names()
            markdown = to_markdown(notification.message) or "*No message.*"
        if markdown != self._markdown:
            self._markdown = markdown
            # Not awaited, and not in a worker: an update cancelled half-way through its mounting
            # (as an exclusive worker would be by the next move) left blocks whose messages were
            # never processed, and the app waited on them forever.
            self.query_one("#preview-body", Markdown).update(markdown)
        self.scroll_home(animate=False)


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
