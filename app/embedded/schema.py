"""The embedded inbox's SQLite tables, derived from the models' fields (``app.models``).

A column per model field, in the model's order; its SQL type follows the field's Directus type,
and a field the server requires is NOT NULL. The store and the demo seed write rows with the
statements below, so a field added to the model is a column everywhere at once.
"""

from __future__ import annotations

from app.models import NOTIFICATION_FIELDS, USER_FIELDS, DirectusField, DirectusType

_SQL_TYPES: dict[DirectusType, str] = {
    "integer": "INTEGER",
    "timestamp": "TEXT",  # "2026-11-22T15:04:05.123Z": sorts and compares as the instant it names
    "string": "TEXT",
    "text": "TEXT",
    "uuid": "TEXT",
}


def _table(name: str, fields: dict[str, DirectusField]) -> str:
    columns = []
    for column, field in fields.items():
        definition = f"{column} {_SQL_TYPES[field.type]}"
        if column == "id":
            definition += " PRIMARY KEY AUTOINCREMENT" if field.type == "integer" else " PRIMARY KEY NOT NULL"
        elif field.required:
            definition += " NOT NULL"
        columns.append(definition)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n    " + ",\n    ".join(columns) + "\n);\n"


def _insert(table: str, columns: tuple[str, ...], verb: str = "INSERT") -> str:
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


NOTIFICATION_COLUMNS = tuple(NOTIFICATION_FIELDS)
USER_COLUMNS = tuple(USER_FIELDS)
INSERTED_COLUMNS = tuple(column for column in NOTIFICATION_COLUMNS if column != "id")
"""What a new row is given; SQLite assigns the id."""

INSERT_NOTIFICATION = _insert("notifications", INSERTED_COLUMNS)
"""Takes the values of ``INSERTED_COLUMNS``, in order."""
INSERT_USER = _insert("users", USER_COLUMNS, "INSERT OR IGNORE")
"""Takes the values of ``USER_COLUMNS``, in order; a user already there is kept."""

SCHEMA = (
    _table("users", USER_FIELDS)
    + _table("notifications", NOTIFICATION_FIELDS)
    + """
CREATE INDEX IF NOT EXISTS notifications_inbox ON notifications (recipient, status, timestamp);
-- The Inbox tab is "status != archived", which the index above cannot order: without this one
-- every page of a 100,000 inbox sorted the whole inbox (620 ms a page, 67 ms with it).
CREATE INDEX IF NOT EXISTS notifications_mine ON notifications (recipient, timestamp, id);
CREATE INDEX IF NOT EXISTS notifications_timestamp ON notifications (timestamp);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT
);
"""
)
