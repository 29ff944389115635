"""The short profile label before each row of a unified inbox, in its profile's colour.

The colours are the list's component classes ``notification-list--profile-N`` (``styles/list.tcss``);
a row whose server does not answer is drawn with ``notification-list--profile-unreachable`` and a
mark after its label. No import of ``app.unified`` here: the list stays light for one server.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from app.models import Notification

PROFILE_COLOURS = 6
"""How many colours ``styles/list.tcss`` defines for profiles (``notification-list--profile-0`` …);
a seventh profile takes the first colour again."""
PROFILE_COMPONENTS = {f"notification-list--profile-{index}" for index in range(PROFILE_COLOURS)}
UNREACHABLE_COMPONENT = "notification-list--profile-unreachable"
UNREACHABLE_MARK = "!"
"""After the label of a row whose server does not answer (not only a colour: it must read in monochrome)."""


def profile_of(notification: Notification) -> str | None:
    """The profile of a unified inbox's row (``app.unified.UnifiedNotification``); ``None`` elsewhere."""
    profile = getattr(notification, "profile", None)
    return profile if isinstance(profile, str) else None


@dataclass
class ProfileTags:
    """The label and colour of each profile, as a list draws them before a row's sender."""

    labels: dict[str, str]
    """Label per profile, in the unified inbox's order (the order picks the colour)."""
    unreachable: frozenset[str] = frozenset()
    version: int = 0
    """Changes whenever what a tag looks like changes (rows drawn before must be drawn again)."""

    @property
    def width(self) -> int:
        return max((cell_len(label) for label in self.labels.values()), default=0) + len(UNREACHABLE_MARK)

    def component(self, profile: str) -> str:
        if profile in self.unreachable:
            return UNREACHABLE_COMPONENT
        order = list(self.labels)
        index = order.index(profile) if profile in order else 0
        return f"notification-list--profile-{index % PROFILE_COLOURS}"

    def tag(self, notification: Notification) -> tuple[str, str] | None:
        """The row's tag, ``width`` cells wide, and its component class; ``None`` for a row of no profile."""
        profile = profile_of(notification)
        if profile is None:
            return None
        text = self.labels.get(profile, profile)
        if profile in self.unreachable:
            text += UNREACHABLE_MARK
        return text.ljust(self.width), self.component(profile)

    def set_unreachable(self, profiles: frozenset[str]) -> bool:
        if profiles == self.unreachable:
            return False
        self.unreachable = profiles
        self.version += 1
        return True
