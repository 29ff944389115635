"""The data every backend speaks: notifications, users, queries, pages and capabilities.

These are pydantic models so that what a server sends is validated once, at the edge, and the
rest of the program can rely on types: ids are ints, timestamps are aware datetimes, a status the
server invented is kept as text rather than crashing the app.

The fields of a notification and of a user are declared once, here, each with how Directus keeps
it (``DirectusField``); ``NOTIFICATION_FIELDS`` and ``USER_FIELDS`` read that back, and the GraphQL
selections, the REST field lists, the embedded inbox's SQLite schema and its filter engine are
derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

INBOX: Final = "inbox"
ARCHIVED: Final = "archived"
Folder = Literal["inbox", "archived"]
"""The two folders of the inbox, as the Directus Data Studio has them."""

DEFAULT_SORT = ("-timestamp", "-id")
"""Newest first, as every inbox lists; ties (the same millisecond) by id."""
OLDEST_FIRST = ("timestamp", "id")
MAX_PAGE = 100
"""Directus answers at most this many rows when no limit is given; pages are this size."""

DirectusType = Literal["integer", "timestamp", "string", "text", "uuid"]


@dataclass(frozen=True)
class DirectusField:
    """How Directus keeps a model's field; attached to it with ``Annotated``."""

    type: DirectusType
    """The type a SQLite-backed Directus 12 reports: it decides which filter operators the field
    takes, and whether ``search`` looks into it (string and text fields do)."""
    user_relation: bool = False
    """The field holds a ``directus_users`` id: GraphQL selects it as ``{ id }`` and filters it
    through ``id``, and a filter or a sort may reach the user's fields (``recipient.email``)."""
    required: bool = False
    """The collection's column is NOT NULL: a notification cannot be created, or changed, without it."""


def directus_fields(model: type[BaseModel]) -> dict[str, DirectusField]:
    """Every field of *model* with its ``DirectusField``, in declaration order."""
    fields: dict[str, DirectusField] = {}
    for name, info in model.model_fields.items():
        found = [item for item in info.metadata if isinstance(item, DirectusField)]
        if len(found) != 1:
            raise TypeError(f"{model.__name__}.{name} needs exactly one DirectusField")
        fields[name] = found[0]
    return fields


class User(BaseModel):
    """A Directus user, as much of it as the current user may read."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, DirectusField("uuid")]
    first_name: Annotated[str | None, DirectusField("string")] = None
    last_name: Annotated[str | None, DirectusField("string")] = None
    email: Annotated[str | None, DirectusField("string")] = None

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


class Role(BaseModel):
    """A Directus role, as much of it as the inbox reads."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str | None = None


class RoleMembers(BaseModel):
    """A role and its users whom the current user may read (``InboxBackend.role_members``)."""

    role: Role
    users: list[User]
    """The active ones: those a notification is for."""
    inactive: int = 0
    """Members the current user may read who are not active (invited, suspended, archived): left out."""


def user_id_of(ref: UserRef | None) -> str | None:
    if ref is None:
        return None
    return ref.id if isinstance(ref, User) else ref


class Notification(BaseModel):
    """One notification. ``recipient``/``sender`` hold a user id, or the user when expanded."""

    model_config = ConfigDict(extra="ignore")

    # ``recipient`` and ``subject`` are NOT NULL on the server, but a field list may leave them out.
    id: Annotated[int, DirectusField("integer")]
    timestamp: Annotated[datetime | None, DirectusField("timestamp")] = None
    status: Annotated[str, DirectusField("string")] = INBOX
    recipient: Annotated[UserRef | None, DirectusField("string", user_relation=True, required=True)] = None
    sender: Annotated[UserRef | None, DirectusField("string", user_relation=True)] = None
    subject: Annotated[str | None, DirectusField("string", required=True)] = None
    message: Annotated[str | None, DirectusField("text")] = None
    collection: Annotated[str | None, DirectusField("string")] = None
    item: Annotated[str | None, DirectusField("string")] = None

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
        """The stable JSON shape of the CLI: every field, for every backend; users as their ids."""
        data: dict[str, Any] = {}
        for name, field in NOTIFICATION_FIELDS.items():
            value = getattr(self, name)
            if field.user_relation:
                value = user_id_of(value)
            elif isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
            data[name] = value
        return data


NOTIFICATION_FIELDS: Final = directus_fields(Notification)
"""The fields of ``directus_notifications``, in the server's order."""
USER_FIELDS: Final = directus_fields(User)
"""The fields of ``directus_users`` the inbox reads."""
USER_RELATIONS: Final = tuple(name for name, field in NOTIFICATION_FIELDS.items() if field.user_relation)
"""The notification fields that hold a user: ``recipient`` and ``sender``."""


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
    """Notification fields to read (``None`` or ``*``: all); the id is always read."""
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

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # Notification fields only: a user's fields ("recipient.email") come back without the
        # user's id, which no model could hold, and no caller needs them.
        if value is None or "*" in value:
            return value
        unknown = [name for name in value if name not in NOTIFICATION_FIELDS]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a notification field; fields are {', '.join(NOTIFICATION_FIELDS)}"
            )
        return value if "id" in value else ("id", *value)

    @field_validator("page")
    @classmethod
    def _page(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("page starts at 1")
        return value

    @classmethod
    def of_folder(
        cls,
        folder: Folder,
        *,
        search: str | None = None,
        sort: tuple[str, ...] = DEFAULT_SORT,
        limit: int = MAX_PAGE,
        offset: int = 0,
        page: int | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> Query:
        """The current user's notifications in *folder*, as the TUI's tabs and the CLI's ``list`` show them.

        The Inbox is every status but "archived", so a status that no folder is named for (Directus
        takes any text; an ordinary user may set "read") is shown, marked, rather than hidden.
        Archived is exactly "archived". An empty *search* searches nothing.
        """
        status: str | None = None
        filter_: Filter | None = None
        if folder == INBOX:
            filter_ = {"status": {"_neq": ARCHIVED}}
        elif folder == ARCHIVED:
            status = ARCHIVED
        else:
            raise ValueError(f"{folder!r} is not a folder ({INBOX!r} or {ARCHIVED!r})")
        return cls(
            mine=True,
            status=status,
            filter=filter_,
            search=search or None,
            sort=sort,
            limit=limit,
            offset=offset,
            page=page,
            fields=fields,
        )

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


def sorted_before(notification: Notification, sort: tuple[str, ...]) -> Filter | None:
    """The notifications a list sorted by *sort* shows above *notification*.

    Counting them tells where the notification's row is now (or would be, if it has gone), with
    one cheap request: how the inbox keeps a row under the cursor while new ones arrive above it.
    ``None`` for another sort, or a notification without a timestamp.
    """
    if notification.timestamp is None or sort not in (DEFAULT_SORT, OLDEST_FIRST):
        return None
    after = "_gt" if sort == DEFAULT_SORT else "_lt"
    moment = notification.timestamp.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "_or": [
            {"timestamp": {after: moment}},
            {"_and": [{"timestamp": {"_eq": moment}}, {"id": {after: notification.id}}]},
        ]
    }


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
    unreachable: dict[str, str] = Field(default_factory=dict)
    """A unified inbox's profiles whose part is missing from this page (not reachable, too slow, or
    refusing), each with why in one line; they are left out of the items and the counts."""
    profile_counts: dict[str, int] = Field(default_factory=dict)
    """A unified inbox's ``filter_count`` per profile that answered (the sum is ``filter_count``)."""


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

    kind: Literal["embedded", "rest", "graphql", "unified"]
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
