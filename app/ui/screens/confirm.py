"""A yes/no dialog for what cannot be undone: it states exactly what will happen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from app.ui import keys
from app.ui.keys import KeySection


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with ``True`` (y, or the confirm button) or ``False`` (n, esc, or Cancel).

    Cancel has the focus, so a stray enter does not destroy anything."""

    BINDINGS = keys.CONFIRM

    def __init__(self, question: str, *, detail: Content | None = None, confirm_label: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(self.question), id="question")
            if self.detail is not None:
                yield Static(self.detail, id="detail")
            with Horizontal(id="buttons"):
                yield Button(Content(f"{self.confirm_label} (y)"), variant="error", id="confirm")
                yield Button(Content("Cancel (n)"), id="cancel")

    def key_sections(self) -> list[KeySection]:
        return [KeySection("This question", self, keys.CONFIRM)]

    def unavailable_reason(self, action: str) -> str | None:
        return None

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
