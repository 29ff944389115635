"""Naming a saved view: the current search and filters, kept in the config file as ``[views.NAME]``."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from app.config import check_view_name
from app.ui import keys
from app.ui.keys import KeySection


class SaveViewScreen(ModalScreen[str | None]):
    """Dismisses with the view's name (checked), or ``None``."""

    BINDINGS = keys.SAVE_VIEW

    def __init__(self, what: str, *, name: str = "", existing: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.what = what
        self.initial = name
        self.existing = existing

    def compose(self) -> ComposeResult:
        with Vertical(id="save-view-dialog"):
            yield Static(Content("Save as a view"), id="save-view-title")
            yield Static(Content(self.what), id="save-view-what")
            yield Input(self.initial, placeholder="A name for the view, such as shop", id="save-view-name")
            yield Static(id="save-view-note")

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Saving a view", self, keys.SAVE_VIEW)]

    def unavailable_reason(self, action: str) -> str | None:
        return None

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#save-view-name")
    def _typed(self, event: Input.Changed) -> None:
        note = "This replaces the saved view of that name." if event.value in self.existing else ""
        self.query_one("#save-view-note", Static).update(Content(note))

    @on(Input.Submitted, "#save-view-name")
    def _named(self, event: Input.Submitted) -> None:
        try:
            name = check_view_name(event.value.strip())
        except ValueError as error:
            self.query_one("#save-view-note", Static).update(Content(f"Not saved: {error}."))
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
