"""The tabs over the list: Inbox and Archived, then the saved views, each with the server's count."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widgets import Tab, Tabs

from app.models import ARCHIVED, INBOX, Folder

TAB_TITLES: dict[Folder, str] = {INBOX: "Inbox", ARCHIVED: "Archived"}


class FolderTab(Tab):
    def on_resize(self, event: events.Resize) -> None:
        # Tabs moves its underline as soon as a label changes, which can be before the tab has
        # its new width ("Inbox" -> "Inbox 1,234"); telling it again once the width is known
        # keeps the underline as wide as the label.
        self.post_message(self.Relabelled(self))


class FolderTabs(Tabs, can_focus=False):
    """Switched with keys (tab, 1, 2) or a click; the list keeps the focus."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(*(FolderTab(title, id=tab) for tab, title in TAB_TITLES.items()), active=INBOX, id=id)

    def set_count(self, tab: Folder, count: int | None) -> None:
        shown = "…" if count is None else f"{count:,}"
        folder_tab = self.get_tab(tab)
        if folder_tab is not None:
            folder_tab.label = f"{TAB_TITLES[tab]} {shown}"

    def set_view(self, tab_id: str, name: str, shown: str) -> None:
        """Show a saved view's tab (added after the others if new) with its count as *shown*."""
        label = Content.assemble(Content(name), f" {shown}")  # the name as written, never markup
        existing = self.get_tab(tab_id)
        if existing is None:
            self.add_tab(FolderTab(label, id=tab_id))
        else:
            existing.label = label
