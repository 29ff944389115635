"""The line over the list that says which filters are on, and the key that clears them.

Hidden while no filter is on. A line of its own, not a part of the status line: a sender's name,
a collection and a time next to a search do not fit in the status line of a narrow list.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class FilterBar(Static):
    def show(self, filters: str, clear_key: str) -> None:
        """*filters* in words (plain text, never markup); an empty text hides the bar."""
        self.display = bool(filters)
        self.update(
            Content.assemble(
                ("Filter ", "bold"), (filters, "bold $accent"), (f"  ·  {clear_key} clears", "$text-muted")
            )
        )
