"""The compose dialog, used the way a person would: type, pick recipients, send, reply, recover.

The dialog is hosted in a tiny app that pushes it and records what it dismissed with. The embedded
inbox stands in for a server where the server's own behaviour does not matter; the real Directus
(session fixture ``directus``) is used for sending to other users, for what an ordinary user may do,
and for the server's payload limit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, OptionList, Static, TextArea

from app.api import RestBackend, StaticToken
from app.drafts import Draft, DraftFile
from app.embedded import EmbeddedBackend
from app.embedded.seed import CURRENT_USER
from app.errors import ServerError
from app.message import to_markdown
from app.models import Capabilities, Notification, NotificationDraft, Query, User
from app.timefmt import local_time_numeric as format_when
from app.ui.screens.compose import ComposeScreen
from tests.support.waiting import eventually

SIZE = (120, 40)
ME = User(
    id=CURRENT_USER.id, first_name=CURRENT_USER.first_name, last_name=CURRENT_USER.last_name, email=CURRENT_USER.email
)
MAYA = "Maya Okafor"
TOMAS = "Tomás Herrera"


class ComposeHost(App[None]):
    """Pushes one compose dialog and keeps what it was dismissed with."""

    def __init__(self, make_screen: Callable[[], ComposeScreen]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.results: list[list[Notification] | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), self.results.append)

    @property
    def sent(self) -> list[Notification]:
        """What the dialog sent: it must have been dismissed with notifications."""
        assert self.results and self.results[0] is not None, "nothing was sent"
        return self.results[0]

    @property
    def dialog(self) -> ComposeScreen:
        assert isinstance(self.screen, ComposeScreen), "the compose dialog is not open"
        return self.screen


def host(backend, *, me: User = ME, capabilities: Capabilities | None = None, **options) -> ComposeHost:
    return ComposeHost(
        lambda: ComposeScreen(backend, me=me, capabilities=capabilities or Capabilities.everything(), **options)
    )


def shown(app: App, selector: str) -> str:
    """The text a Static shows, or "" when it is hidden."""
    widget = app.screen.query_one(selector, Static)
    return str(widget.content) if widget.display else ""


def chips(app: App) -> str:
    return shown(app, "#recipient-chips")


def value(app: App, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


def message(app: App) -> str:
    return app.screen.query_one("#message", TextArea).text


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector).focus()
    await pilot.press(*("enter" if char == "\n" else char for char in text))


async def paste_into(pilot: Pilot, selector: str, text: str) -> None:
    """Paste *text* into a field, as a terminal delivers a paste: one event, not one key per character."""
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def choose_recipient(pilot: Pilot, typed: str, name: str) -> None:
    """Type part of a name, wait for the suggestions, take the first one with ``down enter``."""
    await type_into(pilot, "#to-entry", typed)
    suggestions = pilot.app.screen.query_one("#recipient-suggestions", OptionList)
    await eventually(lambda: suggestions.display and suggestions.option_count, f"suggestions for {typed!r}")
    await pilot.press("down")
    assert pilot.app.focused is suggestions, "down moves into the suggestions"
    await pilot.press("enter")
    await eventually(lambda: name in chips(pilot.app), f"{name} as a recipient")


async def add_typed_recipient(pilot: Pilot, text: str, name: str) -> None:
    """Type an e-mail address or id and press enter: it is looked up and becomes a recipient."""
    await type_into(pilot, "#to-entry", text)
    await pilot.press("enter")
    await eventually(lambda: name in chips(pilot.app), f"{name} as a recipient")


async def send_and_wait(pilot: Pilot) -> None:
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def draft_on_disk(app: ComposeHost) -> Draft | None:
    return app.dialog.draft_file.load()


def saved_draft(app: ComposeHost) -> Draft:
    """The draft on disk; there must be one."""
    draft = draft_on_disk(app)
    assert draft is not None, "no draft on disk"
    return draft


@pytest.fixture
def inbox(tmp_path: Path) -> EmbeddedBackend:
    return EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=0)


async def subjects_for(backend, subject: str) -> list[Notification]:
    page = await backend.list_notifications(Query(filter={"subject": {"_eq": subject}}))
    return page.items


# --- composing and sending --------------------------------------------------------------------


async def test_compose_and_send_to_two_colleagues_on_the_embedded_inbox(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await choose_recipient(pilot, "maya", MAYA)
        await add_typed_recipient(pilot, "tomas.herrera@example.com", TOMAS)
        await type_into(pilot, "#subject", "Release on Friday")
        await paste_into(pilot, "#message", "Please **review** the notes.")
        assert chips(app) == f" {MAYA}   {TOMAS} "

        await send_and_wait(pilot)

        assert not isinstance(app.screen, ComposeScreen), "the dialog closed"
        [created] = app.results
        assert created is not None
    stored = await subjects_for(inbox, "Release on Friday")
    users = {user.display_name: user.id for user in await inbox.users()}
    assert sorted(str(n.recipient_id) for n in stored) == sorted([users[MAYA], users[TOMAS]])
    assert {n.message for n in stored} == {"Please **review** the notes."}
    assert sorted(n.id for n in created) == sorted(n.id for n in stored)


async def test_suggestions_match_names_and_addresses_and_leave_out_chosen_users(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await choose_recipient(pilot, "okafor", MAYA)
        await type_into(pilot, "#to-entry", "example.com")
        suggestions = app.screen.query_one("#recipient-suggestions", OptionList)
        await eventually(lambda: suggestions.option_count, "suggestions")
        offered = [str(suggestions.get_option_at_index(i).prompt) for i in range(suggestions.option_count)]
        assert offered and all("@example.com" in label for label in offered)
        assert not any(label.startswith(MAYA) for label in offered), "Maya is already a recipient"

        await pilot.press("escape")
        assert not suggestions.display and isinstance(app.screen, ComposeScreen), "escape closes the suggestions"
        assert value(app, "#to-entry") == "example.com"

        await pilot.press("ctrl+u")
        await pilot.press("backspace")
        assert chips(app) == "", "backspace in the empty field removes the last recipient"

        await type_into(pilot, "#to-entry", "priya")
        await eventually(lambda: suggestions.option_count, "suggestions")
        await pilot.press("down", "escape")
        assert app.focused is not None and app.focused.id == "to-entry" and not suggestions.display, (
            "escape goes back to typing"
        )
        await pilot.press("escape")
        assert app.results == [None], "and with nothing open, escape closes the dialog"


async def test_a_raw_user_id_is_a_recipient_too(inbox: EmbeddedBackend) -> None:
    maya = (await inbox.users(search="maya"))[0]
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await add_typed_recipient(pilot, maya.id, MAYA)
        await type_into(pilot, "#subject", "By id")
        await send_and_wait(pilot)
        assert app.sent[0].recipient_id == maya.id


async def test_text_left_in_the_to_field_is_sent_to_as_well(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#to-entry", "priya.raman@example.com")
        await type_into(pilot, "#subject", "Typed, not chosen")
        await send_and_wait(pilot)
    [stored] = await subjects_for(inbox, "Typed, not chosen")
    assert stored.recipient_id == (await inbox.users(search="priya"))[0].id


@pytest.mark.server
async def test_the_admin_sends_to_two_users_and_each_inbox_holds_it(directus) -> None:
    subject = f"Compose {uuid.uuid4().hex[:8]}"
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin:
        app = host(admin, me=await admin.me(), capabilities=await admin.capabilities())
        async with app.run_test(size=SIZE) as pilot:
            await add_typed_recipient(pilot, "user@example.com", "Uma User")
            await choose_recipient(pilot, "Colin", "Colin Colleague")
            await type_into(pilot, "#subject", subject)
            await paste_into(pilot, "#message", "Hello from the *compose* dialog.")
            await send_and_wait(pilot)
            assert len(app.sent) == 2

    for account in (directus.user, directus.colleague):
        async with RestBackend(directus.url, StaticToken(account.token)) as theirs:
            page = await theirs.list_notifications(Query(filter={"subject": {"_eq": subject}}, mine=True))
            assert [(n.recipient_id, n.message) for n in page.items] == [
                (account.id, "Hello from the *compose* dialog.")
            ]
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin:
        await admin.delete_many([n.id for n in app.sent])


# --- replying ---------------------------------------------------------------------------------


async def a_notification_from_maya(inbox: EmbeddedBackend, subject: str, message: str) -> tuple[Notification, User]:
    maya = (await inbox.users(search="maya"))[0]
    original = await inbox.create(
        NotificationDraft(
            recipient=ME.id, sender=maya.id, subject=subject, message=message, collection="articles", item="17"
        )
    )
    return original, maya


async def test_reply_answers_the_sender_once_re_with_the_message_quoted(inbox: EmbeddedBackend) -> None:
    original, maya = await a_notification_from_maya(inbox, "RE: aw: Re: Budget", "Numbers are in.\n\nSee **Q3**.")
    app = host(inbox, reply_to=original, reply_to_name=MAYA)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: value(app, "#subject"), "the reply to be filled in")
        assert app.dialog.query_one("#compose-dialog").border_title == "Reply"
        assert chips(app) == f" {MAYA} "
        assert value(app, "#subject") == "Re: Budget"
        assert message(app) == (
            f"\n\nOn {format_when(original.timestamp)}, {MAYA} wrote:\n\n> Numbers are in.\n>\n> See **Q3**.\n"
        )
        assert (value(app, "#collection"), value(app, "#item")) == ("articles", "17")
        assert app.screen.focused is app.screen.query_one("#message", TextArea)

        await pilot.press(*"Thanks!")
        await send_and_wait(pilot)

    [reply] = await subjects_for(inbox, "Re: Budget")
    assert reply.recipient_id == maya.id
    assert reply.message and reply.message.startswith("Thanks!\n\nOn ")
    assert (reply.collection, reply.item) == ("articles", "17")
    assert await subjects_for(inbox, "Re: Re: Budget") == []


async def test_reply_looks_up_the_senders_name_when_it_is_not_given(inbox: EmbeddedBackend) -> None:
    original, _ = await a_notification_from_maya(inbox, "Lunch", "Noon?")
    app = host(inbox, reply_to=original)
    async with app.run_test(size=SIZE):
        await eventually(lambda: chips(app), "the recipient")
        assert chips(app) == f" {MAYA} "
        assert f", {MAYA} wrote:" in message(app)
        assert value(app, "#subject") == "Re: Lunch"


async def test_names_and_subjects_from_others_are_shown_as_text_not_markup(inbox: EmbeddedBackend) -> None:
    original, _ = await a_notification_from_maya(inbox, "[bold red]Urgent[/]\x1b[2J", "[link=x]y[/link]")
    app = host(inbox, reply_to=original, reply_to_name="[b]Mallory[/b]\u202e\x1b[31m")
    async with app.run_test(size=SIZE):
        await eventually(lambda: chips(app), "the recipient")
        assert chips(app) == " [b]Mallory[/b] "
        assert value(app, "#subject") == "Re: [bold red]Urgent[/]"
        assert "> [link=x]y[/link]" in message(app)


async def test_a_notification_without_sender_has_no_one_to_reply_to(inbox: EmbeddedBackend) -> None:
    original = await inbox.create(NotificationDraft(recipient=ME.id, subject="System notice"))
    app = host(inbox, reply_to=original)
    async with app.run_test(size=SIZE):
        await eventually(lambda: value(app, "#subject"), "the reply to be filled in")
        assert chips(app) == ""
        assert shown(app, "#to-error") == "This notification has no sender to reply to; add a recipient."


# --- validation -------------------------------------------------------------------------------


async def test_each_field_says_what_is_wrong_with_it(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#item", "17")
        await send_and_wait(pilot)

        assert shown(app, "#to-error").startswith("There is no recipient.")
        assert shown(app, "#subject-error") == "The subject is empty. Write a subject."
        assert shown(app, "#collection-error") == "An item needs its collection. Give the collection too."
        assert app.results == [], "nothing was sent and the dialog stays open"

        await type_into(pilot, "#subject", "Fixed")
        assert shown(app, "#subject-error") == "", "typing in a field clears its message"
        assert shown(app, "#to-error").startswith("There is no recipient.")


async def test_an_unknown_recipient_is_named_under_the_to_field(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#to-entry", "nobody-such")
        await pilot.press("enter")
        await eventually(lambda: shown(app, "#to-error"), "the recipient problem")
        assert shown(app, "#to-error") == (
            "No user you may see matches 'nobody-such'. Give the recipient's e-mail address or user id."
        )
        assert value(app, "#to-entry") == "nobody-such", "what was typed stays to be corrected"

        await type_into(pilot, "#subject", "Hi")
        await send_and_wait(pilot)
        assert shown(app, "#to-error").startswith("No user you may see matches 'nobody-such'")
        assert app.results == []


async def test_an_ambiguous_recipient_lists_the_candidates(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#to-entry", "example.com")
        await pilot.press("enter")
        await eventually(lambda: shown(app, "#to-error"), "the recipient problem")
        assert "'example.com' matches" in shown(app, "#to-error")


# --- drafts -----------------------------------------------------------------------------------


async def test_a_draft_is_saved_while_typing_and_offered_back(inbox: EmbeddedBackend) -> None:
    first = host(inbox)
    async with first.run_test(size=SIZE) as pilot:
        await choose_recipient(pilot, "maya", MAYA)
        await type_into(pilot, "#subject", "Half-written")
        await type_into(pilot, "#message", "Where was I")
        saved = lambda: (d := draft_on_disk(first)) is not None and d.message == "Where was I"  # noqa: E731
        await eventually(saved, "the draft to be saved")
        await pilot.press("escape")
        await eventually(lambda: first.results == [None], "the dialog to close")

    second = host(inbox)
    async with second.run_test(size=SIZE) as pilot:
        await eventually(lambda: shown(second, "#compose-notice"), "the restored draft")
        assert shown(second, "#compose-notice").startswith("Restored the draft you were writing at ")
        assert chips(second) == f" {MAYA} "
        assert value(second, "#subject") == "Half-written"
        assert message(second) == "Where was I"

        await send_and_wait(pilot)
        assert [n.subject for n in second.sent] == ["Half-written"]
        assert not DraftFile.for_account(inbox.info.location, ME.id).exists(), "a sent draft is gone"


KILLED_APP = textwrap.dedent("""
    import asyncio, os, signal, sys
    from app.embedded import EmbeddedBackend
    from tests.support.waiting import eventually
    from tests.ui.test_compose import host, type_into, draft_on_disk

    async def main(path):
        app = host(EmbeddedBackend(path))
        async with app.run_test(size=(120, 40)) as pilot:
            await type_into(pilot, "#to-entry", "maya.okafor@example.com")
            await type_into(pilot, "#subject", "Before the crash")
            await type_into(pilot, "#message", "Every word\\nof this")
            def saved():
                draft = draft_on_disk(app)
                return draft is not None and draft.message == "Every word\\nof this"
            await eventually(saved, "the draft")
            os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main(sys.argv[1]))
""")


async def test_a_draft_survives_the_app_being_killed(inbox: EmbeddedBackend, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_APP, str(tmp_path / "inbox.sqlite3")],
        cwd=root,
        env=os.environ | {"PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    app = host(inbox)
    async with app.run_test(size=SIZE):
        await eventually(lambda: value(app, "#subject"), "the restored draft")
        assert shown(app, "#compose-notice").startswith("Restored the draft you were writing at ")
        assert value(app, "#to-entry") == "maya.okafor@example.com"
        assert value(app, "#subject") == "Before the crash"
        assert message(app) == "Every word\nof this"


async def test_quitting_the_app_at_once_still_keeps_what_was_typed(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#subject", "Quick")
        draft_file = app.dialog.draft_file
        await pilot.press("ctrl+q")
    saved = draft_file.load()
    assert saved is not None and saved.subject == "Quick"


async def test_a_reply_draft_is_its_own(inbox: EmbeddedBackend) -> None:
    original, _ = await a_notification_from_maya(inbox, "Plans", "?")
    replying = host(inbox, reply_to=original, reply_to_name=MAYA)
    async with replying.run_test(size=SIZE) as pilot:
        await eventually(lambda: value(replying, "#subject"), "the reply")
        await pilot.press(*"Sounds good")
        await eventually(
            lambda: (d := draft_on_disk(replying)) and d.message.startswith("Sounds good"), "the reply draft"
        )

    fresh = host(inbox)
    async with fresh.run_test(size=SIZE) as pilot:
        await opened(pilot)
        assert shown(fresh, "#compose-notice") == "" and value(fresh, "#subject") == ""

    again = host(inbox, reply_to=original, reply_to_name=MAYA)
    async with again.run_test(size=SIZE) as pilot:
        await eventually(lambda: shown(again, "#compose-notice"), "the restored reply")
        assert message(again).startswith("Sounds good\n\nOn ")


async def test_an_untouched_dialog_leaves_no_draft(inbox: EmbeddedBackend) -> None:
    original, _ = await a_notification_from_maya(inbox, "Plans", "?")
    app = host(inbox, reply_to=original, reply_to_name=MAYA)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: value(app, "#subject"), "the reply")
        draft_file = app.dialog.draft_file
        await pilot.press("escape")
    assert app.results == [None]
    assert not draft_file.exists()


async def test_discarding_asks_first_then_starts_over(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#subject", "Never mind")
        await eventually(lambda: draft_on_disk(app), "the draft")

        await pilot.press("ctrl+r")
        assert shown(app, "#compose-notice") == "Discard this draft? Press Discard draft again to throw it away."
        assert value(app, "#subject") == "Never mind"

        await pilot.press("ctrl+r")
        assert shown(app, "#compose-notice") == "The draft was discarded."
        assert value(app, "#subject") == ""
        assert not app.dialog.draft_file.exists()


async def test_a_corrupt_draft_is_reported_and_kept(inbox: EmbeddedBackend) -> None:
    path = DraftFile.for_account(inbox.info.location, ME.id).path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{ half a draft", encoding="utf-8")
    app = host(inbox)
    async with app.run_test(size=SIZE):
        await eventually(lambda: shown(app, "#compose-notice"), "the warning")
        notice = shown(app, "#compose-notice")
        assert notice.startswith("The saved draft could not be restored: it is not valid JSON; it was kept as ")
        kept = Path(notice.split("kept as ", 1)[1].rstrip("."))
        assert kept.read_text(encoding="utf-8") == "{ half a draft"


# --- failures ---------------------------------------------------------------------------------


def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_failed_send_keeps_the_dialog_and_the_draft() -> None:
    url = f"http://127.0.0.1:{unused_port()}"
    async with RestBackend(url, StaticToken("nobody")) as unreachable:
        app = host(unreachable, me=User(id=str(uuid.uuid4())))
        async with app.run_test(size=SIZE) as pilot:
            await type_into(pilot, "#to-entry", str(uuid.uuid4()))
            await type_into(pilot, "#subject", "Into the void")
            await type_into(pilot, "#message", "Keep me")
            await send_and_wait(pilot)

            status = shown(app, "#compose-status")
            assert status.startswith(f"Not sent: Cannot reach {url}: connection refused")
            assert status.endswith("Your draft is kept.")
            assert app.results == [] and isinstance(app.screen, ComposeScreen)
            draft = saved_draft(app)
            assert (draft.subject, draft.message) == ("Into the void", "Keep me")


class FailingInbox(EmbeddedBackend):
    """An inbox whose server fails every create."""

    async def create_many(self, drafts):
        raise ServerError("The server failed: Internal Server Error\x1b[31m", status=500)


async def test_a_server_error_is_shown_cleaned_and_the_draft_kept(tmp_path: Path) -> None:
    inbox = FailingInbox(tmp_path / "failing.sqlite3", seed=0)
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await choose_recipient(pilot, "maya", MAYA)
        await type_into(pilot, "#subject", "Doomed")
        await send_and_wait(pilot)
        # A failure of the server after the request left: it may have been created. The inbox was
        # searched, did not hold it, and the draft stays.
        assert shown(app, "#compose-status") == (
            "Whether it was sent is unknown: The server failed: Internal Server Error. The server does not "
            "hold it (yet). Check the recipients' notifications before sending it again. Your draft is kept."
        )
        assert saved_draft(app).subject == "Doomed"
        assert app.results == []


@pytest.mark.server
async def test_too_large_a_message_is_refused_and_the_draft_kept(directus) -> None:
    huge = ("All work and no play makes a very long notification. " * 20 + "\n") * 1100
    assert len(huge.encode()) > 1_000_000
    subject = f"Huge {uuid.uuid4().hex[:8]}"
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin:
        app = host(admin, me=await admin.me(), capabilities=await admin.capabilities())
        async with app.run_test(size=SIZE) as pilot:
            await add_typed_recipient(pilot, "user@example.com", "Uma User")
            await type_into(pilot, "#subject", subject)
            app.screen.query_one("#message", TextArea).text = huge
            await send_and_wait(pilot)

            status = shown(app, "#compose-status")
            assert "request entity too large" in status and "shorten the message" in status
            assert isinstance(app.screen, ComposeScreen) and app.results == []
            assert saved_draft(app).message == huge
        assert (await admin.list_notifications(Query(filter={"subject": {"_eq": subject}}))).items == []


@pytest.mark.server
async def test_an_ordinary_user_is_told_why_they_cannot_send(directus) -> None:
    async with RestBackend(directus.url, StaticToken(directus.user.token)) as user:
        capabilities = await user.capabilities()
        app = host(user, me=await user.me(), capabilities=capabilities)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert shown(app, "#denied-reason") == capabilities.why_not("create")
            assert shown(app, "#denied-reason") == (
                "Your role may not send notifications; ask a Directus admin for that permission."
            )
            assert not app.screen.query("#subject"), "no form that cannot work"
            footer_actions = {binding.action for _, binding, enabled, _ in app.active_bindings.values() if enabled}
            assert "send" not in footer_actions and "cancel" in footer_actions
            await pilot.press("enter")
            assert app.results == [None]


# --- the message: editor and preview ------------------------------------------------------------


async def test_ctrl_e_hands_the_message_to_the_editor(
    inbox: EmbeddedBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Added in the editor\\n" >> "$1"\n')
    editor.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#message", "Written here")
        await pilot.press("ctrl+e")
        assert message(app) == "Written here\nAdded in the editor"
        await eventually(lambda: (d := draft_on_disk(app)) and d.message == message(app), "the draft")


async def test_a_failing_editor_leaves_the_message_alone(
    inbox: EmbeddedBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\necho garbage > "$1"\nexit 3\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#message", "Precious")
        await pilot.press("ctrl+e")
        assert message(app) == "Precious"
        assert shown(app, "#compose-status").endswith("exited with status 3; the message was left as it was.")


async def test_preview_renders_what_the_preview_pane_will(inbox: EmbeddedBackend) -> None:
    text = "Hi <em>team</em>, see [the docs](https://example.com/docs) <script>alert(1)</script>"
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await paste_into(pilot, "#message", text)
        await pilot.press("f2")
        preview = app.screen.query_one("#preview-markdown", Markdown)
        assert preview.source == to_markdown(text)
        assert not app.screen.query_one("#message", TextArea).display
        await pilot.press("ctrl+t")
        assert app.screen.query_one("#message", TextArea).display and message(app) == text


# --- keys -----------------------------------------------------------------------------------------


async def test_the_command_palette_offers_the_dialogs_actions(inbox: EmbeddedBackend) -> None:
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await paste_into(pilot, "#message", "*Hello*")
        await pilot.press("ctrl+p")
        await eventually(lambda: app.screen.__class__.__name__ == "CommandPalette", "the command palette")
        await pilot.press(*"preview")
        results = app.screen.query_one(OptionList)
        await eventually(lambda: results.option_count == 1, "the one matching command")
        await pilot.press("down", "enter")
        await eventually(
            lambda: isinstance(app.screen, ComposeScreen) and app.screen.query_one("#message-preview").display,
            "the preview",
        )
        assert app.screen.query_one("#preview-markdown", Markdown).source == to_markdown("*Hello*")


# --- snapshots --------------------------------------------------------------------------------


def snapshot_host(tmp_path: Path) -> ComposeHost:
    return host(EmbeddedBackend(tmp_path / "snapshot.sqlite3", seed=0))


async def opened(pilot: Pilot) -> None:
    """Wait for the dialog to be ready, and stop the cursors blinking so every picture is the same."""
    await eventually(lambda: pilot.app.focused and pilot.app.focused.id == "to-entry", "the To field's focus")
    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False


def test_snapshot_empty(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(snapshot_host(tmp_path), terminal_size=SIZE, run_before=opened)


async def fill_in(pilot: Pilot) -> None:
    await opened(pilot)
    await choose_recipient(pilot, "maya", MAYA)
    await choose_recipient(pilot, "tomas", TOMAS)
    await type_into(pilot, "#subject", "Notes for 2.4")
    await paste_into(pilot, "#message", "Hi both,\n\nthe notes are **ready**:\n\n- fixes\n- a new `compose` dialog")
    await type_into(pilot, "#collection", "articles")
    await type_into(pilot, "#item", "17")


def test_snapshot_filled(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(snapshot_host(tmp_path), terminal_size=SIZE, run_before=fill_in)


def test_snapshot_errors(snap_compare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot) -> None:
        await opened(pilot)
        await type_into(pilot, "#item", "17")
        await send_and_wait(pilot)

    assert snap_compare(snapshot_host(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_snapshot_preview(snap_compare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot) -> None:
        await fill_in(pilot)
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(snapshot_host(tmp_path), terminal_size=SIZE, run_before=run_before)
