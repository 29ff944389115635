"""Reading ``GET /permissions/me`` into what the inbox needs to know.

Directus 12 answers, per collection and action, ``{"access": "none"|"partial"|"full",
"fields": [...]}``; an ordinary app user gets, for ``directus_notifications``, read partial (*),
create none, update partial (status), delete none.
"""

from __future__ import annotations

from typing import Any

from app.errors import unexpected_answer
from app.models import ActionRule, Capabilities

NOTIFICATIONS = "directus_notifications"
USERS = "directus_users"
ANSWER = "the question what you may do"


def _rule(entry: Any) -> ActionRule:
    if entry is None:
        return ActionRule()
    if not isinstance(entry, dict):
        raise unexpected_answer(ANSWER)
    access = entry.get("access", "none")
    if access not in ("full", "partial", "none"):
        access = "partial" if access else "none"
    fields = entry.get("fields") or ()
    if not isinstance(fields, list | tuple):
        raise unexpected_answer(ANSWER)
    if access == "full" and not fields:
        fields = ("*",)
    return ActionRule(access=access, fields=tuple(str(field) for field in fields))


def _actions(data: dict[str, Any], collection: str) -> dict[str, Any]:
    actions = data.get(collection) or {}
    if not isinstance(actions, dict):
        raise unexpected_answer(ANSWER)
    return actions


def capabilities_from_permissions(data: dict[str, Any]) -> Capabilities:
    """What ``/permissions/me``'s ``data`` allows; ``UnexpectedAnswerError`` when it is not of that shape."""
    notifications = _actions(data, NOTIFICATIONS)
    users = _actions(data, USERS)
    rules = {action: _rule(notifications.get(action)) for action in ("read", "create", "update", "delete")}
    admin = all(rule.access == "full" for rule in rules.values())
    return Capabilities(**rules, read_users=_rule(users.get("read")), admin=admin)
