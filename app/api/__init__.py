"""Directus transports (REST, GraphQL) behind the ``InboxBackend`` interface; no Textual here."""

from app.api.auth import PasswordLogin, StaticToken
from app.api.graphql import GraphQLBackend
from app.api.rest import RestBackend

__all__ = ["GraphQLBackend", "PasswordLogin", "RestBackend", "StaticToken"]
