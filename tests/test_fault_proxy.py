"""The fault proxy itself, against the real server: each fault does what it says.

Every fault is observed twice: with a bare httpx client (what happens on the wire) and with the
app's ``RestBackend`` (which error one request of the app gets: ``update`` of one key, since a
batch operation asks the server what it holds after a failure, see ``tests/test_faults.py``), and
what the server then holds is read from the server directly. The proxy runs in a thread of its
own, so these async tests drive the app on the test's event loop while the proxy serves, and a CLI
subprocess goes through it just the same.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import struct
import threading
import uuid

import httpx
import pytest

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.errors import NetworkError, ServerError
from app.models import ARCHIVED, INBOX, NotificationChanges, NotificationDraft, Query
from tests.support.cli_process import run_cli
from tests.support.fault_proxy import FaultProxy


def marker() -> str:
    return f"fp-{uuid.uuid4().hex[:10]}"


def client(proxy: FaultProxy, token: str, timeout: float = 5) -> httpx.Client:
    return httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)


def backend(proxy: FaultProxy, token: str, timeout: float = 5) -> RestBackend:
    return RestBackend(proxy.url, StaticToken(token), timeout=timeout)


def archive_body(ids: list[int]) -> dict:
    return {"keys": ids, "data": {"status": ARCHIVED}}


async def test_passes_requests_through_and_records_them(fault_proxy, directus):
    with client(fault_proxy, directus.user.token) as http:
        answer = http.get("/users/me", params={"fields": "id"})
    assert answer.json() == {"data": {"id": directus.user.id}}
    async with backend(fault_proxy, directus.user.token) as app_backend:
        assert (await app_backend.me()).id == directus.user.id
    first, second = fault_proxy.exchanges
    assert (first.method, first.path, first.query, first.status, first.fault) == (
        "GET",
        "/users/me",
        "fields=id",
        200,
        None,
    )
    assert (second.method, second.path, second.status) == ("GET", "/users/me", 200)


async def test_drop_response_applies_on_the_server_and_leaves_the_client_without_an_answer(
    fault_proxy, directus, directus_admin
):
    rows = directus_admin.create(directus.user.id, [marker(), marker()])
    ids = [row["id"] for row in rows]
    fault_proxy.on("PATCH", "/notifications*", times=2).drop_response()

    with client(fault_proxy, directus.user.token) as http, pytest.raises(httpx.RemoteProtocolError):
        http.patch("/notifications", json=archive_body(ids[:1]))
    async with backend(fault_proxy, directus.user.token) as app_backend:
        with pytest.raises(NetworkError):
            await app_backend.update(ids[1], NotificationChanges(status=ARCHIVED))

    assert directus_admin.statuses(ids) == {ids[0]: ARCHIVED, ids[1]: ARCHIVED}
    assert [(e.method, e.status, e.fault) for e in fault_proxy.requests("PATCH")] == [
        ("PATCH", 200, "drop_response"),
        ("PATCH", 200, "drop_response"),
    ]


async def test_hold_response_outlasts_the_clients_timeout_after_the_server_applied_it(
    fault_proxy, directus, directus_admin
):
    rows = directus_admin.create(directus.user.id, [marker(), marker()])
    ids = [row["id"] for row in rows]
    fault_proxy.on("PATCH", "/notifications*", times=2).hold_response()

    with client(fault_proxy, directus.user.token, timeout=0.5) as http, pytest.raises(httpx.ReadTimeout):
        http.patch("/notifications", json=archive_body(ids[:1]))
    async with backend(fault_proxy, directus.user.token, timeout=0.5) as app_backend:
        with pytest.raises(NetworkError, match=r"did not answer within 0\.5 s"):
            await app_backend.update(ids[1], NotificationChanges(status=ARCHIVED))

    fault_proxy.wait_for("PATCH", "/notifications*", count=2)  # on a slow day the client gives up first
    assert directus_admin.statuses(ids) == {ids[0]: ARCHIVED, ids[1]: ARCHIVED}


async def test_hold_response_for_a_while_then_answers(fault_proxy, directus):
    fault_proxy.on("GET", "/users/me").hold_response(0.2)
    async with backend(fault_proxy, directus.user.token) as app_backend:
        assert (await app_backend.me()).id == directus.user.id
    assert fault_proxy.exchanges[0].fault == "hold_response"


@pytest.mark.parametrize("reset, wire_error", [(False, httpx.RemoteProtocolError), (True, httpx.ReadError)])
async def test_drop_request_never_reaches_the_server(fault_proxy, directus, directus_admin, reset, wire_error):
    subject = marker()
    fault_proxy.on("POST", "/notifications", times=2).drop_request(reset=reset)
    draft = {"recipient": directus.user.id, "subject": subject}

    with client(fault_proxy, directus.admin.token) as http, pytest.raises(wire_error):
        http.post("/notifications", json=draft)
    async with backend(fault_proxy, directus.admin.token) as app_backend:
        with pytest.raises(NetworkError):
            await app_backend.create(NotificationDraft(**draft))

    assert directus_admin.notifications({"subject": {"_eq": subject}}) == []
    assert [(e.status, e.fault) for e in fault_proxy.exchanges] == [(None, "drop_request")] * 2
    assert fault_proxy.exchanges[0].json() == draft


HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    "status, body, content_type, wire_body",
    [
        (200, {"data": None}, None, b'{"data": null}'),
        (200, [], None, b"[]"),
        (200, {"data": [{"id": "x"}]}, None, b'{"data": [{"id": "x"}]}'),
        (200, "this is not JSON", "text/plain", b"this is not JSON"),
        (502, HTML_502, "text/html", HTML_502.encode()),
    ],
    ids=["data-null", "list", "id-not-a-number", "not-json", "502-html"],
)
def test_respond_answers_in_place_of_the_server(fault_proxy, directus, status, body, content_type, wire_body):
    extra = {"content_type": content_type} if content_type else {}
    fault_proxy.on("GET", "/users/me").respond(status, body, **extra)
    with client(fault_proxy, directus.user.token) as http:
        answer = http.get("/users/me")
    assert (answer.status_code, answer.content) == (status, wire_body)
    assert answer.headers["content-type"] == (content_type or "application/json; charset=utf-8")
    assert [(e.path, e.status, e.fault) for e in fault_proxy.exchanges] == [("/users/me", None, "respond")]


async def test_respond_as_the_app_sees_it(fault_proxy, directus):
    fault_proxy.on("GET", "/notifications").respond(502, HTML_502, content_type="text/html")
    async with backend(fault_proxy, directus.user.token) as app_backend:
        with pytest.raises(ServerError, match="HTTP 502 with something that is not Directus JSON"):
            await app_backend.list_notifications(Query())


async def test_a_truncated_body_is_cut_off_mid_answer(fault_proxy, directus):
    fault_proxy.on("GET", "/users/me", times=2).respond(200, {"data": {"id": "abc"}}, truncate_at=9)
    with client(fault_proxy, directus.user.token) as http, pytest.raises(httpx.RemoteProtocolError) as cut:
        http.get("/users/me")
    assert "received 9 bytes, expected 23" in str(cut.value)
    async with backend(fault_proxy, directus.user.token) as app_backend:
        with pytest.raises(NetworkError):
            await app_backend.me()


async def test_replace_body_keeps_what_the_server_did_and_changes_what_it_said(fault_proxy, directus, directus_admin):
    [row] = directus_admin.create(directus.user.id, [marker()])
    fault_proxy.on("PATCH", "/notifications/*").replace_body({"data": {"id": row["id"], "status": "made-up"}})
    fault_proxy.on("GET", "/users/me").replace_body(lambda real: real.replace(b"User", b"Resu"))

    async with backend(fault_proxy, directus.user.token) as app_backend:
        updated = await app_backend.update(row["id"], NotificationChanges(status=ARCHIVED))
        me = await app_backend.me()
    assert updated.status == "made-up"
    assert directus_admin.statuses([row["id"]]) == {row["id"]: ARCHIVED}
    assert me.last_name == "Resu"
    assert fault_proxy.requests("PATCH")[0].status == 200


async def test_garble_spoils_the_servers_answer(fault_proxy, directus, directus_admin):
    [row] = directus_admin.create(directus.user.id, [marker()])
    fault_proxy.on("PATCH", "/notifications*", times=2).garble()
    with client(fault_proxy, directus.user.token) as http:
        answer = http.patch("/notifications", json=archive_body([row["id"]]))
    assert answer.status_code == 200 and answer.content.endswith(b"\xff\xfe\x00garbled")
    with pytest.raises(ValueError):  # neither JSON nor UTF-8
        answer.json()
    async with backend(fault_proxy, directus.user.token) as app_backend:
        with pytest.raises(ServerError, match="not Directus JSON"):
            await app_backend.update(row["id"], NotificationChanges(status=INBOX))
    assert directus_admin.statuses([row["id"]]) == {row["id"]: INBOX}


async def test_stall_body_stops_mid_answer(fault_proxy, directus, directus_admin):
    [row] = directus_admin.create(directus.user.id, [marker()])
    fault_proxy.on("PATCH", "/notifications/*").stall_body(after=10)
    fault_proxy.on("GET", "/users/me").stall_body(after=10, seconds=0)

    async with backend(fault_proxy, directus.user.token, timeout=0.5) as app_backend:
        with pytest.raises(NetworkError, match=r"did not answer within 0\.5 s"):
            await app_backend.update(row["id"], NotificationChanges(status=ARCHIVED))
        with pytest.raises(NetworkError):  # seconds=0: cut right there
            await app_backend.me()
    fault_proxy.wait_for("PATCH", "/notifications/*")
    assert directus_admin.statuses([row["id"]]) == {row["id"]: ARCHIVED}


def test_rules_pick_the_nth_occurrence_and_count_their_times(fault_proxy, directus):
    second = fault_proxy.on("GET", "/users/*", nth=2).respond(200, {"data": {"id": "second"}})
    from_fourth_on = fault_proxy.on("GET", "/users/*", nth=4, times=None).respond(200, {"data": {"id": "later"}})
    with client(fault_proxy, directus.user.token) as http:
        seen = [http.get("/users/me").json()["data"]["id"] for _ in range(6)]
        assert seen == [directus.user.id, "second", directus.user.id, "later", "later", "later"]
        assert (second.seen, second.fired, from_fourth_on.seen, from_fourth_on.fired) == (6, 1, 6, 3)
        fault_proxy.clear_rules()
        assert http.get("/users/me").json()["data"]["id"] == directus.user.id


async def test_body_contains_picks_one_graphql_operation(fault_proxy, directus, directus_admin):
    [row] = directus_admin.create(directus.user.id, [marker()])
    fault_proxy.on("POST", "/graphql/system", body_contains="update_notifications_item(").drop_response()
    async with GraphQLBackend(fault_proxy.url, StaticToken(directus.user.token)) as app_backend:
        assert (await app_backend.get(row["id"])).status == INBOX
        with pytest.raises(NetworkError):
            await app_backend.update(row["id"], NotificationChanges(status=ARCHIVED))
    assert directus_admin.statuses([row["id"]]) == {row["id"]: ARCHIVED}
    assert [e.fault for e in fault_proxy.exchanges] == [None, "drop_response"]


async def test_go_down_refuses_and_cuts_then_come_back_serves_on_the_same_url(fault_proxy, directus):
    url = fault_proxy.url
    fault_proxy.on("GET", "/users/me").hold_response()
    with client(fault_proxy, directus.user.token, timeout=30) as http:
        errors: list[Exception] = []

        def held_request() -> None:
            try:
                http.get("/users/me")
            except httpx.HTTPError as error:
                errors.append(error)

        waiting = threading.Thread(target=held_request)
        waiting.start()
        fault_proxy.wait_for("GET", "/users/me")
        fault_proxy.go_down()
        waiting.join(timeout=10)
        assert not waiting.is_alive() and isinstance(errors[0], httpx.RemoteProtocolError)

    async with backend(fault_proxy, directus.user.token) as app_backend:
        with pytest.raises(NetworkError, match="connection refused"):
            await app_backend.me()
        fault_proxy.come_back()
        assert fault_proxy.url == url
        assert (await app_backend.me()).id == directus.user.id


# --- WebSockets: relayed untouched, cut when the server goes down ---------------------------------


async def open_websocket(proxy: FaultProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /websocket HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    return reader, writer, await reader.readuntil(b"\r\n\r\n")


def send_text(writer: asyncio.StreamWriter, message: dict) -> None:
    """One masked text frame, as a client must send it (RFC 6455)."""
    payload = json.dumps(message).encode()
    length = (
        bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    )
    mask = os.urandom(4)
    writer.write(bytes([0x81]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


async def read_text(reader: asyncio.StreamReader) -> dict:
    """One unmasked text frame from the server."""
    first, second = await reader.readexactly(2)
    assert first & 0x0F == 0x1, f"opcode {first & 0x0F}"
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    return json.loads(await reader.readexactly(length))


async def test_a_websocket_is_relayed_untouched_and_can_be_cut_or_refused(fault_proxy, directus):
    reader, writer, head = await open_websocket(fault_proxy)
    assert head.startswith(b"HTTP/1.1 101")
    send_text(writer, {"type": "auth", "access_token": directus.user.token})
    assert await read_text(reader) == {"type": "auth", "status": "ok"}
    send_text(writer, {"type": "ping", "uid": "p1"})
    assert await read_text(reader) == {"type": "pong", "uid": "p1"}
    assert [(e.method, e.path, e.status) for e in fault_proxy.exchanges] == [("GET", "/websocket", 101)]

    fault_proxy.cut_connections()  # the connection goes; the server stays
    async with asyncio.timeout(10):
        assert await reader.read() == b""
    writer.close()

    reader, writer, head = await open_websocket(fault_proxy)
    assert head.startswith(b"HTTP/1.1 101")
    fault_proxy.go_down()  # the connection goes, and so does the server
    async with asyncio.timeout(10):
        assert await reader.read() == b""
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await open_websocket(fault_proxy)

    fault_proxy.come_back()
    fault_proxy.on("GET", "/websocket").respond(503, "down for maintenance", content_type="text/plain")
    reader, writer, head = await open_websocket(fault_proxy)
    assert head.startswith(b"HTTP/1.1 503")
    writer.close()


# --- a CLI subprocess, and TLS ----------------------------------------------------------------------


def test_a_cli_subprocess_goes_through_the_proxy(fault_proxy, directus):
    fault_proxy.on("GET", "/permissions/me").respond(200, {"data": {}})
    result = run_cli("whoami", "--json", "--url", fault_proxy.url, "--token", directus.user.token)
    assert result.code == 0, result.err
    assert result.json["user"]["id"] == directus.user.id
    assert result.json["capabilities"] == {"create": False, "delete": False, "archive": False}
    assert [(e.path, e.fault) for e in fault_proxy.exchanges] == [
        ("/users/me", None),
        ("/permissions/me", "respond"),
    ]


def test_tls_with_a_self_signed_certificate(tls_fault_proxy, self_signed_certificate):
    assert tls_fault_proxy.url.startswith("https://127.0.0.1:")
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_fault_proxy.url}/server/ping")
    assert (
        httpx.get(
            f"{tls_fault_proxy.url}/server/ping", verify=ssl.create_default_context(cafile=self_signed_certificate[0])
        ).text
        == "pong"
    )
