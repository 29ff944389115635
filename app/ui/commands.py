"""The command palette (ctrl+p): every key of the screen in front, and the app's, found by name.

Entries come from the same ``KeySection``s as the help screen (``InboxApp.key_sections``), so every
key in ``app.ui.keys`` is in the palette too. An entry that cannot run now still shows, and says
why when chosen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Protocol, runtime_checkable

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen

from app.ui.keys import KeySection


@runtime_checkable
class KeyedScreen(Protocol):
    """A screen that describes its keys for the help screen and the palette."""

    def key_sections(self) -> list[KeySection]: ...

    def unavailable_reason(self, action: str) -> str | None: ...


@runtime_checkable
class KeyedApp(Protocol):
    """An app that adds its own keys to a screen's, and shows keys as the user has bound them."""

    def key_sections(self, screen: Screen[object] | None = None) -> list[KeySection]: ...

    def key_for(self, binding_id: str) -> str: ...


def sections_of(app: App[object], screen: Screen[object]) -> list[KeySection]:
    if isinstance(app, KeyedApp):
        return app.key_sections(screen)
    return screen.key_sections() if isinstance(screen, KeyedScreen) else []


def keys_of(app: App[object], binding: Binding) -> str:
    if isinstance(app, KeyedApp) and binding.id:
        return app.key_for(binding.id)
    return binding.key


@dataclass(frozen=True)
class PaletteEntry:
    title: str
    help: str
    action: str
    owner: DOMNode


class KeyCommands(Provider):
    """One entry per key of the screen the palette was opened on."""

    def entries(self) -> Iterator[PaletteEntry]:
        for section in sections_of(self.app, self.screen):
            for binding in section.bindings:
                if binding.action == "command_palette":
                    continue
                shown = keys_of(self.app, binding)
                yield PaletteEntry(binding.description, f"{shown} · {binding.tooltip}", binding.action, section.owner)

    async def run(self, entry: PaletteEntry) -> None:
        screen = self.screen
        reason = screen.unavailable_reason(entry.action) if isinstance(screen, KeyedScreen) else None
        if reason:
            self.app.notify(reason, title=entry.title, severity="warning", markup=False)
            return
        await self.app.run_action(entry.action, entry.owner)

    async def discover(self) -> Hits:
        for entry in self.entries():
            yield DiscoveryHit(entry.title, partial(self.run, entry), help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self.entries():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(score, matcher.highlight(entry.title), partial(self.run, entry), help=entry.help)
