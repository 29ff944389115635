"""The compose dialog: write a notification (or a reply) to one or more users, and send it.

Sending goes through ``app.compose.send``, the code the CLI's ``send`` uses: the recipients are
resolved the same way and the notifications are created in one ``create_many`` request. What the
user types is saved as a draft (``app.drafts``) half a second after they stop typing, so a crash, a
failed send or quitting loses nothing; the dialog restores it the next time it opens, and a
successful send removes it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Footer, Input, Label, Markdown, Static, TextArea

from app.backend import InboxBackend
from app.compose import SENT, ComposeError, deliver
from app.drafts import (
    NEW_SLOT,
    CorruptDraftError,
    Draft,
    DraftFile,
    form_errors,
    reply_draft,
    reply_slot,
)
from app.errors import as_inbox_error
from app.message import to_markdown
from app.models import Capabilities, Notification, User
from app.sanitize import clean_line
from app.timefmt import local_time_numeric as format_when
from app.ui import keys
from app.ui.commands import KeyCommands
from app.ui.keys import KeySection
from app.ui.styles import style_file
from app.ui.widgets.recipient_input import RecipientEntry, RecipientInput, RecipientSuggestions

SAVE_DELAY = 0.5
"""Seconds after the last change before the draft is written to disk."""

FORM_ACTIONS = frozenset({"send", "edit_in_editor", "toggle_preview", "discard_draft"})
"""What a user who may not send has no use for."""

FIELDS = ("to", "subject", "message", "collection")
"""The fields a ``ComposeError`` can name; each has an error line under it."""


class ComposeScreen(ModalScreen[list[Notification] | None]):
    """Write and send a notification; dismisses with the notifications created, or ``None``."""

    CSS_PATH = style_file("compose.tcss")
    COMMANDS = {KeyCommands}

    BINDINGS = keys.COMPOSE

    @dataclass
    class Sent(Message):
        notifications: list[Notification]

    @dataclass
    class Refused(Message):
        """What the user typed cannot be sent; ``errors`` maps a field to what is wrong."""

        errors: dict[str, str]

    @dataclass
    class Failed(Message):
        """Not sent, or not known to be: ``problem`` says which and why, cleaned. The draft stays
        until a send is known to have landed."""

        problem: str

    @dataclass
    class SenderNamed(Message):
        name: str | None

    def __init__(
        self,
        backend: InboxBackend,
        *,
        me: User,
        capabilities: Capabilities,
        reply_to: Notification | None = None,
        reply_to_name: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.backend = backend
        self.me = me
        self.capabilities = capabilities
        self.reply_to = reply_to
        self.reply_to_name = reply_to_name
        self.denied = capabilities.why_not("create")
        slot = reply_slot(reply_to.id) if reply_to else NEW_SLOT
        self.draft_file = DraftFile.for_account(backend.info.location, me.id, slot)
        self._initial = Draft()
        self._last_saved = Draft()
        self._latest = Draft()
        self._filled = False
        self._sending = False
        self._finished = False
        self._confirm_discard = False
        self._save_timer: Timer | None = None

    # --- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        if self.denied:
            with Vertical(id="compose-denied") as denied:
                denied.border_title = "Cannot send notifications"
                yield Static(Content(self.denied), id="denied-reason")
                yield Button("Close", id="compose-close", variant="primary")
            yield Footer()
            return
        with Vertical(id="compose-dialog") as dialog:
            dialog.border_title = "Reply" if self.reply_to else "New notification"
            yield Static(id="compose-notice", classes="notice")
            with Horizontal(classes="field", id="to-field"):
                yield Label("To", classes="field-label")
                with Vertical(classes="field-body"):
                    yield RecipientInput(self.backend, id="to")
                    yield Static(id="to-error", classes="field-error")
            with Horizontal(classes="field", id="subject-field"):
                yield Label("Subject", classes="field-label")
                with Vertical(classes="field-body"):
                    yield Input(placeholder="Required", id="subject", compact=True)
                    yield Static(id="subject-error", classes="field-error")
            with Horizontal(classes="field", id="message-field"):
                yield Label("Message", classes="field-label")
                with Vertical(classes="field-body"):
                    yield TextArea(
                        id="message",
                        soft_wrap=True,
                        tab_behavior="focus",
                        placeholder="Markdown (Editor opens $VISUAL or $EDITOR)",
                    )
                    with VerticalScroll(id="message-preview") as preview:
                        preview.border_title = "Preview"
                        yield Markdown(id="preview-markdown")
                    yield Static(id="message-error", classes="field-error")
            with Horizontal(classes="field", id="reference-field"):
                yield Label("Collection", classes="field-label")
                with Vertical(classes="field-body"):
                    yield Input(placeholder="Optional, e.g. articles", id="collection", compact=True)
                    yield Static(id="collection-error", classes="field-error")
                yield Label("Item", classes="field-label item-label")
                with Vertical(classes="field-body"):
                    yield Input(placeholder="Optional item id", id="item", compact=True)
            yield Static(id="compose-status")
        yield Footer()

    def on_mount(self) -> None:
        if self.denied:
            self.query_one("#compose-close", Button).focus()
            return
        self.query_one("#message-preview").display = False
        for widget in self.query(".field-error, #compose-notice, #compose-status").results(Static):
            widget.display = False
        sender = self.reply_to.sender if self.reply_to else None
        if self.reply_to_name is None and isinstance(sender, str):
            self._look_up_sender(sender)
        else:
            self._fill(self.reply_to_name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self.denied and action in FORM_ACTIONS)

    def key_sections(self) -> list[KeySection]:
        sections = [KeySection("Compose", self, keys.COMPOSE)]
        if not self.denied:
            sections.append(KeySection("In the To field", self.query_one(RecipientEntry), keys.RECIPIENT_ENTRY))
            sections.append(KeySection("In the suggestions", self.query_one(RecipientSuggestions), keys.SUGGESTIONS))
        return sections

    def unavailable_reason(self, action: str) -> str | None:
        if self.denied and action in FORM_ACTIONS:
            return self.denied
        suggested = self.denied is None and self.query_one(RecipientInput).suggestions_open()
        if action in ("suggestions", "close_suggestions", "back") and not suggested:
            return "No users are suggested: type part of a name or e-mail in the To field first."
        return None

    # --- filling the form: a saved draft, a reply, or nothing -------------------------------------
    @work(exclusive=True, group="compose-sender")
    async def _look_up_sender(self, user_id: str) -> None:
        try:
            users = await self.backend.users(ids=[user_id])
        except Exception:  # noqa: BLE001 - a worker reports (or shrugs off) every failure
            users = []
        self.post_message(self.SenderNamed(users[0].display_name if users else None))

    @on(SenderNamed)
    def _sender_named(self, event: SenderNamed) -> None:
        self._fill(event.name)

    def _fill(self, author: str | None) -> None:
        self._initial = reply_draft(self.reply_to, author=author) if self.reply_to else Draft()
        try:
            saved = self.draft_file.load()
        except CorruptDraftError as error:
            saved = None
            self._notice(error.message, warning=True)
        if saved is not None and not saved.is_blank():
            self._show(saved)
            self._last_saved = saved
            self._notice(f"Restored the draft you were writing at {format_when(saved.saved_at)}.")
        else:
            self.draft_file.remove()
            self._show(self._initial)
            self._last_saved = self._initial
        self._filled = True
        if self.reply_to and not self.reply_to.sender_id and not saved:
            self._field_error("to", "This notification has no sender to reply to; add a recipient.")
        if self.reply_to:
            message = self.query_one("#message", TextArea)
            message.focus()
            message.move_cursor((0, 0))
        else:
            self.query_one(RecipientInput).focus_entry()

    def _show(self, draft: Draft) -> None:
        self.query_one(RecipientInput).set_recipients(draft.recipients, draft.to_text)
        self.query_one("#subject", Input).value = draft.subject
        self.query_one("#message", TextArea).text = draft.message
        self.query_one("#collection", Input).value = draft.collection
        self.query_one("#item", Input).value = draft.item

    def form(self) -> Draft:
        """What the dialog holds now."""
        to = self.query_one(RecipientInput)
        return Draft(
            recipients=to.recipients,
            to_text=to.text,
            subject=self.query_one("#subject", Input).value,
            message=self.query_one("#message", TextArea).text,
            collection=self.query_one("#collection", Input).value,
            item=self.query_one("#item", Input).value,
            reply_to=self.reply_to.id if self.reply_to else None,
        )

    # --- the draft on disk -----------------------------------------------------------------------
    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(RecipientInput.Changed)
    def _changed(self, event: Message) -> None:
        control = getattr(event, "control", None)
        field = {
            "to-entry": "to",
            "to": "to",
            "subject": "subject",
            "message": "message",
            "collection": "collection",
            "item": "collection",
        }.get(getattr(control, "id", None) or "")
        if field and self._filled:
            self._field_error(field, None)
        self._schedule_save()

    def _schedule_save(self) -> None:
        if not self._filled or self._finished:
            return
        self._confirm_discard = False
        self._latest = self.form()
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_draft)

    def save_draft(self, current: Draft | None = None) -> None:
        """Write the form to the draft file now (or remove the file when there is nothing to keep)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if not self._filled or self._finished:
            return
        current = current or self.form()
        if current.same_content(self._last_saved):
            return
        try:
            if current.is_blank() or current.same_content(self._initial):
                self.draft_file.remove()
                self._last_saved = current
            else:
                self._last_saved = self.draft_file.save(current)
        except OSError as error:
            self._status(
                f"The draft could not be saved to {self.draft_file.path}: {error.strerror or error}", error=True
            )

    def on_unmount(self) -> None:
        # The app is closing (quit) with a save still pending; the fields are gone by now, so the
        # last state seen by ``_changed`` is what gets written.
        if self._save_timer is not None:
            self.save_draft(self._latest)

    def action_discard_draft(self) -> None:
        if not self._confirm_discard:
            self._confirm_discard = True
            self._notice("Discard this draft? Press Discard draft again to throw it away.", warning=True)
            return
        self._confirm_discard = False
        self.draft_file.remove()
        self._show(self._initial)
        self._last_saved = self._initial
        for field in FIELDS:
            self._field_error(field, None)
        self._notice("The draft was discarded.")

    # --- sending ---------------------------------------------------------------------------------
    def action_send(self) -> None:
        if self._sending:
            return
        self.save_draft()
        draft = self.form()
        to: list[str | User] = [User(id=recipient.id) for recipient in draft.recipients]
        if draft.to_text.strip():
            to.append(draft.to_text.strip())
        for field in FIELDS:
            self._field_error(field, None)
        errors = form_errors(to, draft.subject, draft.collection, draft.item)
        if errors:
            self._show_errors(errors)
            self._status(None)
            return
        self._sending = True
        self._status("Sending…")
        self._send(to, draft)

    @work(exclusive=True, group="compose-send")
    async def _send(self, to: list[str | User], draft: Draft) -> None:
        try:
            delivery = await deliver(self.backend, to, draft.subject, draft.message, draft.collection, draft.item)
        except ComposeError as error:
            self.post_message(self.Refused({error.field: error.message}))
            return
        except Exception as failure:  # noqa: BLE001 - a worker reports every failure
            self.post_message(self.Failed(f"Not sent: {clean_line(str(as_inbox_error(failure)))}"))
            return
        if delivery.state == SENT:
            self.post_message(self.Sent(list(delivery.created)))
        else:  # not sent, or not known to be: "Not sent: …" or "Whether it was sent is unknown: …"
            self.post_message(self.Failed(clean_line(delivery.describe())))

    @on(Sent)
    def _sent(self, event: Sent) -> None:
        self._sending = False
        self._finished = True
        if self._save_timer is not None:
            self._save_timer.stop()
        self.draft_file.remove()
        self.dismiss(event.notifications)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._sending = False
        self._status(None)
        self._show_errors(event.errors)

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self._sending = False
        self._status(f"{event.problem} Your draft is kept.", error=True)

    def _show_errors(self, errors: dict[str, str]) -> None:
        for field, message in errors.items():
            self._field_error(field if field in FIELDS else "to", message)
        first = next((field for field in FIELDS if field in errors), None)
        if first == "to":
            self.query_one(RecipientInput).focus_entry()
        elif first:
            self.query_one(f"#{first}").focus()

    @on(RecipientInput.Problem)
    def _recipient_problem(self, event: RecipientInput.Problem) -> None:
        self._field_error("to", event.problem)

    # --- the message: preview and external editor --------------------------------------------------
    def action_toggle_preview(self) -> None:
        message = self.query_one("#message", TextArea)
        preview = self.query_one("#message-preview", VerticalScroll)
        previewing = not preview.display
        if previewing:
            text = message.text
            shown = to_markdown(text) if text.strip() else "*Nothing to preview yet.*"
            self.query_one("#preview-markdown", Markdown).update(shown)
        preview.display = previewing
        message.display = not previewing
        (preview if previewing else message).focus()

    def action_edit_in_editor(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self._status("Set $VISUAL or $EDITOR to the editor you want (for example: export EDITOR=nano).", error=True)
            return
        message = self.query_one("#message", TextArea)
        if self.query_one("#message-preview").display:
            self.action_toggle_preview()
        text = message.text
        handle, name = tempfile.mkstemp(prefix="directus-inbox-", suffix=".md")
        path = Path(name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text + "\n" if text and not text.endswith("\n") else text)
            try:
                with self.app.suspend():
                    finished = subprocess.run([*shlex.split(editor), str(path)], check=False)
            except SuspendNotSupported:
                # Headless (tests) or a web terminal: nothing to hand the terminal over to.
                finished = subprocess.run(
                    [*shlex.split(editor), str(path)], check=False, stdin=subprocess.DEVNULL, capture_output=True
                )
            if finished.returncode != 0:
                self._status(
                    f"The editor ({clean_line(editor)}) exited with status {finished.returncode}; "
                    "the message was left as it was.",
                    error=True,
                )
                return
            edited = path.read_text(encoding="utf-8")
        except (OSError, ValueError, UnicodeDecodeError) as error:
            self._status(f"Could not run the editor ({clean_line(editor)}): {clean_line(str(error))}", error=True)
            return
        finally:
            path.unlink(missing_ok=True)
        message.text = edited[:-1] if edited.endswith("\n") else edited
        message.focus()
        self._status(None)
        self._schedule_save()

    # --- closing ---------------------------------------------------------------------------------
    def action_cancel(self) -> None:
        if not self.denied:
            self.save_draft()
            if not self._last_saved.is_blank() and not self._last_saved.same_content(self._initial):
                self.app.notify("Your draft is kept; it comes back the next time you compose.", title="Draft saved")
        self._finished = True
        self.dismiss(None)

    @on(Button.Pressed, "#compose-close")
    def _close(self) -> None:
        self.action_cancel()

    # --- messages in the dialog ------------------------------------------------------------------
    def _field_error(self, field: str, message: str | None) -> None:
        line = self.query_one(f"#{field}-error", Static)
        line.update(Content(message or ""))
        line.display = bool(message)

    def _notice(self, message: str | None, *, warning: bool = False) -> None:
        notice = self.query_one("#compose-notice", Static)
        notice.update(Content(message or ""))
        notice.set_class(warning, "-warning")
        notice.display = bool(message)

    def _status(self, message: str | None, *, error: bool = False) -> None:
        status = self.query_one("#compose-status", Static)
        status.update(Content(message or ""))
        status.set_class(error, "-error")
        status.display = bool(message)
