"""Every key of every screen and widget: defined once, with an id, a help line, a palette entry and
a ``[keymap]`` override that works. The tests walk them all rather than a sample."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import cast

import pytest
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

import app.ui
from app.config import Settings
from app.embedded import EmbeddedBackend
from app.models import Capabilities, User
from app.triage import Filters
from app.ui import keys
from app.ui.commands import KeyCommands
from app.ui.profiles import FIRST, ProfileChoice
from app.ui.screens.compose import ComposeScreen
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.filters import FilterScreen
from app.ui.screens.help import HelpScreen
from app.ui.screens.overview import OverviewScreen
from app.ui.screens.profiles import ProfilePicker
from app.ui.screens.purge import PurgeScreen
from app.ui.screens.save_view import SaveViewScreen
from app.ui.screens.snooze import SnoozedScreen, SnoozeScreen
from app.ui.widgets.preview import Preview
from tests.ui.support import inbox_app, run, seeded_inbox, settle, text_in

PROFILES = [
    ProfileChoice(FIRST, "work", "https://work.example.com", 12, True),
    ProfileChoice("staging", "staging", "https://staging.example.com", None, False),
]
ME = User(id="00000000-0000-4000-8000-000000000001", first_name="Ada", email="ada@example.com")


def ui_classes() -> list[type[DOMNode]]:
    """Every screen, widget and app class defined in app.ui."""
    found: list[type[DOMNode]] = []
    for module_info in pkgutil.walk_packages(app.ui.__path__, "app.ui."):
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, DOMNode) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_binding_of_every_class_is_one_of_the_keys_table() -> None:
    table = {id(binding) for binding in keys.ALL}
    classes = ui_classes()
    assert len(classes) > 10
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding), f"{cls.__name__} has a binding that is not a Binding"
            assert id(binding) in table, f"{cls.__name__} binds {binding.key} outside app.ui.keys"


def test_every_key_has_an_id_a_label_and_a_help_line() -> None:
    ids = [binding.id for binding in keys.ALL]
    assert all(ids) and len(ids) == len(set(ids)), "ids are missing or repeated"
    for binding in keys.ALL:
        assert binding.description and binding.tooltip, f"{binding.id} has no label or help line"


def filter_picker(application) -> FilterScreen:
    main = application.main
    return FilterScreen(
        main.backend,
        main.query_for(main.tab),
        Filters(),
        names=main.names,
        where="the Inbox",
        clock=application.clock,
        tz=application.tz,
    )


def overview(application) -> OverviewScreen:
    main = application.main
    return OverviewScreen(
        main.backend,
        main.query_for(main.tab),
        Filters(),
        names=main.names,
        where="the Inbox",
        clock=application.clock,
        tz=application.tz,
    )


def snoozed_view(application) -> SnoozedScreen:
    main = application.main
    return SnoozedScreen(main.backend, {}, names=main.names, wake=lambda ids: None, tz=application.tz)


@pytest.fixture
async def backend(tmp_path: Path):
    inbox = seeded_inbox(tmp_path / "inbox.sqlite3", 300)
    yield inbox
    await inbox.aclose()


async def help_text(pilot) -> str:
    """Everything the help screen shows, read by scrolling it to the end."""
    await pilot.press("question_mark")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HelpScreen)
    keys_pane = pilot.app.screen.query_one("#help-keys")
    seen: list[str] = []
    while True:
        shown = text_in(pilot.app, keys_pane.region)
        if seen and shown == seen[-1]:
            break
        seen.append(shown)
        await pilot.press("pagedown")
        await settle(pilot)
    await pilot.press("escape")
    return " ".join(seen)


async def test_the_help_lists_every_key_of_the_main_view_and_the_app(backend) -> None:
    application = inbox_app(backend)
    async with run(application) as pilot:
        await settle(pilot)
        text = await help_text(pilot)
        main = application.main
        for binding in [*keys.bindings(keys.LIST), *keys.bindings(keys.PREVIEW), *keys.bindings(keys.APP)]:
            assert binding.tooltip in text, binding.id
        for binding in keys.bindings(keys.MAIN_VIEW):
            if binding.action != "unarchive":  # the Inbox offers archive on a; Archived, unarchive
                assert binding.tooltip in text, binding.id
        assert "j/↓" in text and "^r/f5" in text
        assert not application.screen.is_modal and application.screen is main


async def test_every_key_of_the_main_view_is_in_the_command_palette(backend) -> None:
    application = inbox_app(backend)
    async with run(application) as pilot:
        await settle(pilot)
        titles = {entry.title for entry in KeyCommands(application.screen).entries()}
        expected = {
            binding.description
            for group in (keys.MAIN_VIEW, keys.LIST, keys.PREVIEW, keys.APP)
            for binding in keys.bindings(group)
            if binding.action not in ("unarchive", "command_palette")
        }
        assert expected <= titles


async def test_every_key_of_the_dialogs_is_in_their_help_and_palette(backend) -> None:
    application = inbox_app(backend)
    async with run(application) as pilot:
        await settle(pilot)
        for screen, groups in (
            (ConfirmScreen("Delete 1 notification?"), (keys.CONFIRM,)),
            (
                ComposeScreen(backend, me=ME, capabilities=Capabilities.everything()),
                (keys.COMPOSE, keys.RECIPIENT_ENTRY, keys.SUGGESTIONS),
            ),
            (HelpScreen([]), (keys.HELP,)),
            (ProfilePicker(PROFILES), (keys.PROFILE_PICKER,)),
            (PurgeScreen(backend), (keys.PURGE,)),
            (filter_picker(application), (keys.FILTER_PICKER,)),
            (SaveViewScreen("“stock”"), (keys.SAVE_VIEW,)),
            (SnoozeScreen(2, clock=application.clock, tz=application.tz), (keys.SNOOZE,)),
            (snoozed_view(application), (keys.SNOOZED,)),
            (overview(application), (keys.OVERVIEW,)),
        ):
            application.push_screen(screen)
            await settle(pilot)
            lines = application.help_lines(cast(Screen[object], screen))
            titles = {entry.title for entry in KeyCommands(screen).entries()}
            for group in (*groups, keys.APP):
                for binding in keys.bindings(group):
                    assert binding.tooltip in {line.text for line in lines}, binding.id
                    if binding.action != "command_palette":
                        assert binding.description in titles, binding.id
            screen.dismiss(None)
            await settle(pilot)


async def test_every_key_can_be_rebound_in_the_keymap(backend) -> None:
    """Each binding id given a key of its own (ctrl+f1, ctrl+f2, …) answers to that key, wherever
    it lives: the app, the main view, the list, the preview, and the dialogs."""
    rebound = {str(binding.id): f"ctrl+f{number}" for number, binding in enumerate(keys.ALL, start=1)}
    application = inbox_app(backend, Settings(keymap=rebound))

    def answers(node_screen, group) -> None:
        active = node_screen.active_bindings
        for binding in keys.bindings(group):
            new_key = rebound[str(binding.id)]
            assert new_key in active, f"{binding.id} is not on {new_key}"
            assert any(a.binding.id == binding.id for a in [active[new_key]]), binding.id

    async with run(application) as pilot:
        await settle(pilot)
        main = application.main
        answers(main, keys.LIST)
        answers(main, [b for b in keys.MAIN_VIEW if isinstance(b, Binding) and b.action != "unarchive"])
        answers(main, keys.APP)
        main.query_one(Preview).focus()
        await pilot.pause()
        answers(main, keys.PREVIEW)
        assert application.key_for("archive") == "^f" + rebound["archive"].removeprefix("ctrl+f")
        for screen, group in (
            (ConfirmScreen("Delete 1 notification?"), keys.CONFIRM),
            (ComposeScreen(backend, me=ME, capabilities=Capabilities.everything()), keys.COMPOSE),
            (HelpScreen([]), keys.HELP),
            (ProfilePicker(PROFILES), keys.PROFILE_PICKER),
            (PurgeScreen(backend), keys.PURGE),
            (filter_picker(application), keys.FILTER_PICKER),
            (SaveViewScreen("“stock”"), keys.SAVE_VIEW),
            (SnoozeScreen(2, clock=application.clock, tz=application.tz), keys.SNOOZE),
            (snoozed_view(application), keys.SNOOZED),
            (overview(application), keys.OVERVIEW),
        ):
            application.push_screen(screen)
            await settle(pilot)
            answers(screen, group)
            screen.dismiss(None)
            await settle(pilot)


async def test_a_rebound_key_runs_its_action(tmp_path: Path) -> None:
    inbox: EmbeddedBackend = seeded_inbox(tmp_path / "inbox.sqlite3", 30)
    application = inbox_app(inbox, Settings(keymap={"cursor-down": "n", "toggle-selection": "x"}))
    async with run(application) as pilot:
        await settle(pilot)
        await pilot.press("n", "x")
        assert application.main.current_list.cursor == 2
        assert len(application.main.current_list.selected) == 1
        await pilot.press("j")
        assert application.main.current_list.cursor == 2, "j is no longer cursor-down"
    await inbox.aclose()
