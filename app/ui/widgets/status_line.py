"""The line under the list: selection, search, sort order, position, and bulk progress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static


class StatusLine(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static(id="status-text")
        yield ProgressBar(id="status-progress", show_eta=False)

    def show(self, parts: list[Content | str | tuple[str, str]]) -> None:
        """The parts side by side, with a dot between each two."""
        pieces: list[Content | str | tuple[str, str]] = []
        for part in parts:
            if pieces:
                pieces.append(("  ·  ", "$text-muted"))
            pieces.append(part)
        # One line of fixed size: no need to lay the screen out again (this runs on every move).
        self.query_one("#status-text", Static).update(Content.assemble(*pieces), layout=False)

    def show_progress(self, done: int, total: int) -> None:
        bar = self.query_one("#status-progress", ProgressBar)
        bar.display = True
        bar.update(total=total, progress=done)

    def hide_progress(self) -> None:
        self.query_one("#status-progress", ProgressBar).display = False
