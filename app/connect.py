"""From ``Settings`` to an ``InboxBackend``: the embedded inbox, or a Directus server over REST/GraphQL.

No I/O happens here beyond asking for a password: the backend connects on its first call.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.backend import InboxBackend
from app.config import ConfigError, ProfileSet, Settings, check_transport_security, check_url

if TYPE_CHECKING:
    from app.api.auth import Auth
    from app.unified import UnifiedBackend

PasswordPrompt = Callable[[str], str]


def open_backend(settings: Settings, *, password_prompt: PasswordPrompt | None = None) -> InboxBackend:
    """The backend *settings* describe.

    With no URL: the embedded inbox (``EmbeddedBackend.open_default(settings.demo_size)``).
    With a URL: ``RestBackend`` or ``GraphQLBackend`` (``settings.transport``), signed in with the
    static token, else e-mail and password. A missing password is asked for with
    *password_prompt*; with no prompt (stdin is not a terminal) that is a ``ConfigError``.
    Plain ``http://`` to another machine is a ``ConfigError`` unless ``settings.insecure_http``;
    ``settings.ca_bundle`` is the CA bundle the server's certificate is verified with.
    """
    if settings.url is None:
        from app.embedded import EmbeddedBackend

        return EmbeddedBackend.open_default(settings.demo_size)

    url = check_url(settings.url, "the settings")
    check_transport_security(url, insecure_http=settings.insecure_http)
    tls = None if settings.ca_bundle is None else trusting(settings.ca_bundle)
    auth = _auth(settings, url, password_prompt)
    if settings.transport == "graphql":
        from app.api.graphql import GraphQLBackend as Backend
    elif settings.transport == "rest":
        from app.api.rest import RestBackend as Backend  # type: ignore[assignment]
    else:  # Settings validates this; a hand-made object might not.
        raise ConfigError(f"Unknown transport {settings.transport!r}. Use rest or graphql.")
    try:
        return Backend(url, auth, timeout=settings.timeout, tls=tls)
    except ValueError as error:
        raise ConfigError(
            f"Cannot use the server URL {url} ({error}). Give the Directus URL, like https://cms.example.com."
        ) from None


def trusting(ca_bundle: Path) -> ssl.SSLContext:
    """An SSL context that trusts the certificates in *ca_bundle* (PEM), as ``curl --cacert`` does."""
    try:
        return ssl.create_default_context(cafile=str(ca_bundle))
    except FileNotFoundError:
        raise ConfigError(
            f"The CA bundle {ca_bundle} does not exist. Fix the path given with --ca-bundle (or ca_bundle)."
        ) from None
    except (OSError, ssl.SSLError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a PEM file of certificates"
        raise ConfigError(
            f"Cannot use the CA bundle {ca_bundle} ({reason}). Give a PEM file of the certificates to trust."
        ) from None


def _auth(settings: Settings, url: str, password_prompt: PasswordPrompt | None) -> Auth:
    from app.api.auth import PasswordLogin, StaticToken

    if settings.token is not None and settings.token.get_secret_value().strip():
        try:
            return StaticToken(settings.token.get_secret_value())
        except ValueError as error:
            raise ConfigError(f"{error} Copy the token again from your user in the Directus Data Studio.") from None
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


def open_backends(profiles: ProfileSet, *, password_prompt: PasswordPrompt | None = None) -> dict[str, InboxBackend]:
    """One backend per profile of *profiles*, in order, each with its own settings (``open_backend``):
    a profile's credentials go only to its own server. A password is asked for per profile.
    Nothing is opened unless all are: a ``ConfigError`` for one closes none (none has connected)."""
    return {
        name: open_backend(settings, password_prompt=password_prompt) for name, settings in profiles.profiles.items()
    }


def open_unified(
    profiles: ProfileSet, *, password_prompt: PasswordPrompt | None = None, patience: float | None = None
) -> UnifiedBackend:
    """The unified inbox of *profiles* (``app.unified.UnifiedBackend``, with the set's labels);
    *patience*: seconds a listing waits for a server (``None``: the default)."""
    from app.unified import DEFAULT_PATIENCE, UnifiedBackend

    backends = open_backends(profiles, password_prompt=password_prompt)
    return UnifiedBackend(backends, labels=profiles.labels, patience=patience or DEFAULT_PATIENCE)
