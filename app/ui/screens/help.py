"""Every key in one place: what it does, and why it is unavailable when it is."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS_WIDTH = 12


@dataclass(frozen=True)
class HelpLine:
    keys: str
    """The keys as the user types them now (after their keymap)."""
    text: str
    unavailable: str | None = None
    """Why the action cannot be taken at the moment, if it cannot."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="help-close")]

    def __init__(self, lines: list[HelpLine]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(
                Content.assemble(("Keys", "bold"), "  (esc closes; ctrl+p finds any action by name)"), id="help-title"
            )
            with VerticalScroll(id="help-keys"):
                yield Static(help_content(self.lines))

    def action_close(self) -> None:
        self.dismiss(None)


def help_content(lines: list[HelpLine]) -> Table:
    """Keys on the left, what they do on the right (wrapped under itself). Every cell is a ``Text``,
    never a markup string."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, min_width=KEYS_WIDTH, style="bold")
    table.add_column(ratio=1)
    for line in lines:
        text = Text(line.text)
        if line.unavailable:
            text.append(f"\nUnavailable: {line.unavailable}", style="italic")
        table.add_row(Text(line.keys), text)
    return table
