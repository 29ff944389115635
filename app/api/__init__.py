"""Directus transports (REST, GraphQL) behind the ``InboxBackend`` interface; no Textual here."""

from app.api.auth import PasswordLogin, StaticToken
from app.api.graphql import GraphQLBackend
from app.api.rest import RestBackend

DirectusBackend = RestBackend | GraphQLBackend
"""A backend that talks to a Directus server (both have ``client``, the server's HTTP client)."""

__all__ = ["DirectusBackend", "GraphQLBackend", "PasswordLogin", "RestBackend", "StaticToken"]
