"""How the adapter proves who it is: a static token, or e-mail and password with refresh.

Neither class ever shows its secret: ``repr`` masks it, and no error message includes it.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from app.errors import AuthenticationError, InboxError
from app.secrecy import token_problem

if TYPE_CHECKING:
    from app.api.client import DirectusClient

REFRESH_MARGIN = 30.0
"""Seconds before expiry at which an access token is refreshed."""


class Auth:
    """A source of access tokens for one server."""

    async def access_token(self, client: DirectusClient) -> str:
        raise NotImplementedError

    async def renew(self, client: DirectusClient) -> bool:
        """Called after a 401 TOKEN_EXPIRED; True when a new token is worth one more try."""
        return False

    async def logout(self, client: DirectusClient) -> None:
        """Give back a session, where there is one."""


class StaticToken(Auth):
    """A user's static token (set in the user's Directus profile)."""

    def __init__(self, token: str) -> None:
        problem = token_problem(token.strip())
        if problem is not None:
            raise ValueError(f"The token cannot be used: {problem}.")
        self._token = token.strip()

    def __repr__(self) -> str:
        return "StaticToken(****)"

    async def access_token(self, client: DirectusClient) -> str:
        return self._token


class PasswordLogin(Auth):
    """E-mail and password: logs in once, refreshes before expiry and after TOKEN_EXPIRED."""

    def __init__(self, email: str, password: str) -> None:
        self.email = email
        self._password = password
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"PasswordLogin({self.email!r}, ****)"

    @property
    def expires_in(self) -> float:
        return self._expires_at - time.monotonic()

    async def access_token(self, client: DirectusClient) -> str:
        async with self._lock:
            if self._access is None:
                await self._login(client)
            elif self.expires_in < REFRESH_MARGIN:
                await self._refresh_or_login(client)
            assert self._access is not None
            return self._access

    async def renew(self, client: DirectusClient) -> bool:
        async with self._lock:
            await self._refresh_or_login(client)
        return True

    async def logout(self, client: DirectusClient) -> None:
        if self._refresh is None:
            return
        try:
            await client.call(
                "POST", "/auth/logout", json={"refresh_token": self._refresh, "mode": "json"}, authenticated=False
            )
        except InboxError:
            pass
        self._access = self._refresh = None

    async def _login(self, client: DirectusClient) -> None:
        body = await client.call(
            "POST", "/auth/login", json={"email": self.email, "password": self._password}, authenticated=False
        )
        self._store(body)

    async def _refresh_or_login(self, client: DirectusClient) -> None:
        if self._refresh is not None:
            try:
                body = await client.call(
                    "POST", "/auth/refresh", json={"refresh_token": self._refresh, "mode": "json"}, authenticated=False
                )
            except AuthenticationError:
                # Refresh tokens rotate and expire; the password still works.
                pass
            else:
                self._store(body)
                return
        await self._login(client)

    def _store(self, body: object) -> None:
        try:
            data = body["data"]  # type: ignore[index]
            access = data["access_token"]
            refresh = data.get("refresh_token")
            expires_ms = float(data.get("expires") or 0)
        except (TypeError, KeyError, ValueError, AttributeError):
            raise AuthenticationError("The server's login answer had no access token.") from None
        if not isinstance(access, str) or token_problem(access) is not None:
            raise AuthenticationError("The server's login answer had no usable access token.")
        self._access = access
        self._refresh = refresh if isinstance(refresh, str) else None
        self._expires_at = time.monotonic() + expires_ms / 1000.0 if expires_ms else float("inf")
