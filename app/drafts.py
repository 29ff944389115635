"""Drafts that survive a crash, and the text of a reply; no Textual here.

A draft is what the compose dialog holds: the chosen recipients, what is still typed in the To
field, subject, message, collection and item. It is saved as JSON in
``<user data dir>/drafts/`` — one file per account (server or embedded inbox, and user) and per
"slot" (``new`` for a new notification, ``reply-<id>`` for a reply) — by writing a temporary file
next to it and renaming it over the old one, so a crash mid-write leaves the previous draft whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.compose import ComposeError, build_drafts, check_reference, check_subject
from app.models import Notification, User, short_id
from app.sanitize import clean, clean_line
from app.secrecy import data_dir, private_data_dir, private_dir
from app.timefmt import local_time_numeric

DRAFT_VERSION = 1
NEW_SLOT = "new"
DRAFTS = "drafts"


class DraftRecipient(BaseModel):
    """A recipient chosen in the To field: the user id, and the name the dialog showed."""

    id: str
    label: str


class Draft(BaseModel):
    """Everything the user typed into the compose dialog."""

    model_config = ConfigDict(extra="ignore")

    recipients: list[DraftRecipient] = Field(default_factory=list)
    to_text: str = ""
    """Typed in the To field but not yet turned into a recipient."""
    subject: str = ""
    message: str = ""
    collection: str = ""
    item: str = ""
    reply_to: int | None = None
    saved_at: datetime | None = None

    def is_blank(self) -> bool:
        return not (
            self.recipients
            or self.to_text.strip()
            or self.subject.strip()
            or self.message.strip()
            or self.collection.strip()
            or self.item.strip()
        )

    def same_content(self, other: Draft) -> bool:
        """Whether both hold the same text (``saved_at`` aside)."""
        return self.model_dump(exclude={"saved_at"}) == other.model_dump(exclude={"saved_at"})


class CorruptDraftError(Exception):
    """A draft file could not be read; it was moved aside (``kept_as``) rather than deleted."""

    def __init__(self, message: str, kept_as: Path | None) -> None:
        super().__init__(message)
        self.message = message
        self.kept_as = kept_as


def drafts_dir() -> Path:
    return data_dir() / DRAFTS


def reply_slot(notification_id: int) -> str:
    return f"reply-{notification_id}"


class DraftFile:
    """The draft of one account and slot, at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_account(cls, location: str, user_id: str, slot: str = NEW_SLOT, directory: Path | None = None) -> DraftFile:
        """The draft file of *user_id* on the inbox at *location* (a server URL or a SQLite file)."""
        account = hashlib.sha256(f"{location}\n{user_id}".encode()).hexdigest()[:16]
        safe_slot = re.sub(r"[^A-Za-z0-9_-]", "_", slot)
        return cls((directory or drafts_dir()) / f"{account}-{safe_slot}.json")

    def exists(self) -> bool:
        return self.path.is_file()

    def save(self, draft: Draft) -> Draft:
        """Write *draft* atomically, stamped with the time; returns the stamped draft."""
        stamped = draft.model_copy(update={"saved_at": datetime.now(UTC)})
        data = {"version": DRAFT_VERSION, **stamped.model_dump(mode="json")}
        if self.path.parent == drafts_dir():
            private_data_dir(DRAFTS)
        else:
            private_dir(self.path.parent, tighten=False)
        # mkstemp makes the file 0600, and the rename keeps that.
        handle, temp_name = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as temp:
                json.dump(data, temp, ensure_ascii=False, indent=1)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return stamped

    def load(self) -> Draft | None:
        """The saved draft, or ``None`` when there is none.

        A file that is not a draft raises ``CorruptDraftError``; the file is first renamed to
        ``*.corrupt-<time>.json`` so that the next save cannot overwrite what it held.
        """
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise self._corrupt(f"the file could not be read ({error.__class__.__name__})") from error
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return Draft.model_validate(data)
        except (ValueError, ValidationError) as error:
            reason = "it is not valid JSON" if isinstance(error, json.JSONDecodeError) else "it is not a draft"
            raise self._corrupt(reason) from error

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def _corrupt(self, reason: str) -> CorruptDraftError:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}.json")
        kept: Path | None = target
        try:
            os.replace(self.path, target)
        except OSError:
            kept = None
        where = f"; it was kept as {kept}" if kept else f"; it is still at {self.path}"
        return CorruptDraftError(f"The saved draft could not be restored: {reason}{where}.", kept)


# --- Replies -----------------------------------------------------------------------------------

_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw)\s*(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE)


def reply_subject(subject: str | None) -> str:
    """``Re: <subject>``, once: existing ``Re:``/``RE:``/``Aw:`` (also ``Re[2]:``) prefixes go."""
    rest = _REPLY_PREFIX.sub("", clean_line(subject))
    return f"Re: {rest}" if rest else "Re: (no subject)"


def quote_message(message: str | None, *, author: str, when: datetime | None) -> str:
    """The original message as a Markdown quote under an "On <date>, <author> wrote:" line.

    The text is cleaned of control characters but otherwise quoted as it was written, so its
    Markdown still renders (inside the quote) for whoever reads the reply.
    """
    header = f"On {local_time_numeric(when)}, {clean_line(author) or 'someone'} wrote:"
    body = clean(message, multiline=True).strip("\n")
    quoted = "\n".join(f"> {line}".rstrip() for line in body.split("\n")) if body else ">"
    return f"{header}\n\n{quoted}\n"


def reply_draft(original: Notification, *, author: str | None = None) -> Draft:
    """A reply to *original*: to its sender, "Re: <subject>", the message quoted, the item kept.

    *author* is the sender's name when the caller knows it; otherwise the name the notification
    carries (an expanded sender), or the start of the sender's id. A notification without a
    sender (Directus leaves it empty unless the creator sets it) gets no recipient.
    """
    sender = original.sender
    if author is None:
        author = sender.display_name if isinstance(sender, User) else short_id(sender or "") or "someone"
    author = clean_line(author)
    recipients = [DraftRecipient(id=original.sender_id, label=author)] if original.sender_id else []
    return Draft(
        recipients=recipients,
        subject=reply_subject(original.subject),
        message="\n\n" + quote_message(original.message, author=author, when=original.timestamp),
        collection=clean_line(original.collection),
        item=clean_line(original.item),
        reply_to=original.id,
    )


def form_errors(to: list[str | User], subject: str | None, collection: str | None, item: str | None) -> dict[str, str]:
    """Every problem ``app.compose.send`` would refuse without asking the server, by field.

    ``send`` stops at the first; a form shows them all at once, each under its own field.
    """
    checks: list[Callable[[], object]] = [
        # A stand-in subject: only the recipients are being checked here.
        lambda: build_drafts(to, "-"),
        lambda: check_subject(subject),
        lambda: check_reference(collection, item),
    ]
    errors: dict[str, str] = {}
    for check in checks:
        try:
            check()
        except ComposeError as error:
            errors.setdefault(error.field, error.message)
    return errors
