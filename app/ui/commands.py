"""The command palette (ctrl+p): every action of the bindings table, found by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from app.ui.app import InboxApp


class InboxCommands(Provider):
    """One entry per action; an unavailable one still runs, and says why it cannot."""

    @property
    def inbox(self) -> InboxApp:
        return cast("InboxApp", self.app)

    async def discover(self) -> Hits:
        for entry in self.inbox.palette_entries():
            yield DiscoveryHit(entry.title, partial(self.inbox.run_palette_entry, entry), help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self.inbox.palette_entries():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(entry.title), partial(self.inbox.run_palette_entry, entry), help=entry.help
                )
