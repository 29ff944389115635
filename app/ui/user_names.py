"""Names for the user ids notifications carry, as far as the current user may read them.

The app asks the backend once per page for the ids it has not seen (``claim_unknown``) and
records the answer (``learn``); an id the server did not return is a user the current user may not read,
shown by a short id, and never asked for again.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.models import User, UserRef, short_id
from app.sanitize import clean_line

SYSTEM = "system"


class UserNames:
    def __init__(self) -> None:
        self._users: dict[str, User | None] = {}
        self.version = 0
        """Bumped whenever a name is learnt, so views know to draw again."""

    def claim_unknown(self, refs: Iterable[UserRef | None]) -> set[str]:
        """The ids among ``refs`` not asked for yet, now counted as asked (so asked only once)."""
        unknown = {ref for ref in refs if isinstance(ref, str) and ref not in self._users}
        for user_id in unknown:
            self._users[user_id] = None
        return unknown

    def learn(self, asked: Iterable[str], users: Iterable[User]) -> None:
        for user_id in asked:
            self._users.setdefault(user_id, None)
        for user in users:
            self._users[user.id] = user
        self.version += 1

    def user(self, ref: UserRef | None) -> User | None:
        if isinstance(ref, User):
            return ref
        return self._users.get(ref) if ref else None

    def label(self, ref: UserRef | None) -> str:
        """A name fit for one line of a terminal: the user's name, else a short id, else "system"."""
        if ref is None:
            return SYSTEM
        user = self.user(ref)
        if user is not None:
            return clean_line(user.display_name) or short_id(user.id)
        return clean_line(short_id(ref if isinstance(ref, str) else ref.id))
