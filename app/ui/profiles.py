"""Switching between the config file's profiles without a restart, and back at once.

Each profile the user has opened keeps its own main view (``MainScreen``), installed in the app so
that Textual keeps it when another is in front: its backend, its loaded pages, its cursor and its
live inbox stay as they were, so switching back shows it as it was, with no request. The app's
first inbox (one profile, or the unified inbox of several) stays at the bottom of the screen stack
(Textual's default screen cannot be switched away); another profile's view goes on top of it.

The profiles are read from the config file when the picker opens (``load_all_profiles``); a
profile's backend is opened when it is first chosen (``app.connect.open_backend``: its own URL and
credentials only). A profile that needs a password cannot be opened from here (there is no prompt
in the TUI): the picker says so. The backends opened here are closed when the app closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.backend import InboxBackend
from app.config import ConfigError, Settings, load_all_profiles
from app.connect import open_backend
from app.models import INBOX

if TYPE_CHECKING:
    from app.ui.app import InboxApp
    from app.ui.screens.main import MainScreen

FIRST = "_first"
"""The key of the app's first inbox."""
UNIFIED = "unified"
"""The picker's name for a unified inbox the app was opened on (no profile can be called that:
a profile of that name would be shown as itself, the unified inbox under ``FIRST``)."""


@dataclass(frozen=True)
class ProfileChoice:
    """One line of the picker."""

    key: str
    """The view it switches to (``FIRST`` for the app's first inbox, else the profile's name)."""
    name: str
    location: str
    inbox_count: int | None
    current: bool


class ProfileSwitcher:
    """The profiles of the config file and the main view kept for each one opened."""

    def __init__(self, app: InboxApp, opener: Callable[[Settings], InboxBackend] = open_backend) -> None:
        self.app = app
        self.opener = opener
        self.current = FIRST
        self.first_name = app.settings.profile
        """The profile the app was opened on (``None``: no profile, or a unified inbox)."""
        self.settings: dict[str, Settings] = {}
        self.screens: dict[str, MainScreen] = {FIRST: app.main}
        """The main view of each inbox opened, the app's first one under ``FIRST``."""

    @property
    def first(self) -> MainScreen:
        return self.screens[FIRST]

    def choices(self) -> list[ProfileChoice]:
        """The app's first inbox, then each profile of the config file; ``ConfigError`` if unreadable."""
        self.settings = load_all_profiles(config=self.app.settings.config_path).profiles
        unified = self.first.unified
        listed: list[tuple[str, str, str]] = []
        if unified is not None:
            listed.append((FIRST, UNIFIED, ", ".join(unified.backend.profiles)))
        elif self.first_name not in self.settings:
            listed.append((FIRST, "(as started)", self.first.location_label()))
        for name, settings in self.settings.items():
            key = FIRST if unified is None and name == self.first_name else name
            listed.append((key, name, settings.url or "embedded inbox"))
        return [
            ProfileChoice(key, name, location, self._inbox_count(key, name), key == self.current)
            for key, name, location in listed
        ]

    def _inbox_count(self, key: str, name: str) -> int | None:
        """The Inbox count the profile's own view shows, else what the unified inbox knows of it."""
        screen = self.screens.get(key)
        if screen is not None and screen.counts[INBOX] is not None:
            return screen.counts[INBOX]
        unified = self.first.unified
        return unified.counts[INBOX].get(name) if unified is not None else None

    def open_picker(self) -> None:
        try:
            choices = self.choices()
        except ConfigError as error:
            self.app.notify(str(error), title="No profiles to switch to", severity="warning", markup=False)
            return
        if len(choices) < 2:
            self.app.notify(
                "The config file has no other profile. Add [profiles.NAME] with a url and a token.",
                title="No profiles to switch to",
                severity="warning",
                markup=False,
            )
            return
        from app.ui.screens.profiles import ProfilePicker

        self.app.push_screen(ProfilePicker(choices), self._chosen)

    def _chosen(self, key: str | None) -> None:
        if key is not None:
            self.switch(key)

    def switch(self, key: str) -> None:
        """Put *key*'s main view in front, opening its profile first if it never was; a profile
        that cannot be opened is explained and the current one stays."""
        if key == self.current:
            return
        screen = self.screens.get(key)
        if screen is None:
            try:
                backend = self.opener(self.settings[key])
            except ConfigError as error:
                self.app.notify(str(error), title=f"Cannot open {key}", severity="error", markup=False, timeout=15)
                return
            from app.ui.screens.main import MainScreen

            screen = self.screens[key] = MainScreen(backend, id=f"main-{len(self.screens)}")
        for name, kept in self.screens.items():
            if not self.app.is_screen_installed(kept):
                self.app.install_screen(kept, f"inbox:{name}")  # kept alive while another is in front
        self.current = key
        self.app.main, self.app.backend = screen, screen.backend
        # The first view is the bottom of the stack (see the module's docstring).
        if screen is self.first:
            while self.app.screen is not self.first:
                self.app.pop_screen()
        elif self.app.screen is self.first:
            self.app.push_screen(screen)
        else:
            self.app.switch_screen(screen)
        self.app.notify(f"Switched to {self.name_of(key)}.", markup=False)

    def background_name(self, screen: MainScreen) -> str | None:
        """The name of *screen*'s inbox when it is not the one in front (its news must say whose)."""
        if screen is self.app.main:
            return None
        return next((self.name_of(key) for key, kept in self.screens.items() if kept is screen), None)

    def name_of(self, key: str) -> str:
        if key != FIRST:
            return key
        if self.first.unified is not None:
            return "the unified inbox"
        return self.first_name or self.first.location_label()

    async def aclose(self) -> None:
        """Close the backends opened here (the app's first one belongs to whoever opened the app)."""
        opened = [screen.backend for key, screen in self.screens.items() if key != FIRST]
        for backend in opened:
            await backend.aclose()
