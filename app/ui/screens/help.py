"""Every key in one place: what it does, and why it is unavailable when it is."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from app.ui import keys
from app.ui.keys import KeySection

KEYS_WIDTH = 12


@dataclass(frozen=True)
class HelpLine:
    section: str
    """The heading it goes under (the screen or widget whose key it is)."""
    keys: str
    """The keys as the user types them now (after their keymap)."""
    text: str
    unavailable: str | None = None
    """Why the action cannot be taken at the moment, if it cannot."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = keys.HELP

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

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Help", self, keys.HELP)]

    def unavailable_reason(self, action: str) -> str | None:
        return None

    def action_close(self) -> None:
        self.dismiss(None)


def help_content(lines: list[HelpLine]) -> Group:
    """Under each section's heading, keys on the left and what they do on the right (wrapped under
    itself). Every cell is a ``Text``, never a markup string."""
    parts: list[Text | Table] = []
    table: Table | None = None
    section = None
    for line in lines:
        if table is None or line.section != section:
            section = line.section
            parts.append(Text(("\n" if parts else "") + section, style="bold underline"))
            table = Table.grid(padding=(0, 2))
            table.add_column(no_wrap=True, min_width=KEYS_WIDTH, style="bold")
            table.add_column(ratio=1)
            parts.append(table)
        text = Text(line.text)
        if line.unavailable:
            text.append(f"\nUnavailable: {line.unavailable}", style="italic")
        table.add_row(Text(line.keys), text)
    return Group(*parts)
