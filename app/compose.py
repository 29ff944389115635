"""Composing notifications: recipients by id, e-mail or name, drafts, and one batch create.

The CLI's ``send`` and the TUI's compose dialog both go through :func:`deliver` (or :func:`send`,
which raises instead), so they resolve recipients and validate the same way. Problems with what
the user typed are a ``ComposeError(field, message)`` (``field`` is ``"to"``, ``"subject"``,
``"message"`` or ``"collection"``, for a form to put the message next to).

No duplicate sends: when the answer to the create is lost (a timeout, a dropped connection, a
server error), the server is searched for what it now holds before anything is reported, and the
``Delivery`` says "sent", "not sent" or "unknown: check before sending again".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from app.backend import InboxBackend, refused
from app.errors import ForbiddenError, InboxError
from app.models import Capabilities, Notification, NotificationDraft, Query, User, user_id_of
from app.sanitize import clean_line

MAX_SUBJECT = 255
"""``directus_notifications.subject`` is a varchar(255)."""

MAX_CANDIDATES = 5
"""How many candidates an "ambiguous recipient" message lists."""

CLOCK_SKEW = timedelta(minutes=2)
"""How far the server's clock may lag this machine's: a lost send is searched for from this much
before it began (the server stamps the notification with its own clock)."""

SENT: Final = "sent"
NOT_SENT: Final = "not sent"
UNKNOWN: Final = "unknown"
SendState = Literal["sent", "not sent", "unknown"]

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


async def matching_users(backend: InboxBackend, name: str) -> list[User]:
    """The users the text *name* (an e-mail, a name or an id) may stand for, as ``resolve_recipients``
    judges it: the exact matches (e-mail, full name, id) if any, else every candidate of the search."""
    candidates = await _search(backend, name)
    return [user for user in candidates if _exact(user, name)] or candidates


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


@dataclass(frozen=True)
class Delivery:
    """What became of a send, as the server holds it.

    ``state`` is ``SENT`` (the server holds a notification for every recipient: from its answer,
    or found after the answer was lost), ``NOT_SENT`` (refused, or never left: nothing was
    created) or ``UNKNOWN`` (the answer was lost and the server did not show them all: they may
    exist, or still arrive — check before sending again). A draft is safe to drop only when sent.
    """

    state: SendState
    created: tuple[Notification, ...] = ()
    """What the server holds: every notification on ``SENT``, those found on ``UNKNOWN``."""
    recipients: tuple[User, ...] = ()
    """Whom it was for (empty when it failed before the recipients were known)."""
    error: InboxError | None = None
    """Why it was not sent, or why its fate is unknown; on ``SENT``, the lost answer (if one was)."""
    searched: bool = False
    """Whether the server was searched for it after its answer was lost."""
    may_read_all: bool = True
    """Whether the sender may read other users' notifications (else a search may miss them)."""

    @property
    def missing(self) -> tuple[User, ...]:
        """Recipients for whom the server shows no notification (on ``UNKNOWN``)."""
        reached = {user_id_of(item.recipient) for item in self.created}
        return tuple(user for user in self.recipients if user.id not in reached)

    def describe(self) -> str:
        """One line for the user: what happened, and on ``UNKNOWN`` what to do."""
        count = len(self.created)
        if self.state == SENT:
            text = f"Sent {count} notification{'s' if count != 1 else ''}."
            if self.error is not None:
                text += " (The answer was lost; the server, searched, holds it.)"
            return text
        cause = self.error.message if self.error is not None else "no answer"
        cause = cause.rstrip() if cause.rstrip().endswith((".", "!", "?")) else f"{cause.rstrip()}."
        if self.state == NOT_SENT:
            return f"Not sent: {cause}"
        if not self.searched:
            found = "The server could not be searched for it."
        elif count:
            names = ", ".join(clean_line(user.label) for user in self.missing)
            found = f"The server holds it for {count} of {len(self.recipients)} recipients; not (yet) for {names}."
        elif self.may_read_all:
            found = "The server does not hold it (yet)."
        else:
            found = "It is not among the notifications you may read (your role may not read other users')."
        return (
            f"Whether it was sent is unknown: {cause} {found} Check the recipients' notifications before "
            "sending it again."
        )


class SendUnknownError(InboxError):
    """``send`` could not tell whether the notifications were created (see ``Delivery.describe``)."""

    def __init__(self, delivery: Delivery) -> None:
        cause = delivery.error
        super().__init__(
            delivery.describe(),
            code=cause.code if cause is not None else None,
            status=cause.status if cause is not None else None,
        )
        self.delivery = delivery


async def deliver(
    backend: InboxBackend,
    to: Sequence[str | User],
    subject: str | None,
    message: str | None = None,
    collection: str | None = None,
    item: str | int | None = None,
) -> Delivery:
    """Validate, resolve the recipients, create one notification each in ONE ``create_many``, and
    say what the server then holds.

    Raises ``ComposeError`` for what the user typed; any ``InboxError`` is in the ``Delivery``:
    ``NOT_SENT`` when it came before the create (the role may not send, the server is down) or
    when the server refused it; after a lost answer, the server is searched (``find_sent``).
    """
    check_subject(subject)
    check_reference(collection, item)
    if not [name for name in to if isinstance(name, User) or name.strip()]:
        raise ComposeError("to", "There is no recipient. Add at least one user (e-mail, name or id).")
    try:
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
    except InboxError as error:
        return Delivery(NOT_SENT, error=error)
    drafts = build_drafts(recipients, subject, message, collection, item, sender=sender)
    began = datetime.now(UTC)
    try:
        created = await backend.create_many(drafts)
    except InboxError as error:
        if refused(error):
            return Delivery(NOT_SENT, recipients=tuple(recipients), error=error)
        return await _search_after_lost_answer(backend, drafts, tuple(recipients), began, error, capabilities)
    return Delivery(SENT, created=tuple(created), recipients=tuple(recipients))


async def _search_after_lost_answer(
    backend: InboxBackend,
    drafts: list[NotificationDraft],
    recipients: tuple[User, ...],
    began: datetime,
    error: InboxError,
    capabilities: Capabilities,
) -> Delivery:
    may_read_all = capabilities.read.access == "full"
    try:
        found = await find_sent(backend, drafts, since=began - CLOCK_SKEW)
    except InboxError:
        return Delivery(UNKNOWN, recipients=recipients, error=error, may_read_all=may_read_all)
    state: SendState = SENT if len(found) == len(drafts) else UNKNOWN
    return Delivery(state, tuple(found), recipients, error, searched=True, may_read_all=may_read_all)


async def find_sent(
    backend: InboxBackend, drafts: Sequence[NotificationDraft], *, since: datetime
) -> list[Notification]:
    """The notification the server holds for each draft, if any: the newest one to that recipient,
    stamped *since* or later, with the same subject, sender, message and item reference.

    The search sees only what the current user may read: an ordinary role reads only its own
    notifications, so a notification to someone else is never found (which is not "not sent").
    """
    if not drafts:
        return []
    recipients = sorted({draft.recipient for draft in drafts})
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
    query = Query(
        filter={
            "_and": [
                {"subject": {"_eq": drafts[0].subject}},
                {"recipient": {"_in": recipients}},
                {"timestamp": {"_gte": stamp}},
            ]
        },
        sort=("-id",),
        limit=min(len(drafts) * 10, 500),
    )
    candidates = (await backend.list_notifications(query)).items
    found: list[Notification] = []
    for draft in drafts:
        match = next((row for row in candidates if _same(row, draft)), None)
        if match is not None:
            found.append(match)
    return found


def _same(row: Notification, draft: NotificationDraft) -> bool:
    return (
        row.recipient_id == draft.recipient
        and row.sender_id == draft.sender
        and row.subject == draft.subject
        and row.message == draft.message
        and row.collection == draft.collection
        and row.item == draft.item
    )


async def send(
    backend: InboxBackend,
    to: Sequence[str | User],
    subject: str | None,
    message: str | None = None,
    collection: str | None = None,
    item: str | int | None = None,
) -> list[Notification]:
    """``deliver``, raising when not sent: the notifications created (also when found after a lost answer).

    Raises ``ComposeError`` for what the user typed, the error itself when nothing was sent
    (``ForbiddenError`` when the role may not send, checked before anything is sent), and
    ``SendUnknownError`` when it is unknown whether the notifications were created.
    """
    delivery = await deliver(backend, to, subject, message, collection, item)
    if delivery.state == SENT:
        return list(delivery.created)
    if delivery.state == NOT_SENT and delivery.error is not None:
        raise delivery.error
    raise SendUnknownError(delivery)
