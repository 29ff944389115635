"""The data every backend speaks: notifications, users, queries, pages and capabilities.

These are pydantic models so that what a server sends is validated once, at the edge, and the
rest of the program can rely on types: ids are ints, timestamps are aware datetimes, a status the
server invented is kept as text rather than crashing the app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

INBOX = "inbox"
ARCHIVED = "archived"

DEFAULT_SORT = ("-timestamp", "-id")
MAX_PAGE = 100
"""Directus answers at most this many rows when no limit is given; pages are this size."""


class User(BaseModel):
    """A Directus user, as much of it as the current user may read."""

    model_config = ConfigDict(extra="ignore")

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.email or short_id(self.id)

    @property
    def label(self) -> str:
        """Name and address, for choosing a recipient."""
        if self.email and self.display_name != self.email:
            return f"{self.display_name} <{self.email}>"
        return self.display_name


def short_id(user_id: str) -> str:
    return user_id.split("-", 1)[0][:8]


UserRef = str | User


def user_id_of(ref: UserRef | None) -> str | None:
    if ref is None:
        return None
    return ref.id if isinstance(ref, User) else ref


class Notification(BaseModel):
    """One notification. ``recipient``/``sender`` hold a user id, or the user when expanded."""

    model_config = ConfigDict(extra="ignore")

    id: int
    timestamp: datetime | None = None
    status: str = INBOX
    recipient: UserRef | None = None
    sender: UserRef | None = None
    subject: str | None = None
    message: str | None = None
    collection: str | None = None
    item: str | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _aware_timestamp(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, datetime) and value.tzinfo is None:
            # Directus stores timestamps in UTC; a naive value (SQLite, old servers) is UTC too.
            value = value.replace(tzinfo=UTC)
        return value

    @field_validator("recipient", "sender", mode="before")
    @classmethod
    def _user_ref(cls, value: Any) -> Any:
        # GraphQL always answers with an object; an object with only an id is just the id.
        if isinstance(value, dict):
            if set(value) <= {"id"}:
                return value.get("id")
            return User.model_validate(value)
        return value

    @field_validator("item", mode="before")
    @classmethod
    def _item_text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, value: Any) -> Any:
        return INBOX if value is None else str(value)

    @property
    def recipient_id(self) -> str | None:
        return user_id_of(self.recipient)

    @property
    def sender_id(self) -> str | None:
        return user_id_of(self.sender)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of the CLI: the same keys for every backend, ids as ints."""
        return {
            "id": self.id,
            "timestamp": self.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z") if self.timestamp else None,
            "status": self.status,
            "recipient": self.recipient_id,
            "sender": self.sender_id,
            "subject": self.subject,
            "message": self.message,
            "collection": self.collection,
            "item": self.item,
        }


class NotificationDraft(BaseModel):
    """What a caller may set when creating a notification; the server fills the rest."""

    model_config = ConfigDict(extra="forbid")

    recipient: str
    subject: str
    message: str | None = None
    collection: str | None = None
    item: str | None = None
    sender: str | None = None
    status: str | None = None

    def payload(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class NotificationChanges(BaseModel):
    """A partial update. Ordinary users may change only ``status``."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    subject: str | None = None
    message: str | None = None
    collection: str | None = None
    item: str | None = None
    recipient: str | None = None
    sender: str | None = None

    def payload(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if not data:
            raise ValueError("an update needs at least one field")
        return data


Filter = dict[str, Any]


class Query(BaseModel):
    """The global query parameters of Directus that the inbox uses.

    ``filter`` is a Directus filter object; ``status`` and ``search`` are shortcuts that are
    combined with it. ``page`` (1-based) wins over ``offset`` when both are given.
    """

    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    search: str | None = None
    filter: Filter | None = None
    sort: tuple[str, ...] = DEFAULT_SORT
    limit: int = MAX_PAGE
    offset: int = 0
    page: int | None = None
    fields: tuple[str, ...] | None = None
    mine: bool = False
    """Only notifications whose recipient is the current user (what an inbox shows)."""

    @field_validator("limit")
    @classmethod
    def _limit(cls, value: int) -> int:
        if value < -1 or value == 0:
            raise ValueError("limit must be positive, or -1 for all")
        return value

    @field_validator("offset")
    @classmethod
    def _offset(cls, value: int) -> int:
        if value < 0:
            raise ValueError("offset must not be negative")
        return value

    @field_validator("page")
    @classmethod
    def _page(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("page starts at 1")
        return value

    @property
    def effective_offset(self) -> int:
        if self.page is not None and self.limit > 0:
            return (self.page - 1) * self.limit
        return self.offset

    def combined_filter(self) -> Filter | None:
        """``filter``, ``status`` and ``mine`` as one Directus filter (``search`` stays apart)."""
        parts: list[Filter] = []
        if self.filter:
            parts.append(self.filter)
        if self.status is not None:
            parts.append({"status": {"_eq": self.status}})
        if self.mine:
            parts.append({"recipient": {"_eq": "$CURRENT_USER"}})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"_and": parts}


class Page(BaseModel):
    """One page of a list: the items, and both of Directus's counts.

    ``total_count`` counts everything the user may read in the collection; ``filter_count``
    counts what matches the query's filter and search.
    """

    items: list[Notification]
    total_count: int
    filter_count: int
    offset: int = 0
    limit: int = MAX_PAGE


Access = Literal["full", "partial", "none"]


class ActionRule(BaseModel):
    access: Access = "none"
    fields: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.access != "none"

    def allows_field(self, field: str) -> bool:
        if self.access == "none":
            return False
        return "*" in self.fields or field in self.fields or (self.access == "full" and not self.fields)


class Capabilities(BaseModel):
    """What the current user may do with notifications (from ``/permissions/me``)."""

    read: ActionRule = Field(default_factory=ActionRule)
    create: ActionRule = Field(default_factory=ActionRule)
    update: ActionRule = Field(default_factory=ActionRule)
    delete: ActionRule = Field(default_factory=ActionRule)
    read_users: ActionRule = Field(default_factory=ActionRule)
    admin: bool = False

    @classmethod
    def everything(cls, admin: bool = True) -> Capabilities:
        full = ActionRule(access="full", fields=("*",))
        return cls(read=full, create=full, update=full, delete=full, read_users=full, admin=admin)

    @property
    def can_create(self) -> bool:
        return self.create.allowed

    @property
    def can_delete(self) -> bool:
        return self.delete.allowed

    @property
    def can_archive(self) -> bool:
        return self.update.allows_field("status")

    def why_not(self, action: Literal["create", "delete", "archive"]) -> str | None:
        """A sentence for the user when *action* is not allowed, else ``None``."""
        allowed = {"create": self.can_create, "delete": self.can_delete, "archive": self.can_archive}[action]
        if allowed:
            return None
        verb = {"create": "send notifications", "delete": "delete notifications", "archive": "archive notifications"}[
            action
        ]
        return f"Your role may not {verb}; ask a Directus admin for that permission."


class BackendInfo(BaseModel):
    """Where the inbox lives, for the header and for ``whoami``."""

    kind: Literal["embedded", "rest", "graphql"]
    location: str
    """The server's URL, or the embedded inbox's file."""
    public_url: str | None = None
    """Base for Data Studio links (``<public_url>/admin/content/<collection>/<item>``)."""

    @property
    def is_embedded(self) -> bool:
        return self.kind == "embedded"

    def item_url(self, collection: str | None, item: str | None) -> str | None:
        if not self.public_url or not collection or not item:
            return None
        from urllib.parse import quote

        return f"{self.public_url.rstrip('/')}/admin/content/{quote(collection, safe='')}/{quote(item, safe='')}"
