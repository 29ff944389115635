"""Composing notifications: recipients by id, e-mail or name, drafts, and one batch create.

The CLI's ``send`` and the TUI's compose dialog both go through :func:`send`, so they resolve
recipients and validate the same way. Problems with what the user typed are a
``ComposeError(field, message)`` (``field`` is ``"to"``, ``"subject"``, ``"message"`` or
``"collection"``, for a form to put the message next to); what the server refuses is an
``InboxError`` from the backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from app.backend import InboxBackend
from app.errors import ForbiddenError
from app.models import Notification, NotificationDraft, User
from app.sanitize import clean_line

MAX_SUBJECT = 255
"""``directus_notifications.subject`` is a varchar(255)."""

MAX_CANDIDATES = 5
"""How many candidates an "ambiguous recipient" message lists."""

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ComposeError(ValueError):
    """What the user typed cannot be sent; ``message`` says what is wrong and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message


def is_user_id(text: str) -> bool:
    return bool(UUID.match(text.strip()))


def _exact(user: User, wanted: str) -> bool:
    wanted = wanted.casefold()
    full = " ".join(part for part in (user.first_name, user.last_name) if part)
    return wanted in {value.casefold() for value in (user.id, user.email or "", full) if value}


async def _search(backend: InboxBackend, name: str) -> list[User]:
    """Users matching *name*. Directus searches field by field, so "Uma User" (first and last
    name) finds nobody: then search by the first word and keep those with every word."""
    candidates = await backend.users(search=name, limit=50)
    words = name.casefold().split()
    if candidates or len(words) < 2:
        return candidates
    found = await backend.users(search=words[0], limit=100)
    return [
        user
        for user in found
        if all(
            word in " ".join(filter(None, (user.first_name, user.last_name, user.email))).casefold() for word in words
        )
    ]


async def resolve_recipients(backend: InboxBackend, names: Iterable[str | User]) -> list[User]:
    """The users *names* stand for, in order and without repeats.

    A name may be a ``User`` (taken as is), a user id (a UUID, taken even when the current user may
    not read that user: the server checks it), or text searched with ``backend.users(search=...)``:
    an exact e-mail, full name or id wins; otherwise a single search result is taken. No match or
    several is a ``ComposeError`` naming the candidates.
    """
    wanted = [name if isinstance(name, User) else name.strip() for name in names]
    wanted = [name for name in wanted if isinstance(name, User) or name]
    if not wanted:
        raise ComposeError("to", "There is no recipient. Add at least one user (e-mail, name or id).")

    ids = [name for name in wanted if isinstance(name, str) and is_user_id(name)]
    known: dict[str, User] = {}
    if ids:
        known = {user.id.lower(): user for user in await backend.users(ids=ids)}

    resolved: list[User] = []
    problems: list[str] = []
    for name in wanted:
        if isinstance(name, User):
            resolved.append(name)
            continue
        if is_user_id(name):
            resolved.append(known.get(name.lower()) or User(id=name))
            continue
        candidates = await _search(backend, name)
        exact = [user for user in candidates if _exact(user, name)]
        if len(exact) == 1:
            resolved.append(exact[0])
        elif len(exact) > 1 or len(candidates) > 1:
            choices = exact or candidates
            listed = ", ".join(clean_line(user.label) for user in choices[:MAX_CANDIDATES])
            more = f" and {len(choices) - MAX_CANDIDATES} more" if len(choices) > MAX_CANDIDATES else ""
            problems.append(f"'{clean_line(name)}' matches {len(choices)} users ({listed}{more})")
        elif len(candidates) == 1:
            resolved.append(candidates[0])
        else:
            problems.append(f"no user you may see matches '{clean_line(name)}'")
    if problems:
        text = "; ".join(problems)
        raise ComposeError("to", f"{text[0].upper()}{text[1:]}. Give the recipient's e-mail address or user id.")

    unique: dict[str, User] = {}
    for user in resolved:
        unique.setdefault(user.id.lower(), user)
    return list(unique.values())


def check_subject(subject: str | None) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise ComposeError("subject", "The subject is empty. Write a subject.")
    if len(subject) > MAX_SUBJECT:
        raise ComposeError(
            "subject",
            f"The subject is {len(subject)} characters long; at most {MAX_SUBJECT} fit. "
            "Shorten it, and put the rest in the message.",
        )
    return subject


def check_reference(collection: str | None, item: str | int | None) -> tuple[str | None, str | None]:
    collection = (collection or "").strip() or None
    item_text = None if item is None else (str(item).strip() or None)
    if item_text is not None and collection is None:
        raise ComposeError("collection", "An item needs its collection. Give the collection too.")
    return collection, item_text


def build_drafts(
    recipients: Sequence[User | str],
    subject: str | None,
    message: str | None = None,
    collection: str | None = None,
    item: str | int | None = None,
    *,
    sender: str | None = None,
) -> list[NotificationDraft]:
    """One draft per recipient, all with the same subject, message and item reference."""
    if not recipients:
        raise ComposeError("to", "There is no recipient. Add at least one user (e-mail, name or id).")
    subject = check_subject(subject)
    collection, item_text = check_reference(collection, item)
    body = message if message is not None and message.strip() else None
    return [
        NotificationDraft(
            recipient=recipient.id if isinstance(recipient, User) else recipient,
            subject=subject,
            message=body,
            collection=collection,
            item=item_text,
            sender=sender,
        )
        for recipient in recipients
    ]


async def send(
    backend: InboxBackend,
    to: Sequence[str | User],
    subject: str | None,
    message: str | None = None,
    collection: str | None = None,
    item: str | int | None = None,
) -> list[Notification]:
    """Validate, resolve the recipients, and create one notification each in ONE ``create_many``.

    Raises ``ComposeError`` for what the user typed, ``ForbiddenError`` when their role may not
    send notifications (checked before anything is sent), and the backend's errors otherwise.
    """
    check_subject(subject)
    check_reference(collection, item)
    if not [name for name in to if isinstance(name, User) or name.strip()]:
        raise ComposeError("to", "There is no recipient. Add at least one user (e-mail, name or id).")
    capabilities = await backend.capabilities()
    if not capabilities.can_create:
        raise ForbiddenError(
            capabilities.why_not("create") or "You may not send notifications.", code="FORBIDDEN", status=403
        )
    recipients = await resolve_recipients(backend, to)
    sender = None
    if capabilities.create.allows_field("sender"):
        # Directus leaves ``sender`` empty unless the client sets it; the recipient wants to know.
        sender = (await backend.me()).id
    drafts = build_drafts(recipients, subject, message, collection, item, sender=sender)
    return await backend.create_many(drafts)
