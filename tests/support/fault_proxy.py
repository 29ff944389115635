"""A fault-injecting HTTP proxy on loopback, between the app and a real Directus.

The proxy runs its own event loop in a thread, so it serves the app whether the app runs on the
test's own event loop or in a subprocess (the CLI) while the test blocks. Each request is read
whole, forwarded to the server on a fresh connection, and the answer read whole, so a fault can
be applied at any point: before the server sees the request, after it applied it, or while the
answer is on its way. A WebSocket upgrade is relayed byte for byte in both directions.

Rules say which request gets which fault: ``proxy.on("PATCH", "/notifications", nth=2)`` is the
second PATCH of that path (a glob, where ``*`` also matches ``/``), followed by the fault::

    .drop_response()            the server applies it; the client's connection is closed unanswered
    .hold_response(seconds)     the server applies it; the answer waits (by default until the
                                client gives up, i.e. past its timeout)
    .drop_request(reset=False)  the server never sees it; the connection is closed (or reset)
    .respond(status, body)      answered by the proxy, the server never sees it; ``truncate_at``
                                sends only that many bytes of the body and closes
    .replace_body(body)         the server applies it; its answer's body is replaced (a value,
                                or a function of the server's body)
    .garble()                   the server applies it; its answer's body is cut short and spoiled
    .stall_body(after, seconds) the server applies it; the answer stops after ``after`` bytes of
                                body (by default until the client gives up), then the connection
                                is closed

A rule fires ``times`` times (``None``: every match from the ``nth`` on); ``body_contains`` narrows
it to requests whose body holds a text (a GraphQL mutation's name, say). ``go_down()`` makes the
server look dead (new connections refused, open ones cut, WebSockets too) until ``come_back()``.
``exchanges`` records every request: method, path, query, body, the server's status (``None`` when
the server was not asked) and the fault applied; ``wait_for`` waits for one to be recorded.

The ``fault_proxy`` fixture puts one in front of the session's real server (``tls_fault_proxy``:
over HTTPS, with ``self_signed_certificate``); ``directus_admin`` asks that server directly what
it now holds.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

JSON_TYPE = "application/json; charset=utf-8"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "upgrade"}
FRAMING = {"content-length", "transfer-encoding"}

Body = bytes | str | Any
"""bytes and str are sent as they are; any other value as JSON."""


# --- faults -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DropResponse:
    name = "drop_response"


@dataclass(frozen=True)
class HoldResponse:
    seconds: float | None = None
    """How long to hold the answer; ``None``: until the client hangs up."""
    name = "hold_response"


@dataclass(frozen=True)
class DropRequest:
    reset: bool = False
    """Reset the connection (RST) rather than close it."""
    name = "drop_request"


@dataclass(frozen=True)
class Respond:
    status: int
    body: Body = b""
    content_type: str = JSON_TYPE
    truncate_at: int | None = None
    """Send only this many bytes of the body (with the full Content-Length), then close."""
    name = "respond"


@dataclass(frozen=True)
class ReplaceBody:
    body: Body | Callable[[bytes], Body]
    name = "replace_body"


@dataclass(frozen=True)
class StallBody:
    after: int
    """Bytes of the body sent before the stall."""
    seconds: float | None = None
    """How long the stall lasts before the connection is closed; ``None``: until the client hangs up."""
    name = "stall_body"


Fault = DropResponse | HoldResponse | DropRequest | Respond | ReplaceBody | StallBody


def garbled(body: bytes) -> bytes:
    """The first half of *body*, then bytes that are neither JSON nor UTF-8."""
    return body[: len(body) // 2] + b"\xff\xfe\x00garbled"


def encode(body: Body) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


# --- rules and records --------------------------------------------------------------------------


@dataclass
class Rule:
    method: str
    path: str
    fault: Fault
    nth: int = 1
    times: int | None = 1
    body_contains: str | None = None
    seen: int = 0
    """Requests that matched so far."""
    fired: int = 0
    """Times the fault was applied so far."""

    def matches(self, method: str, path: str, body: bytes) -> bool:
        return (
            self.method in ("*", method)
            and fnmatch.fnmatchcase(path, self.path)
            and (self.body_contains is None or self.body_contains.encode() in body)
        )

    def due(self) -> bool:
        """Whether the request just seen is one this rule is for."""
        return self.seen >= self.nth and (self.times is None or self.fired < self.times)


@dataclass(frozen=True)
class Exchange:
    """One request that reached the proxy."""

    method: str
    path: str
    query: str
    body: bytes
    status: int | None
    """The server's answer; ``None`` when the request never reached the server."""
    fault: str | None

    def json(self) -> Any:
        return json.loads(self.body)


def _matching(exchanges: list[Exchange], method: str, path: str) -> list[Exchange]:
    return [e for e in exchanges if method in ("*", e.method) and fnmatch.fnmatchcase(e.path, path)]


class On:
    """The fault for requests matching ``FaultProxy.on(...)``; each method adds the rule."""

    def __init__(self, proxy: FaultProxy, rule: dict[str, Any]) -> None:
        self._proxy = proxy
        self._rule = rule

    def _add(self, fault: Fault) -> Rule:
        return self._proxy.add(Rule(fault=fault, **self._rule))

    def drop_response(self) -> Rule:
        return self._add(DropResponse())

    def hold_response(self, seconds: float | None = None) -> Rule:
        return self._add(HoldResponse(seconds))

    def drop_request(self, *, reset: bool = False) -> Rule:
        return self._add(DropRequest(reset))

    def respond(
        self, status: int, body: Body = b"", *, content_type: str = JSON_TYPE, truncate_at: int | None = None
    ) -> Rule:
        return self._add(Respond(status, body, content_type, truncate_at))

    def replace_body(self, body: Body | Callable[[bytes], Body]) -> Rule:
        return self._add(ReplaceBody(body))

    def garble(self) -> Rule:
        return self._add(ReplaceBody(garbled))

    def stall_body(self, after: int, seconds: float | None = None) -> Rule:
        return self._add(StallBody(after, seconds))


# --- HTTP/1.1 framing ----------------------------------------------------------------------------


@dataclass
class Message:
    start: str
    """The request line or status line."""
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class ClientGone(Exception):
    """The client closed its connection between requests."""


async def read_head(reader: asyncio.StreamReader) -> Message:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial.strip():
            raise ClientGone from None
        raise
    start, *lines = raw.decode("latin-1").split("\r\n")
    headers = [(name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines if line)]
    return Message(start, headers)


async def read_body(reader: asyncio.StreamReader, message: Message, *, until_eof: bool) -> bytes:
    if (message.header("transfer-encoding") or "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
        return b"".join(chunks)
    length = message.header("content-length")
    if length is not None:
        return await reader.readexactly(int(length))
    return await reader.read() if until_eof else b""


def has_body(method: str, status: int) -> bool:
    return method != "HEAD" and status >= 200 and status not in (204, 304)


def response_head(status: int, headers: list[tuple[str, str]], length: int, *, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in HOP_BY_HOP | FRAMING]
    lines += [f"Content-Length: {length}", f"Connection: {'keep-alive' if keep_alive else 'close'}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- the proxy -----------------------------------------------------------------------------------


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of *upstream* (a ``http://host:port`` URL).

    ``ssl_context`` makes it an HTTPS server (to the client; it speaks plain HTTP to the server).
    Use as a context manager, or ``start()`` and ``stop()``. Every method may be called from any
    thread and returns when done.
    """

    def __init__(self, upstream: str, *, ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the upstream must be a http:// URL, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.ssl_context = ssl_context
        self.port = 0
        self._lock = threading.Lock()
        self._recorded = threading.Condition(self._lock)
        self._rules: list[Rule] = []
        self._exchanges: list[Exchange] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    # --- life -----------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shut(finish=True))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def go_down(self) -> None:
        """The server dies: new connections are refused and every open one is cut."""
        self._call(self._shut(finish=False))

    def come_back(self) -> None:
        """The server is back, on the same port."""
        self._call(self._listen())

    def cut_connections(self) -> None:
        """Cut every open connection (WebSockets too), and go on accepting new ones."""
        self._call(self._abort_all())

    # --- rules and records ------------------------------------------------------------------------

    def on(
        self, method: str, path: str, *, nth: int = 1, times: int | None = 1, body_contains: str | None = None
    ) -> On:
        """Requests *method* (``*``: any) of *path* (a glob): the ``nth`` and, with ``times``, the next ones."""
        return On(self, {"method": method, "path": path, "nth": nth, "times": times, "body_contains": body_contains})

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def requests(self, method: str = "*", path: str = "*") -> list[Exchange]:
        """The exchanges of *method* and *path* (a glob)."""
        return _matching(self.exchanges, method, path)

    def wait_for(self, method: str = "*", path: str = "*", count: int = 1, timeout: float = 30) -> list[Exchange]:
        """Block until *count* exchanges of *method* and *path* are recorded; they are recorded once
        the server answered (or was left out), so the server has then done its part, even when the
        client gave up first."""
        with self._recorded:
            if not self._recorded.wait_for(lambda: len(_matching(self._exchanges, method, path)) >= count, timeout):
                raise TimeoutError(f"{count} x {method} {path} did not come through within {timeout} s")
            return _matching(self._exchanges, method, path)

    def _fault_for(self, method: str, path: str, body: bytes) -> Fault | None:
        """Every matching rule counts the request; the first one due applies its fault."""
        chosen: Rule | None = None
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, body):
                    rule.seen += 1
                    if chosen is None and rule.due():
                        chosen = rule
            if chosen is None:
                return None
            chosen.fired += 1
            return chosen.fault

    def _record(self, request: Message, status: int | None, fault: Fault | None) -> None:
        method, target = request.start.split(" ")[:2]
        parts = urlsplit(target)
        exchange = Exchange(method, parts.path, parts.query, request.body, status, fault.name if fault else None)
        with self._recorded:
            self._exchanges.append(exchange)
            self._recorded.notify_all()

    # --- the event loop's side ---------------------------------------------------------------------

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, ssl=self.ssl_context, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shut(self, *, finish: bool) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._abort_all()
        if finish and self._tasks:
            # Cut off, every handler ends on its own; cancelling one would make asyncio log it.
            await asyncio.wait(list(self._tasks), timeout=10)

    async def _abort_all(self) -> None:
        for writer in list(self._connections):
            writer.transport.abort()
        self._connections.clear()
        await asyncio.sleep(0)  # let the handlers see their connections go

    def _track(self, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._track(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ClientGone, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()  # after what was written has gone out; go_down() aborts instead
            try:
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError):
                pass
            self._tasks.discard(task)

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; whether the connection stays open for another."""
        request = await read_head(reader)
        request.body = await read_body(reader, request, until_eof=False)
        method, target = request.start.split(" ")[:2]
        fault = self._fault_for(method, urlsplit(target).path, request.body)
        if request.header("upgrade"):
            await self._relay(request, fault, reader, writer)
            return False

        if isinstance(fault, DropRequest):
            self._record(request, None, fault)
            if fault.reset:
                reset(writer)
            return False
        if isinstance(fault, Respond):
            self._record(request, None, fault)
            body = encode(fault.body)
            head = response_head(fault.status, [("Content-Type", fault.content_type)], len(body), keep_alive=True)
            if fault.truncate_at is None:
                writer.write(head + body)
                await writer.drain()
                return True
            writer.write(head + body[: fault.truncate_at])
            await writer.drain()
            return False

        answer = await self._forward(request)
        status = int(answer.start.split(" ")[1])
        self._record(request, status, fault)
        if isinstance(fault, DropResponse):
            return False
        if isinstance(fault, HoldResponse):
            await self._until_client_leaves(reader, fault.seconds)
        if isinstance(fault, ReplaceBody):
            replaced = fault.body(answer.body) if callable(fault.body) else fault.body
            answer.body = encode(replaced)
        keep_alive = (request.header("connection") or "").lower() != "close"
        writer.write(response_head(status, answer.headers, len(answer.body), keep_alive=keep_alive))
        if isinstance(fault, StallBody):
            writer.write(answer.body[: fault.after])
            await writer.drain()
            await self._until_client_leaves(reader, fault.seconds)
            return False
        writer.write(answer.body)
        await writer.drain()
        return keep_alive

    async def _until_client_leaves(self, reader: asyncio.StreamReader, seconds: float | None) -> None:
        try:
            await asyncio.wait_for(reader.read(1), seconds)
        except (TimeoutError, ConnectionError):
            pass

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        self._track(writer)
        return reader, writer

    def _upstream_head(self, request: Message, extra: list[tuple[str, str]]) -> bytes:
        method, target, version = request.start.split(" ")
        parts = urlsplit(target)  # an absolute URL when the client uses us as its HTTP proxy
        origin_form = parts.path + (f"?{parts.query}" if parts.query else "")
        skip = HOP_BY_HOP | FRAMING | {"host", "accept-encoding"}  # plain bodies, to replace or cut
        lines = [f"{method} {origin_form} {version}", f"Host: {self.upstream_host}:{self.upstream_port}"]
        lines += [f"{name}: {value}" for name, value in request.headers if name.lower() not in skip]
        lines += [f"{name}: {value}" for name, value in extra]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _forward(self, request: Message) -> Message:
        """The server's whole answer to *request*, on a connection of its own."""
        reader, writer = await self._open_upstream()
        try:
            extra = [("Content-Length", str(len(request.body))), ("Connection", "close")]
            writer.write(self._upstream_head(request, extra) + request.body)
            await writer.drain()
            answer = await read_head(reader)
            status = int(answer.start.split(" ")[1])
            method = request.start.split(" ")[0]
            if has_body(method, status):
                answer.body = await read_body(reader, answer, until_eof=True)
            return answer
        finally:
            self._connections.discard(writer)
            writer.transport.abort()

    async def _relay(
        self, request: Message, fault: Fault | None, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """An upgrade (WebSocket): ``drop_request`` and ``respond`` apply; otherwise bytes flow untouched."""
        if isinstance(fault, DropRequest | Respond):
            self._record(request, None, fault)
            if isinstance(fault, Respond):
                body = encode(fault.body)
                writer.write(
                    response_head(fault.status, [("Content-Type", fault.content_type)], len(body), keep_alive=False)
                )
                writer.write(body)
                await writer.drain()
            return
        up_reader, up_writer = await self._open_upstream()
        try:
            up_writer.write(
                self._upstream_head(
                    request, [(k, v) for k, v in request.headers if k.lower() in ("connection", "upgrade")]
                )
            )
            await up_writer.drain()
            head = await up_reader.readuntil(b"\r\n\r\n")
            self._record(request, int(head.split(b" ")[1]), None)
            writer.write(head)
            await writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._connections.discard(up_writer)
            up_writer.transport.abort()


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (RST) instead of an orderly FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        sink.transport.abort()


# --- the truth, from the server itself ----------------------------------------------------------


class DirectAdmin:
    """The real server asked directly (never through a proxy), as its admin: what it now holds."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    def close(self) -> None:
        self.http.close()

    def _data(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()["data"] if response.content else None

    def _post(self, path: str, body: Any) -> Any:
        # json.dumps, not httpx's encoder: ASCII escapes let a lone surrogate through, and the
        # body's size is what json.dumps says (see HostileCase.fill_to).
        return self._data(self.http.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"}))

    def create(self, recipient: str, subjects: list[str], **fields: Any) -> list[dict[str, Any]]:
        """One notification per subject, in one request; the rows as the server stored them."""
        return list(self._post("/notifications", [{"recipient": recipient, "subject": s, **fields} for s in subjects]))

    def create_one(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._post("/notifications", body))

    def get(self, notification_id: int) -> dict[str, Any] | None:
        """The notification as stored, or ``None`` when the server no longer holds it."""
        rows = self.notifications({"id": {"_eq": notification_id}})
        return rows[0] if rows else None

    def create_user(self, **fields: Any) -> str:
        """A user without a role: no app access, so no licence seat; returns the id."""
        fields.setdefault("email_notifications", False)
        return str(self._post("/users", fields)["id"])

    def delete_user(self, user_id: str) -> None:
        self.http.delete(f"/users/{user_id}").raise_for_status()

    def notifications(self, filter_: dict[str, Any]) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"filter": json.dumps(filter_), "limit": -1, "sort": "id"}
        return list(self._data(self.http.get("/notifications", params=params)))

    def statuses(self, ids: list[int]) -> dict[int, str]:
        """The status of each id the server still holds."""
        return {row["id"]: row["status"] for row in self.notifications({"id": {"_in": ids}})}

    def delete(self, ids: list[int]) -> None:
        if ids:
            self.http.request("DELETE", "/notifications", json=ids).raise_for_status()


@pytest.fixture
def fault_proxy(directus: Any) -> Iterator[FaultProxy]:
    """A ``FaultProxy`` in front of the session's real Directus (``directus`` fixture)."""
    with FaultProxy(directus.url) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def self_signed_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no CA signed, and its key (made by the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_fault_proxy(directus: Any, self_signed_certificate: tuple[Path, Path]) -> Iterator[FaultProxy]:
    """A ``FaultProxy`` serving HTTPS with the self-signed certificate, in front of the real Directus."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed_certificate)
    with FaultProxy(directus.url, ssl_context=context) as proxy:
        yield proxy


@pytest.fixture
def directus_admin(directus: Any) -> Iterator[DirectAdmin]:
    """The session's real Directus asked directly, as its admin."""
    admin = DirectAdmin(directus.url, directus.admin.token)
    yield admin
    admin.close()
