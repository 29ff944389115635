"""The Directus realtime protocol for ``directus_notifications``, over the ``websockets`` library.

One ``RealtimeSession`` is one connection to ``<server>/websocket``: the ``auth`` handshake, one
subscription per event kind (``create``, ``update``, ``delete``) filtered to the current user,
then a stream of ``SocketEvent``. It answers the server's heartbeat pings, and when the server
says ``TOKEN_EXPIRED`` on the open socket it renews the token and authenticates again.
Reconnecting is the caller's business (``app.live.inbox``).

Facts of Directus 12.4 this is built on (../shared/directus-facts.md, and the server's source):

- A subscription that names an ``event`` answers ``init`` without data; one without an event
  sends the first 100 rows on every (re)connect. The query's ``limit`` also caps the rows of an
  update event, so the query has none.
- Delete events carry ids only (ints or strings), and are not filtered by permission.
- While a token has expired the server evaluates events without the user's rights, and sends
  subscription errors instead: events are lost until the new ``auth`` is accepted, so a
  ``MissedEvents`` is reported (the caller reconciles).
- The server's ``ws`` is configured with ``autoPong: false``: it never answers WebSocket protocol
  pings, so the library's keepalive would drop every connection after 40 s. Liveness is checked
  with the protocol's own messages instead: after ``keepalive`` seconds of silence the session
  sends ``{"type": "ping"}``, which the server answers with ``{"type": "pong"}`` (heartbeat on or
  off); no answer within as long again means the connection is dead even if TCP has not noticed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidMessage,
    InvalidProxy,
    InvalidStatus,
    InvalidURI,
    ProxyError,
)

from app import __version__
from app.errors import InboxError, NetworkError
from app.models import Notification

COLLECTION = "directus_notifications"
ACTIONS: tuple[Literal["create", "update", "delete"], ...] = ("create", "update", "delete")
UID_PREFIX = "directus-inbox-"
HANDSHAKE_TIMEOUT = 10.0
"""Seconds for the connection, the ``auth`` answer and each subscription's ``init``."""
KEEPALIVE = 20.0
"""Seconds of silence before the session pings the server, and then waits as long for any answer."""
CLOSE_TIMEOUT = 2.0
"""Seconds to wait for the server's part of the closing handshake: stopping must not hang."""
MAX_MESSAGE = 64 * 1024 * 1024
"""An update event carries every row of a batch PATCH, each with a message of up to 1 MB."""

# The library logs every frame at DEBUG, the ``auth`` message with its token among them: this
# logger never goes below INFO, whatever the application's logging setup.
_frame_log = logging.getLogger("app.live.websocket")
_frame_log.setLevel(logging.INFO)


class TokenSource(Protocol):
    """Where the socket gets its access token, and a new one when the server says it expired."""

    async def access_token(self) -> str: ...

    async def renew(self) -> bool:
        """Get a new token; False when there is no way to (a static token)."""
        ...


class RealtimeUnavailable(Exception):
    """The server answers, but offers no usable subscription: WebSockets off, refused, or not allowed.

    ``str()`` is a sentence in the app's own words, safe to show.
    """


class ConnectionLost(Exception):
    """The socket could not be opened, or dropped: the network or the server went away."""


@dataclass(frozen=True)
class SocketEvent:
    """One ``create``/``update`` (``items``) or ``delete`` (``ids``) from the server."""

    action: Literal["create", "update", "delete"]
    items: tuple[Notification, ...] = ()
    ids: tuple[int, ...] = ()
    unreadable: int = 0
    """Rows or ids in the message that could not be read (the caller should reconcile)."""


@dataclass(frozen=True)
class MissedEvents:
    """The server may have dropped events here: reconcile.

    ``reauthenticated``: the token expired on the open socket and was renewed (events in between
    were evaluated without the user's rights). ``subscription-error``: the server failed to send one.
    """

    reason: Literal["reauthenticated", "subscription-error"]


@dataclass(frozen=True)
class ServerPing:
    """The server's heartbeat, answered (reported so that a caller can tell the socket is alive)."""


RealtimeMessage = SocketEvent | MissedEvents | ServerPing


def websocket_url(server_url: str) -> str:
    """``http(s)://host/base`` → ``ws(s)://host/base/websocket`` (Directus's default path)."""
    parts = urlsplit(server_url.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + "/websocket", "", ""))


def subscription_query() -> dict[str, Any]:
    """What each event should carry: whole rows of the current user's notifications.

    No ``status`` filter: a subscription filtered on status hears nothing when a notification
    leaves that status (archiving under ``status = inbox`` produced no event).
    """
    return {"fields": ["*"], "filter": {"recipient": {"_eq": "$CURRENT_USER"}}}


def _ids(data: Sequence[Any]) -> tuple[tuple[int, ...], int]:
    ids, unreadable = [], 0
    for value in data:
        if isinstance(value, dict):  # an old server sending rows instead of keys
            value = value.get("id")
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            unreadable += 1
    return tuple(ids), unreadable


def _rows(data: Sequence[Any]) -> tuple[tuple[Notification, ...], int]:
    items, unreadable = [], 0
    for row in data:
        try:
            items.append(Notification.model_validate(row))
        except (ValidationError, TypeError, ValueError):
            unreadable += 1
    return tuple(items), unreadable


ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")


def _error_code(message: dict[str, Any]) -> str:
    """The Directus error code of *message*, if it looks like one (it may end up on the screen)."""
    error = message.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and ERROR_CODE.fullmatch(code) else "UNKNOWN"


class RealtimeSession:
    """One authenticated, subscribed connection. Open with ``RealtimeSession.open``."""

    def __init__(self, socket: ClientConnection, tokens: TokenSource, keepalive: float) -> None:
        self._socket = socket
        self._tokens = tokens
        self._keepalive = keepalive

    @classmethod
    async def open(
        cls, server_url: str, tokens: TokenSource, *, keepalive: float = KEEPALIVE, tls: ssl.SSLContext | None = None
    ) -> RealtimeSession:
        """Connect, authenticate and subscribe; ``RealtimeUnavailable`` or ``ConnectionLost`` if not.

        *tls* verifies a ``wss://`` server (``None``: the system's CAs), as the REST client does.
        """
        url = websocket_url(server_url)
        try:
            socket = await connect(
                url,
                ssl=tls if url.startswith("wss:") else None,
                open_timeout=HANDSHAKE_TIMEOUT,
                max_size=MAX_MESSAGE,
                user_agent_header=f"directus-inbox/{__version__}",
                close_timeout=CLOSE_TIMEOUT,
                ping_interval=None,  # the server ignores protocol pings: see the module's docstring
                logger=_frame_log,
            )
        except InvalidStatus as error:
            status = error.response.status_code
            if status == 404:
                raise RealtimeUnavailable("the server has WebSockets off (HTTP 404)") from None
            if 400 <= status < 500 and status not in (408, 429):
                raise RealtimeUnavailable(f"the server refused WebSockets (HTTP {status})") from None
            # 5xx: a reverse proxy while the server restarts, an overloaded server: try again.
            raise ConnectionLost(f"the server answered the WebSocket with HTTP {status}") from None
        except (InvalidMessage, ProxyError, OSError, TimeoutError, EOFError):
            # InvalidMessage is also a connection closed halfway through the handshake.
            raise ConnectionLost("cannot reach the server's WebSocket") from None
        except (InvalidURI, InvalidProxy):
            raise RealtimeUnavailable("the server's URL (or the proxy's) has no WebSocket form") from None
        except InvalidHandshake:
            raise RealtimeUnavailable("the server's answer to the WebSocket handshake was not one") from None
        session = cls(socket, tokens, keepalive)
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                await session._handshake()
        except TimeoutError:
            await session.aclose()
            raise ConnectionLost("the server did not finish the WebSocket handshake") from None
        except BaseException:
            await session.aclose()
            raise
        return session

    async def aclose(self) -> None:
        await self._socket.close()

    async def _send(self, message: dict[str, Any]) -> None:
        try:
            await self._socket.send(json.dumps(message))
        except ConnectionClosed:
            raise ConnectionLost("the WebSocket closed") from None

    async def _recv(self) -> str | bytes:
        try:
            try:
                async with asyncio.timeout(self._keepalive):
                    return await self._socket.recv()  # cancelling recv() loses nothing
            except TimeoutError:
                await self._send({"type": "ping", "uid": UID_PREFIX + "keepalive"})
            try:
                async with asyncio.timeout(self._keepalive):
                    return await self._socket.recv()
            except TimeoutError:
                raise ConnectionLost("the server stopped answering on the WebSocket") from None
        except ConnectionClosed:
            raise ConnectionLost("the WebSocket closed") from None

    async def _receive(self, *, report_pings: bool = False) -> dict[str, Any]:
        """The next JSON object from the server; its pings are answered (and returned if *report_pings*)."""
        while True:
            raw = await self._recv()
            try:
                message = json.loads(raw)
            except (ValueError, TypeError):
                continue
            if not isinstance(message, dict):
                continue
            kind = message.get("type")
            if kind == "ping":
                await self._send({"type": "pong"})
                if report_pings:
                    return message
            elif kind != "pong":
                return message

    async def _send_auth(self) -> None:
        try:
            token = await self._tokens.access_token()
        except NetworkError:
            raise ConnectionLost("cannot reach the server for an access token") from None
        except InboxError:
            raise RealtimeUnavailable("the server gives no access token for the WebSocket") from None
        await self._send({"type": "auth", "access_token": token})

    async def _renew(self) -> bool:
        """A new access token; False when there is none to be had (a static token, a refused login)."""
        try:
            return await self._tokens.renew()
        except NetworkError:
            raise ConnectionLost("cannot reach the server to renew the access token") from None
        except InboxError:
            return False

    async def _handshake(self) -> None:
        await self._send_auth()
        renewed = False
        while True:
            message = await self._receive()
            if message.get("type") != "auth":
                continue
            if message.get("status") == "ok":
                break
            # In the default handshake mode an expired token is answered AUTH_FAILED (and the socket
            # closed): a renewable token gets one renewal; a closed socket is then retried soon.
            if not renewed and await self._renew():
                renewed = True
                await self._send_auth()
                continue
            raise RealtimeUnavailable(f"the server did not accept the token on the WebSocket ({_error_code(message)})")
        for action in ACTIONS:
            subscribe: dict[str, Any] = {
                "type": "subscribe",
                "collection": COLLECTION,
                "event": action,
                "uid": UID_PREFIX + action,
            }
            if action != "delete":  # a delete carries ids only, whatever the query
                subscribe["query"] = subscription_query()
            await self._send(subscribe)
        waiting = {UID_PREFIX + action for action in ACTIONS}
        while waiting:
            message = await self._receive()
            uid = message.get("uid")
            if not isinstance(uid, str):
                continue
            if message.get("type") == "subscribe" and message.get("status") == "error" and uid in waiting:
                raise RealtimeUnavailable(f"the server refused the subscription ({_error_code(message)})")
            if message.get("type") == "subscription" and message.get("event") == "init" and uid in waiting:
                waiting.discard(uid)

    async def events(self) -> AsyncIterator[RealtimeMessage]:
        """Changes as the server announces them, until the socket drops (``ConnectionLost``)."""
        while True:
            message = await self._receive(report_pings=True)
            kind = message.get("type")
            if kind == "ping":
                yield ServerPing()
            elif kind == "auth":
                if message.get("status") == "ok":
                    yield MissedEvents("reauthenticated")
                elif _error_code(message) == "TOKEN_EXPIRED":
                    if not await self._renew():
                        raise RealtimeUnavailable("the access token expired and cannot be renewed")
                    await self._send_auth()
                else:
                    raise RealtimeUnavailable(f"the server ended the WebSocket session ({_error_code(message)})")
            elif kind == "subscribe" and message.get("status") == "error":
                yield MissedEvents("subscription-error")
            elif kind == "subscription":
                event = self._event(message)
                if event is not None:
                    yield event

    @staticmethod
    def _event(message: dict[str, Any]) -> SocketEvent | None:
        action = message.get("event")
        data = message.get("data")
        if action not in ACTIONS or message.get("uid") != UID_PREFIX + str(action) or not isinstance(data, list):
            return None
        if action == "delete":
            ids, unreadable = _ids(data)
            return SocketEvent("delete", ids=ids, unreadable=unreadable)
        items, unreadable = _rows(data)
        return SocketEvent("create" if action == "create" else "update", items=items, unreadable=unreadable)
