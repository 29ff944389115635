"""Reading ``GET /permissions/me`` into what the inbox needs to know.

Directus 12 answers, per collection and action, ``{"access": "none"|"partial"|"full",
"fields": [...]}``; an ordinary app user gets, for ``directus_notifications``, read partial (*),
create none, update partial (status), delete none.
"""

from __future__ import annotations

from typing import Any

from app.models import ActionRule, Capabilities

NOTIFICATIONS = "directus_notifications"
USERS = "directus_users"


def _rule(entry: Any) -> ActionRule:
    if not isinstance(entry, dict):
        return ActionRule()
    access = entry.get("access", "none")
    if access not in ("full", "partial", "none"):
        access = "partial" if access else "none"
    fields = entry.get("fields") or ()
    if access == "full" and not fields:
        fields = ("*",)
    return ActionRule(access=access, fields=tuple(str(field) for field in fields))


def capabilities_from_permissions(data: dict[str, Any]) -> Capabilities:
    notifications = data.get(NOTIFICATIONS) or {}
    users = data.get(USERS) or {}
    rules = {action: _rule(notifications.get(action)) for action in ("read", "create", "update", "delete")}
    admin = all(rule.access == "full" for rule in rules.values())
    return Capabilities(**rules, read_users=_rule(users.get("read")), admin=admin)
