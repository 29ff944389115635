"""The profile picker: the config file's profiles, each with its Inbox count where known.

Enter on one switches the whole app to it (``app.ui.profiles.ProfileSwitcher``); esc closes. The
names and addresses come from the config file; they are shown as plain text, never as markup.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.sanitize import clean_line
from app.ui import keys
from app.ui.keys import KeySection
from app.ui.profiles import ProfileChoice

CURRENT_MARK = "● "
NOT_CURRENT = "  "


def choice_line(choice: ProfileChoice, name_width: int) -> Content:
    count = "Inbox …" if choice.inbox_count is None else f"Inbox {choice.inbox_count:,}"
    return Content.assemble(
        (CURRENT_MARK if choice.current else NOT_CURRENT, "$text-accent"),
        (clean_line(choice.name).ljust(name_width), "bold"),
        "  ",
        (count.ljust(12), "$text-success" if choice.inbox_count else ""),
        (clean_line(choice.location), "$text-muted"),
    )


class ProfilePicker(ModalScreen[str | None]):
    """Dismisses with the chosen inbox's key (``ProfileChoice.key``), or ``None`` (esc)."""

    BINDINGS = keys.PROFILE_PICKER

    def __init__(self, choices: list[ProfileChoice]) -> None:
        super().__init__()
        self.choices = choices

    def compose(self) -> ComposeResult:
        width = max(len(clean_line(choice.name)) for choice in self.choices)
        with Vertical(id="profiles-dialog"):
            yield Static(Content.assemble(("Switch profile", "bold"), "  (enter switches, esc closes)"))
            yield OptionList(
                *(Option(choice_line(choice, width), id=str(index)) for index, choice in enumerate(self.choices)),
                id="profiles",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = next((i for i, choice in enumerate(self.choices) if choice.current), 0)
        options.focus()

    def key_sections(self) -> list[KeySection]:
        return [KeySection("Profiles", self, keys.PROFILE_PICKER)]

    def unavailable_reason(self, action: str) -> str | None:
        return None

    @on(OptionList.OptionSelected, "#profiles")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index].key)

    def action_close(self) -> None:
        self.dismiss(None)
