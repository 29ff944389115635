"""The top line: the app, who the user is, and which inbox this is."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from app.sanitize import clean_line

APP_LABEL = "directus-inbox"


class InboxHeader(Static):
    """``directus-inbox   Uma User · cms.example.com``. The name and host come from the server, so
    they are cleaned and kept as plain text."""

    def show(self, who: str, where: str) -> None:
        self.update(
            Content.assemble(
                (f" {APP_LABEL} ", "bold"),
                "  ",
                (clean_line(who), "bold"),
                " · ",
                clean_line(where),
            )
        )
