"""The floor for the terminal figures: a bare Textual app that shows one label and counts keys.

Run as a script (``python tests/bench/bare.py``), so that it imports nothing but Textual. It starts
showing ``bare 0``; every j, k or tab updates the label to ``bare N``: one widget repainted per key,
the least a Textual app can do for a key the user sees answered.
"""

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Label


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("bare 0", id="count")

    def on_mount(self) -> None:
        self.keys = 0

    def on_key(self, event: events.Key) -> None:
        if event.key in ("j", "k", "tab"):
            self.keys += 1
            self.query_one("#count", Label).update(f"bare {self.keys}")
        elif event.key == "q":
            self.exit()


if __name__ == "__main__":
    Bare().run()
