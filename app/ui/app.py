"""The Textual app: settings, theme, keymap, the backend's lifetime, and the keys of every screen.

The inbox itself is a screen (``app.ui.screens.main.MainScreen``); dialogs are modal screens on top
of it. Every key is defined in ``app.ui.keys``; the help screen (``?``) and the command palette
(ctrl+p) list the keys of the screen in front, as that screen describes them (``key_sections``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from app.backend import InboxBackend
from app.config import Settings
from app.sanitize import clean_line
from app.startup import Prefetch
from app.ui import keys
from app.ui.commands import KeyCommands, KeyedScreen
from app.ui.keys import KeySection
from app.ui.profiles import ProfileSwitcher
from app.ui.screens.help import HelpLine, HelpScreen
from app.ui.screens.main import MainScreen
from app.ui.styles import style_file


def desktop_text(text: str) -> str:
    """Text fit for an OSC sequence: one clean line (no control character can end the sequence
    early) without the ``;`` that separates OSC 777's fields."""
    return clean_line(text).replace(";", ",")[:200]


NARROW = 100
"""Below this many columns the panes are stacked."""

STYLESHEETS = ("app.tcss", "list.tcss", "preview.tcss", "dialogs.tcss")
"""The main view's styles; screens that load on demand (compose) bring their own."""


class InboxApp(App[None]):
    """The inbox of the user the backend signs in as."""

    TITLE = "directus-inbox"
    CSS_PATH = [style_file(name) for name in STYLESHEETS]
    BINDINGS = keys.APP
    COMMANDS = App.COMMANDS | {KeyCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]

    def __init__(
        self,
        backend: InboxBackend,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        tz: tzinfo | None = None,
        live: bool = True,
        prefetch: Prefetch | None = None,
    ) -> None:
        """``clock`` and ``tz`` fix "now" and the zone times are shown in (snapshot tests);
        ``live=False`` leaves the server unwatched: the lists change only on a refresh (tests)."""
        super().__init__()
        self.live = live
        self.backend = backend
        self.settings = settings or Settings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tz = tz
        self.main = MainScreen(backend, embedded_reason=self.settings.embedded_reason, prefetch=prefetch)
        """The main view in front (one per profile opened: see ``app.ui.profiles``)."""
        self.profiles = ProfileSwitcher(self)

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        self.set_keymap(self.settings.keymap)
        for warning in self.settings.warnings:  # e.g. a config file holding a token that others can read
            self.notify(warning, title="Warning", severity="warning", markup=False, timeout=20)
        if self.settings.theme:
            if self.settings.theme in self.available_themes:
                self.theme = self.settings.theme
            else:
                self.notify(
                    f"There is no theme called {clean_line(self.settings.theme)!r}; using the default. "
                    "Pick one with ctrl+p → Theme.",
                    severity="warning",
                    markup=False,
                )

    async def on_unmount(self) -> None:
        await self.profiles.aclose()

    def action_switch_profile(self) -> None:
        self.profiles.open_picker()

    def desktop_notification(self, title: str, body: str) -> None:
        """A notification on the user's desktop, through the terminal: OSC 777 (rxvt, foot, WezTerm,
        Ghostty…) and OSC 9 (iTerm2, Windows Terminal, kitty…); over SSH they reach the user's own
        terminal. Textual has no call for it, so it is written the way Textual writes OSC 52."""
        if self.is_headless or self._driver is None:
            return
        title, body = desktop_text(title), desktop_text(body)
        self._driver.write(f"\x1b]777;notify;{title};{body}\x1b\\\x1b]9;{title}: {body}\x1b\\")

    def key_for(self, binding_id: str) -> str:
        """The keys of a binding as the user has them (after their keymap), for messages."""
        binding = keys.binding(binding_id)
        chosen = self.settings.keymap.get(binding_id, binding.key)
        return "/".join(self.get_key_display(Binding(key.strip(), binding.action)) for key in chosen.split(","))

    # --- what the help screen and the palette show ------------------------------------------------
    def key_sections(self, screen: Screen[object] | None = None) -> list[KeySection]:
        """The keys of ``screen`` (the one in front by default), then the app's."""
        screen = screen or self.screen
        own = screen.key_sections() if isinstance(screen, KeyedScreen) else []
        return [*own, KeySection("Everywhere", self, keys.APP)]

    def unavailable_reason(self, action: str, screen: Screen[object] | None = None) -> str | None:
        screen = screen or self.screen
        return screen.unavailable_reason(action) if isinstance(screen, KeyedScreen) else None

    def help_lines(self, screen: Screen[object] | None = None) -> list[HelpLine]:
        screen = screen or self.screen
        return [
            HelpLine(
                section.title,
                self.key_for(binding.id or ""),
                binding.tooltip,
                self.unavailable_reason(binding.action, screen),
            )
            for section in self.key_sections(screen)
            for binding in section.bindings
        ]

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.help_lines()))
