"""The To field of the compose dialog: chosen recipients as chips, and suggestions as you type.

Typing searches ``backend.users(search=...)`` in a worker, a moment after the last key; the
matches drop down below the field. ``down`` moves into them and ``enter`` takes one. ``enter`` on
typed text (a name, an e-mail or a user id) resolves it with ``app.compose.resolve_recipients``,
the same code the CLI's ``send`` uses. ``@role:NAME`` (a role's name or id) adds every active
member of that role whom the sender may read (``backend.role_members``, as ``send --to-role``), and
the line under the chips says how many will receive it. Names come from other people: they are
shown as ``Content``, never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from app.backend import InboxBackend
from app.compose import ComposeError, resolve_recipients
from app.drafts import DraftRecipient
from app.errors import as_inbox_error
from app.models import User
from app.sanitize import clean_line
from app.ui import keys

SEARCH_DELAY = 0.25
"""Seconds after the last key before the server is asked for matching users."""

MAX_SUGGESTIONS = 8

CHIP_STYLE = "bold $text-primary on $primary-muted"

ROLE_PREFIX = "@role:"
"""Typed before a role's name (or id) in the To field: every active member of the role is added."""


def role_named(text: str) -> str | None:
    """The role typed as ``@role:NAME``, or ``None`` for anything else."""
    if not text.casefold().startswith(ROLE_PREFIX):
        return None
    return text[len(ROLE_PREFIX) :].strip()


def recipients_text(count: int) -> str:
    return f"{count:,} recipient{'' if count == 1 else 's'}"


def recipient_for(user: User) -> DraftRecipient:
    return DraftRecipient(id=user.id, label=clean_line(user.display_name))


class RecipientEntry(Input):
    """The text part of the To field: ``down`` moves into the suggestions, and backspace in an
    empty field removes the last recipient."""

    BINDINGS = keys.RECIPIENT_ENTRY

    class RemoveLast(Message):
        """Backspace was pressed with nothing left to delete."""

    class ToSuggestions(Message):
        """Down was pressed: the user wants to pick from the suggestions."""

    class CloseSuggestions(Message):
        """Escape was pressed while suggestions were shown."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("suggestions", "close_suggestions"):
            # Only while there are suggestions: otherwise the key does what it does in the dialog
            # (escape closes it).
            return self.query_ancestor(RecipientInput).suggestions_open()
        return True

    def action_suggestions(self) -> None:
        self.post_message(self.ToSuggestions())

    def action_close_suggestions(self) -> None:
        self.post_message(self.CloseSuggestions())

    def action_delete_left_or_recipient(self) -> None:
        if not self.value and self.cursor_position == 0:
            self.post_message(self.RemoveLast())
        else:
            self.action_delete_left()


class RecipientSuggestions(OptionList):
    """The users matching what is typed; escape goes back to typing."""

    BINDINGS = keys.SUGGESTIONS

    class Back(Message):
        """The user left the suggestions without taking one."""

    def action_back(self) -> None:
        self.post_message(self.Back())


class RecipientInput(Vertical, can_focus=False):
    """Recipients as chips above an input that suggests users by name or e-mail."""

    @dataclass
    class Changed(Message):
        """The recipients or the typed text changed."""

        recipient_input: RecipientInput

        @property
        def control(self) -> RecipientInput:
            return self.recipient_input

    @dataclass
    class UsersFound(Message):
        query: str
        users: list[User]

    @dataclass
    class Resolved(Message):
        text: str
        users: list[User]

    @dataclass
    class RoleExpanded(Message):
        """``@role:NAME`` was typed: its active members the sender may read."""

        text: str
        role: str
        users: list[User]
        inactive: int

    @dataclass
    class Problem(Message):
        """Something the user typed is not a recipient; ``problem`` says why (``None``: it is fine now)."""

        problem: str | None

    def __init__(self, backend: InboxBackend, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend = backend
        self._recipients: list[DraftRecipient] = []
        self._search_timer: Timer | None = None
        self._users: dict[str, User] = {}
        self._roles: list[str] = []
        """What each role added, for the count line ("role Editor: 2 users")."""

    def compose(self) -> ComposeResult:
        yield Static(id="recipient-chips", markup=False)
        yield RecipientEntry(
            placeholder=f"Name, e-mail, user id or {ROLE_PREFIX}NAME; enter adds", id="to-entry", compact=True
        )
        yield Static(id="recipient-count", markup=False)
        yield RecipientSuggestions(id="recipient-suggestions")

    def on_mount(self) -> None:
        self._show_chips()
        self.query_one(RecipientSuggestions).display = False

    def suggestions_open(self) -> bool:
        suggestions = self.query_one(RecipientSuggestions)
        return bool(suggestions.display and suggestions.option_count)

    # --- what the dialog reads and sets ----------------------------------------------------------
    @property
    def recipients(self) -> list[DraftRecipient]:
        return list(self._recipients)

    @property
    def text(self) -> str:
        return self.query_one(RecipientEntry).value

    def set_recipients(self, recipients: list[DraftRecipient], text: str = "") -> None:
        self._recipients = list(recipients)
        self._roles = []
        self.query_one(RecipientEntry).value = text
        self._show_chips()

    def focus_entry(self) -> None:
        self.query_one(RecipientEntry).focus()

    # --- chips -----------------------------------------------------------------------------------
    def _show_chips(self) -> None:
        chips = self.query_one("#recipient-chips", Static)
        parts: list[str | tuple[str, str]] = []
        for recipient in self._recipients:
            if parts:
                parts.append(" ")
            parts.append((f" {recipient.label} ", CHIP_STYLE))
        chips.update(Content.assemble(*parts))
        chips.display = bool(self._recipients)
        # How many will receive it, before it is sent: once a role (or more than one user) is in.
        count = self.query_one("#recipient-count", Static)
        many = len(self._recipients) > 1 or bool(self._roles)
        roles = f" ({'; '.join(self._roles)})" if self._roles else ""
        count.update(Content.assemble((recipients_text(len(self._recipients)), "bold"), roles))
        count.display = many and bool(self._recipients)

    def _add(self, users: list[User]) -> None:
        known = {recipient.id.lower() for recipient in self._recipients}
        for user in users:
            if user.id.lower() not in known:
                self._recipients.append(recipient_for(user))
                known.add(user.id.lower())
        self._show_chips()
        self._close_suggestions()
        self.post_message(self.Changed(self))

    @on(RecipientEntry.RemoveLast)
    def _remove_last(self, event: RecipientEntry.RemoveLast) -> None:
        event.stop()
        if self._recipients:
            self._recipients.pop()
            self._show_chips()
            self.post_message(self.Changed(self))

    # --- suggestions -----------------------------------------------------------------------------
    @on(Input.Changed, "#to-entry")
    def _typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = None
        # Suggestions for what was typed before are stale: enter must not pick one of them.
        self._close_suggestions()
        if event.value.strip():
            self._search_timer = self.set_timer(SEARCH_DELAY, self._search_now)

    def _search_now(self) -> None:
        self._search_timer = None
        self._search(self.text.strip())

    @work(exclusive=True, group="recipient-search")
    async def _search(self, query: str) -> None:
        try:
            users = await self.backend.users(search=query, limit=MAX_SUGGESTIONS + len(self._recipients))
        except Exception:  # noqa: BLE001 - a worker reports (or shrugs off) every failure
            # No suggestions, then; what the user typed is still checked when it is added or sent.
            users = []
        self.post_message(self.UsersFound(query, users))

    @on(UsersFound)
    def _show_suggestions(self, event: UsersFound) -> None:
        if event.query != self.text.strip():
            return
        chosen = {recipient.id.lower() for recipient in self._recipients}
        users = [user for user in event.users if user.id.lower() not in chosen][:MAX_SUGGESTIONS]
        suggestions = self.query_one(RecipientSuggestions)
        suggestions.clear_options()
        suggestions.add_options(Option(Content(clean_line(user.label)), id=user.id) for user in users)
        self._users = {user.id: user for user in users}
        suggestions.display = bool(users)
        self.query_one(RecipientEntry).refresh_bindings()

    def _close_suggestions(self) -> None:
        suggestions = self.query_one(RecipientSuggestions)
        suggestions.clear_options()
        suggestions.display = False
        self.query_one(RecipientEntry).refresh_bindings()

    @on(RecipientEntry.CloseSuggestions)
    @on(RecipientSuggestions.Back)
    def _leave_suggestions(self, event: Message) -> None:
        event.stop()
        self._close_suggestions()
        self.focus_entry()

    @on(RecipientEntry.ToSuggestions)
    def _to_suggestions(self, event: RecipientEntry.ToSuggestions) -> None:
        event.stop()
        suggestions = self.query_one(RecipientSuggestions)
        if self.suggestions_open():
            suggestions.highlighted = 0 if suggestions.highlighted is None else suggestions.highlighted
            suggestions.focus()

    @on(OptionList.OptionSelected, "#recipient-suggestions")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        user = self._users.get(event.option.id or "")
        if user is None:
            return
        self.query_one(RecipientEntry).value = ""
        self._add([user])
        self.post_message(self.Problem(None))
        self.focus_entry()

    # --- typed text ------------------------------------------------------------------------------
    @on(Input.Submitted, "#to-entry")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text:
            self._resolve(text)

    @work(exclusive=True, group="recipient-resolve")
    async def _resolve(self, text: str) -> None:
        role = role_named(text)
        if role is not None:
            await self._expand_role(text, role)
            return
        try:
            users = await resolve_recipients(self.backend, [text])
        except ComposeError as error:
            self.post_message(self.Problem(error.message))
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.post_message(self.Problem(clean_line(str(as_inbox_error(failure)))))
        else:
            self.post_message(self.Resolved(text, users))

    async def _expand_role(self, text: str, role: str) -> None:
        if not role:
            self.post_message(self.Problem(f"Give the role's name after {ROLE_PREFIX}, like {ROLE_PREFIX}Editor."))
            return
        try:
            found = await self.backend.role_members(role)
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.post_message(self.Problem(clean_line(str(as_inbox_error(failure)))))
            return
        name = clean_line(found.role.name or found.role.id)
        if not found.users:
            self.post_message(
                self.Problem(f"The role {name} has no active user you may read: nobody would receive it.")
            )
            return
        self.post_message(self.RoleExpanded(text, name, found.users, found.inactive))

    @on(RoleExpanded)
    def _role_expanded(self, event: RoleExpanded) -> None:
        entry = self.query_one(RecipientEntry)
        if entry.value.strip() == event.text:
            entry.value = ""
        inactive = f", {event.inactive:,} not active left out" if event.inactive else ""
        users = f"{len(event.users):,} user{'' if len(event.users) == 1 else 's'}"
        self._roles.append(f"role {event.role}: {users}{inactive}")
        self._add(event.users)
        self.post_message(self.Problem(None))

    @on(Resolved)
    def _resolved(self, event: Resolved) -> None:
        entry = self.query_one(RecipientEntry)
        if entry.value.strip() == event.text:
            entry.value = ""
        self._add(event.users)
        self.post_message(self.Problem(None))
