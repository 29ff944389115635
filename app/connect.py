"""From ``Settings`` to an ``InboxBackend``: the embedded inbox, or a Directus server over REST/GraphQL.

No I/O happens here beyond asking for a password: the backend connects on its first call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.backend import InboxBackend
from app.config import ConfigError, Settings, check_url

if TYPE_CHECKING:
    from app.api.auth import Auth

PasswordPrompt = Callable[[str], str]


def open_backend(settings: Settings, *, password_prompt: PasswordPrompt | None = None) -> InboxBackend:
    """The backend *settings* describe.

    With no URL: the embedded inbox (``EmbeddedBackend.open_default(settings.demo_size)``).
    With a URL: ``RestBackend`` or ``GraphQLBackend`` (``settings.transport``), signed in with the
    static token, else e-mail and password. A missing password is asked for with
    *password_prompt*; with no prompt (stdin is not a terminal) that is a ``ConfigError``.
    """
    if settings.url is None:
        from app.embedded import EmbeddedBackend

        return EmbeddedBackend.open_default(settings.demo_size)

    url = check_url(settings.url, "the settings")
    auth = _auth(settings, url, password_prompt)
    if settings.transport == "graphql":
        from app.api.graphql import GraphQLBackend as Backend
    elif settings.transport == "rest":
        from app.api.rest import RestBackend as Backend  # type: ignore[assignment]
    else:  # Settings validates this; a hand-made object might not.
        raise ConfigError(f"Unknown transport {settings.transport!r}. Use rest or graphql.")
    try:
        return Backend(url, auth, timeout=settings.timeout)
    except ValueError as error:
        raise ConfigError(
            f"Cannot use the server URL {url} ({error}). Give the Directus URL, like https://cms.example.com."
        ) from None


def _auth(settings: Settings, url: str, password_prompt: PasswordPrompt | None) -> Auth:
    from app.api.auth import PasswordLogin, StaticToken

    if settings.token is not None and settings.token.get_secret_value().strip():
        return StaticToken(settings.token.get_secret_value())
    if not settings.email:
        raise ConfigError(
            f"No credentials for {url}. Set a token (--token or DIRECTUS_TOKEN) or an e-mail (DIRECTUS_EMAIL)."
        )
    password = settings.password.get_secret_value() if settings.password is not None else ""
    if not password:
        if password_prompt is None:
            raise ConfigError(
                f"A password is needed for {settings.email} and there is no terminal to ask for it. "
                "Set DIRECTUS_PASSWORD, or use a token (DIRECTUS_TOKEN)."
            )
        try:
            password = password_prompt(f"Password for {settings.email} at {url}: ")
        except EOFError:
            password = ""
        if not password:
            raise ConfigError(
                f"No password given for {settings.email}. Type it at the prompt, or set DIRECTUS_PASSWORD."
            )
    return PasswordLogin(settings.email, password)
