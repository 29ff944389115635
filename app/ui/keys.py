"""Every key of the app, in one place, grouped by the screen or widget that owns it.

Each binding has an id (rebind it in the config file's ``[keymap]``: ``archive = "e"``), the action
it runs on its owner, a short label (footer and command palette) and a help line (the help screen,
``?``, and the palette). A class takes its group: ``BINDINGS = keys.LIST``. The help screen and the
command palette list the groups of the screen in front (``KeySection``), so a key added here is
documented, searchable and rebindable at once; ``tests/ui/test_keys.py`` walks them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.dom import DOMNode


def key(
    keys: str, action: str, label: str, help_line: str, *, id: str, show: bool = True, priority: bool = False
) -> Binding:
    """A binding with everything the help screen, the palette and ``[keymap]`` need."""
    return Binding(keys, action, label, show=show, priority=priority, id=id, tooltip=help_line)


APP: list[BindingType] = [
    key("question_mark,f1", "help", "Help", "Show every key", id="help"),
    key("q", "quit", "Quit", "Quit", id="quit"),
    key(
        "ctrl+p",
        "command_palette",
        "Commands",
        "Find any action (and the themes) by name",
        id="command-palette",
        show=False,
        priority=True,
    ),
    key(
        "P",
        "switch_profile",
        "Profiles",
        "Switch to another profile of the config file (the one you leave stays as it was)",
        id="switch-profile",
        show=False,
    ),
]
"""Keys that work wherever no dialog takes them (the App's)."""

TRIAGE: list[BindingType] = [
    key(
        "f",
        "filter",
        "Filter",
        "Filter by sender, collection or time; each choice shows its count from the server",
        id="filter",
    ),
    key("F", "clear_filters", "Clear filters", "Clear the filters (the search stays)", id="clear-filters", show=False),
    key(
        "V",
        "save_view",
        "Save view",
        "Save the search and filters as a named view: a tab of its own, kept in the config file",
        id="save-view",
        show=False,
    ),
    key(
        "z",
        "snooze",
        "Snooze",
        "Hide the selection (or the cursor's) from the Inbox until a time",
        id="snooze",
        show=False,
    ),
    key(
        "Z",
        "show_snoozed",
        "Snoozed",
        "List what is snoozed, with the time each comes back",
        id="show-snoozed",
        show=False,
    ),
    key("n", "next_new", "Next new", "Go to the next notification marked new (•)", id="next-new", show=False),
    key(
        "v",
        "overview",
        "Overview",
        "Counts by collection and sender as bars, and per day as a sparkline; a bar filters",
        id="overview",
        show=False,
    ),
]
"""Triage in the inbox view (``app.ui.triage.Triage``), listed with the view's own keys."""

MAIN_VIEW: list[BindingType] = [
    key(
        "tab",
        "next_tab",
        "Next tab",
        "Switch to the next tab: Inbox, Archived, then the saved views",
        id="next-tab",
        show=False,
        priority=True,
    ),
    key("1", "show_tab('inbox')", "Inbox", "Show the Inbox tab", id="show-inbox", show=False),
    key("2", "show_tab('archived')", "Archived", "Show the Archived tab", id="show-archived", show=False),
    key("enter", "read", "Read", "Focus the preview to scroll the message (esc goes back)", id="read"),
    key("escape", "back", "Back", "Leave the preview, clear the selection, or clear the search", id="back", show=False),
    key("a", "archive", "Archive", "Archive the selection (or the notification under the cursor)", id="archive"),
    key(
        "a",
        "unarchive",
        "To inbox",
        "In Archived: move the selection (or the cursor's) back to the Inbox",
        id="unarchive",
    ),
    key(
        "d,delete",
        "delete",
        "Delete",
        "Delete the selection (or the notification under the cursor), after you confirm",
        id="delete",
    ),
    key("u", "undo", "Undo", "Undo the last archive, move to the inbox, or snooze", id="undo", show=False),
    key("slash", "search", "Search", "Search subjects and messages on the server", id="search"),
    key("s", "toggle_sort", "Sort", "Sort newest or oldest first", id="toggle-sort", show=False),
    key("ctrl+r,f5", "refresh", "Refresh", "Load the lists and counts again", id="refresh"),
    key(
        "o",
        "open_item",
        "Open",
        "Open the referenced item in the browser (over SSH: show its link)",
        id="open-item",
        show=False,
    ),
    key("y", "copy_link", "Copy link", "Copy the referenced item's link to the clipboard", id="copy-link", show=False),
    key("c", "compose", "Compose", "Write a new notification", id="compose"),
    key("r", "reply", "Reply", "Reply to the sender of this notification", id="reply", show=False),
    key(
        "X",
        "purge",
        "Purge old notifications",
        "As an admin: delete archived or old notifications, after counting them and asking",
        id="purge",
        show=False,
    ),
    *TRIAGE,
]
"""The inbox view's own keys (``app.ui.screens.main.MainScreen``)."""

LIST: list[BindingType] = [
    key("j,down", "cursor_down", "Down", "Move down the list", id="cursor-down", show=False),
    key("k,up", "cursor_up", "Up", "Move up the list", id="cursor-up", show=False),
    key("g,home", "cursor_first", "Top", "Go to the first notification", id="cursor-first", show=False),
    key(
        "G,end",
        "cursor_last",
        "Bottom",
        "Go to the last notification (loads only the last page)",
        id="cursor-last",
        show=False,
    ),
    key("pageup", "page_up", "Page up", "Move up one screen", id="page-up", show=False),
    key("pagedown", "page_down", "Page down", "Move down one screen", id="page-down", show=False),
    key(
        "space",
        "toggle_selection",
        "Select",
        "Select or unselect the notification under the cursor",
        id="toggle-selection",
    ),
    key(
        "asterisk",
        "select_all",
        "Select all",
        "Select every loaded notification; press again for all matching on the server",
        id="select-all",
        show=False,
    ),
    key(
        "T",
        "toggle_threads",
        "Threads",
        "Threads by item on or off: rows about the same item on a page fold into one",
        id="toggle-threads",
        show=False,
    ),
    key(
        "x",
        "toggle_thread",
        "Expand thread",
        "Expand or fold the thread under the cursor (archive and delete on a folded one take it all)",
        id="toggle-thread",
        show=False,
    ),
]
"""Moving and selecting in a list (``app.ui.widgets.notification_list.NotificationList``)."""

PREVIEW: list[BindingType] = [
    key("j", "scroll_down", "Scroll down", "Scroll the message down", id="preview-scroll-down", show=False),
    key("k", "scroll_up", "Scroll up", "Scroll the message up", id="preview-scroll-up", show=False),
]
"""Scrolling a message once ``enter`` has moved into the preview (``app.ui.widgets.preview.Preview``)."""

CONFIRM: list[BindingType] = [
    key("y", "confirm", "Yes", "Do it", id="confirm-yes"),
    key("n,escape", "cancel", "No", "Do nothing and close the question", id="confirm-no"),
]
"""A yes/no question (``app.ui.screens.confirm.ConfirmScreen``)."""

FILTER_PICKER: list[BindingType] = [
    key("escape", "cancel", "Close", "Close the filter picker without changing the filters", id="filter-cancel"),
    key(
        "ctrl+t",
        "type_range",
        "Type a range",
        "Type a time range, such as 2d or 2026-03-01..2026-03-10",
        id="filter-type-range",
    ),
]
"""The filter picker (``app.ui.screens.filters.FilterScreen``)."""

SAVE_VIEW: list[BindingType] = [
    key("escape", "cancel", "Close", "Close without saving the view", id="save-view-cancel"),
]
"""Naming a view to save (``app.ui.screens.save_view.SaveViewScreen``)."""

SNOOZE: list[BindingType] = [
    key("escape", "cancel", "Close", "Close without snoozing", id="snooze-cancel"),
    key("ctrl+t", "type_time", "Type a time", "Type a time, such as 2h or tomorrow 14:00", id="snooze-type-time"),
]
"""Until when to snooze (``app.ui.screens.snooze.SnoozeScreen``)."""

SNOOZED: list[BindingType] = [
    key("escape,Z", "close", "Close", "Close the list of snoozed notifications", id="snoozed-close"),
    key("u", "wake", "Back now", "Bring the highlighted notification back to the Inbox now", id="snoozed-wake"),
]
"""The Snoozed view (``app.ui.screens.snooze.SnoozedScreen``)."""

OVERVIEW: list[BindingType] = [
    key("escape,v", "close", "Close", "Close the overview and go back to the list", id="overview-close"),
]
"""The overview of a tab (``app.ui.screens.overview.OverviewScreen``); enter on a bar filters by it."""

HELP: list[BindingType] = [key("escape,q,question_mark,f1", "close", "Close", "Close the help", id="help-close")]
"""The help screen (``app.ui.screens.help.HelpScreen``)."""

COMPOSE: list[BindingType] = [
    key("escape", "cancel", "Close", "Close the dialog; what you typed stays saved as a draft.", id="compose-cancel"),
    key("ctrl+s", "send", "Send", "Send one notification to each recipient.", id="compose-send", priority=True),
    key(
        "ctrl+e",
        "edit_in_editor",
        "Editor",
        "Edit the message in $VISUAL or $EDITOR.",
        id="compose-editor",
        priority=True,
    ),
    key(
        "f2,ctrl+t",
        "toggle_preview",
        "Preview",
        "Show the message as the recipient will see it, or go back to editing.",
        id="compose-preview",
    ),
    key(
        "ctrl+r",
        "discard_draft",
        "Discard draft",
        "Throw away what you typed and start over (asks first).",
        id="compose-discard-draft",
    ),
]
"""The compose dialog (``app.ui.screens.compose.ComposeScreen``)."""

RECIPIENT_ENTRY: list[BindingType] = [
    key(
        "down",
        "suggestions",
        "Suggestions",
        "Move into the suggested users; enter takes one.",
        id="compose-suggestions",
    ),
    key(
        "escape",
        "close_suggestions",
        "Close suggestions",
        "Close the suggested users and keep typing.",
        id="compose-close-suggestions",
        show=False,
    ),
    key(
        "backspace",
        "delete_left_or_recipient",
        "Delete left, or the last recipient",
        "In an empty To field: remove the last recipient.",
        id="compose-remove-recipient",
        show=False,
    ),
]
"""The To field of the compose dialog (``app.ui.widgets.recipient_input.RecipientEntry``)."""

SUGGESTIONS: list[BindingType] = [
    key("escape", "back", "Back to typing", "Leave the suggestions without taking one.", id="compose-suggestions-back"),
]
"""The suggested recipients (``app.ui.widgets.recipient_input.RecipientSuggestions``)."""

PROFILE_PICKER: list[BindingType] = [
    key("escape,q", "close", "Close", "Close the profiles and stay where you are", id="profiles-close"),
]
"""The profile picker (``app.ui.screens.profiles.ProfilePicker``); enter switches to the highlighted one."""

PURGE: list[BindingType] = [
    key(
        "ctrl+s",
        "count",
        "Count",
        "Count what the criteria match (the exact number, the oldest and the newest), then ask",
        id="purge-count",
        priority=True,
    ),
    key(
        "escape",
        "cancel",
        "Close / stop",
        "Close the dialog; while deleting, stop (the server is then asked what was deleted)",
        id="purge-cancel",
    ),
]
"""The purge dialog (``app.ui.screens.purge.PurgeScreen``)."""

GROUPS = (
    APP,
    MAIN_VIEW,
    LIST,
    PREVIEW,
    CONFIRM,
    FILTER_PICKER,
    SAVE_VIEW,
    SNOOZE,
    SNOOZED,
    OVERVIEW,
    HELP,
    COMPOSE,
    RECIPIENT_ENTRY,
    SUGGESTIONS,
    PROFILE_PICKER,
    PURGE,
)


def bindings(group: list[BindingType]) -> list[Binding]:
    """The bindings of a group (all of them are ``Binding``s; Textual's type also allows tuples)."""
    return [binding for binding in group if isinstance(binding, Binding)]


ALL = [binding for group in GROUPS for binding in bindings(group)]


def binding(binding_id: str) -> Binding:
    """The binding with this id, as defined here (before the user's keymap)."""
    return next(binding for binding in ALL if binding.id == binding_id)


@dataclass(frozen=True)
class KeySection:
    """A group of keys as the help screen and the palette show them, and the node that runs them."""

    title: str
    owner: DOMNode
    group: list[BindingType]

    @property
    def bindings(self) -> list[Binding]:
        return bindings(self.group)
