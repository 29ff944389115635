"""``app.bulk`` and ``app.compose.deliver`` under faults: what they report is what the server holds.

Through the fault proxy in front of the real server; what the server holds is asked of it directly
(``directus_admin``), never through the proxy. Each test names the fault, then checks the result's
every set of keys and the sentence a user would read.
"""

from __future__ import annotations

import uuid

import pytest

from app import bulk
from app.api import GraphQLBackend, RestBackend, StaticToken
from app.backend import BATCH_CHUNK
from app.compose import NOT_SENT, SENT, UNKNOWN, deliver
from app.errors import NetworkError, ServerError
from app.models import ARCHIVED, INBOX, Query
from tests.support.fault_proxy import FaultProxy

TRANSPORTS = {"rest": RestBackend, "graphql": GraphQLBackend}
UNAVAILABLE = {"errors": [{"message": "Service Unavailable", "extensions": {"code": "SERVICE_UNAVAILABLE"}}]}


def marker() -> str:
    return f"bk-{uuid.uuid4().hex[:10]}"


def as_user(proxy: FaultProxy, directus, transport: str = "rest", timeout: float = 15):
    return TRANSPORTS[transport](proxy.url, StaticToken(directus.user.token), timeout=timeout)


def fresh(directus, directus_admin, count: int, status: str = INBOX) -> list[int]:
    rows = directus_admin.create(directus.user.id, [marker() for _ in range(count)], status=status)
    return [row["id"] for row in rows]


# --- status changes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_lost_answer_is_asked_about_and_undo_puts_back_exactly_what_changed(
    fault_proxy, directus, directus_admin, transport
):
    ids = fresh(directus, directus_admin, 3)
    before = dict.fromkeys(ids, INBOX)
    mutation = "PATCH" if transport == "rest" else "POST"
    path = "/notifications" if transport == "rest" else "/graphql/system"
    fault_proxy.on(mutation, path, body_contains="archived").drop_response()

    async with as_user(fault_proxy, directus, transport) as backend:
        change = await bulk.change_status(backend, ids, ARCHIVED, before=before)
        assert directus_admin.statuses(ids) == dict.fromkeys(ids, ARCHIVED)
        assert change.complete and change.verified and change.answer_lost
        assert change.changed == tuple(ids) and isinstance(change.error, NetworkError)
        assert change.undoable == before
        assert bulk.describe_status_change(change).startswith("3 notifications archived.")

        undone = await bulk.undo(backend, change)
    assert directus_admin.statuses(ids) == before
    assert undone.complete and undone.changed == tuple(ids) and undone.error is None
    assert undone.undoable == dict.fromkeys(ids, ARCHIVED), "undoing the undo archives them again"
    assert bulk.describe_status_change(undone) == "3 notifications moved to the inbox."


async def test_the_server_dying_during_an_undo_leaves_it_unknown_and_recheck_tells_once_it_is_back(
    fault_proxy, directus, directus_admin
):
    ids = fresh(directus, directus_admin, 5)
    async with as_user(fault_proxy, directus) as backend:
        change = await bulk.change_status(backend, ids, ARCHIVED, before=dict.fromkeys(ids, INBOX))
        assert change.complete and change.error is None
        # The undo reaches the server, which applies it; then it is gone, before it answers or is asked.
        fault_proxy.on("PATCH", "/notifications").drop_response()
        fault_proxy.on("GET", "/notifications").drop_request()
        undone = await bulk.undo(backend, change)

        assert directus_admin.statuses(ids) == dict.fromkeys(ids, INBOX)
        assert not undone.verified and undone.unknown == tuple(ids) and undone.changed == ()
        assert undone.undoable == {}, "nothing is known to have changed"
        text = bulk.describe_status_change(undone)
        assert "0 of 5 notifications moved to the inbox." in text and "unknown (the server could not be asked)" in text
        assert "back where" not in text and "nothing was lost" not in text.lower()

        rechecked = await bulk.recheck(backend, undone)
    assert rechecked.complete and rechecked.verified and rechecked.changed == tuple(ids)
    assert rechecked.undoable == dict.fromkeys(ids, ARCHIVED)


async def test_undo_of_a_change_left_unknown_asks_the_server_first_and_puts_back_what_changed(
    fault_proxy, directus, directus_admin
):
    ids = fresh(directus, directus_admin, 3)
    fault_proxy.on("PATCH", "/notifications").drop_response()
    fault_proxy.on("GET", "/notifications").drop_request()
    async with as_user(fault_proxy, directus) as backend:
        change = await bulk.change_status(backend, ids, ARCHIVED, before=dict.fromkeys(ids, INBOX))
        assert change.unknown == tuple(ids) and change.undoable == {}
        undone = await bulk.undo(backend, change)
    assert directus_admin.statuses(ids) == dict.fromkeys(ids, INBOX)
    assert undone.complete and undone.changed == tuple(ids)
    assert [e.method for e in fault_proxy.exchanges] == ["PATCH", "GET", "GET", "PATCH"]


async def test_a_timed_out_change_that_the_server_did_is_reported_done(fault_proxy, directus, directus_admin):
    ids = fresh(directus, directus_admin, 2)
    fault_proxy.on("PATCH", "/notifications").hold_response()
    async with as_user(fault_proxy, directus, timeout=1) as backend:
        change = await bulk.change_status(backend, ids, ARCHIVED)
    assert directus_admin.statuses(ids) == dict.fromkeys(ids, ARCHIVED)
    assert change.complete and change.answer_lost
    assert [e.method for e in fault_proxy.exchanges] == ["PATCH", "GET"]


async def test_a_timeout_the_server_cannot_be_asked_about_is_unknown_and_stops_the_batch(
    fault_proxy, directus, directus_admin
):
    ids = fresh(directus, directus_admin, BATCH_CHUNK + 3)
    fault_proxy.on("PATCH", "/notifications").hold_response()
    fault_proxy.on("GET", "/notifications").respond(503, UNAVAILABLE)
    async with as_user(fault_proxy, directus, timeout=1) as backend:
        change = await bulk.change_status(backend, ids, ARCHIVED, before=dict.fromkeys(ids, INBOX))

    fault_proxy.wait_for("PATCH", "/notifications")
    statuses = directus_admin.statuses(ids)
    assert [statuses[key] for key in ids] == [ARCHIVED] * BATCH_CHUNK + [INBOX] * 3
    assert change.unknown == tuple(ids[:BATCH_CHUNK]) and change.unchanged == tuple(ids[BATCH_CHUNK:])
    assert len(fault_proxy.requests("PATCH")) == 1, "after an unknown outcome nothing more is sent"
    assert change.undoable == {}, "until the server is asked again (recheck, or undo, which rechecks first)"
    text = bulk.describe_status_change(change)
    assert "3 could not be archived" in text and "may still do it" in text


async def test_a_refused_connection_changes_nothing_and_needs_no_question(fault_proxy, directus, directus_admin):
    ids = fresh(directus, directus_admin, 2)
    async with as_user(fault_proxy, directus) as backend:
        fault_proxy.go_down()
        change = await bulk.change_status(backend, ids, ARCHIVED)
    assert directus_admin.statuses(ids) == dict.fromkeys(ids, INBOX)
    assert change.unchanged == tuple(ids) and change.verified
    assert isinstance(change.error, NetworkError) and not change.error.sent
    assert "connection refused" in bulk.describe_status_change(change)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_keys_deleted_elsewhere_leave_the_batch_and_are_named(fault_proxy, directus, directus_admin, transport):
    ids = fresh(directus, directus_admin, 4)
    directus_admin.delete([ids[0], ids[2]])
    async with as_user(fault_proxy, directus, transport) as backend:
        change = await bulk.change_status(backend, ids, ARCHIVED, before=dict.fromkeys(ids, INBOX))
    assert directus_admin.statuses(ids) == {ids[1]: ARCHIVED, ids[3]: ARCHIVED}
    assert change.changed == (ids[1], ids[3]) and change.vanished == (ids[0], ids[2])
    assert change.undoable == {ids[1]: INBOX, ids[3]: INBOX}
    assert f"2 were not found, or you may not see them: {ids[0]}, {ids[2]}." in bulk.describe_status_change(change)


async def test_a_chunk_refused_mid_batch_stops_there_and_says_which_changed(fault_proxy, directus, directus_admin):
    ids = fresh(directus, directus_admin, BATCH_CHUNK + 2)
    fault_proxy.on("PATCH", "/notifications", nth=2).respond(503, UNAVAILABLE)
    async with as_user(fault_proxy, directus) as backend:
        change = await bulk.change_status(backend, ids, ARCHIVED, before=dict.fromkeys(ids, INBOX))
    statuses = directus_admin.statuses(ids)
    assert [statuses[key] for key in ids] == [ARCHIVED] * BATCH_CHUNK + [INBOX] * 2
    assert change.changed == tuple(ids[:BATCH_CHUNK]) and change.unchanged == tuple(ids[BATCH_CHUNK:])
    assert isinstance(change.error, ServerError) and change.verified
    assert len(change.undoable) == BATCH_CHUNK
    text = bulk.describe_status_change(change)
    assert text.startswith(f"500 of {BATCH_CHUNK + 2:,} notifications archived. 2 could not be archived: ")
    assert "Service Unavailable" in text


# --- delete ----------------------------------------------------------------------------------------


async def test_a_delete_whose_answer_is_lost_is_asked_about(fault_proxy, directus, directus_admin):
    ids = fresh(directus, directus_admin, 3)
    fault_proxy.on("DELETE", "/notifications").drop_response()
    async with RestBackend(fault_proxy.url, StaticToken(directus.admin.token)) as backend:
        deletion = await bulk.delete(backend, ids)
    assert directus_admin.statuses(ids) == {}
    assert deletion.complete and deletion.deleted == tuple(ids) and isinstance(deletion.error, NetworkError)
    assert bulk.describe_deletion(deletion) == "3 notifications deleted."


async def test_a_refused_delete_keeps_every_row_and_says_so(fault_proxy, directus, directus_admin):
    ids = fresh(directus, directus_admin, 2)
    async with as_user(fault_proxy, directus) as backend:  # an ordinary user may not delete
        deletion = await bulk.delete(backend, ids)
    assert set(directus_admin.statuses(ids)) == set(ids)
    assert deletion.kept == tuple(ids) and deletion.deleted == () and deletion.verified
    assert "0 of 2 notifications deleted. 2 could not be deleted" in bulk.describe_deletion(deletion)
    directus_admin.delete(ids)


# --- everything a query matches ------------------------------------------------------------------------


async def test_matching_collects_every_id_in_one_request(fault_proxy, directus, directus_admin):
    tag = marker()
    rows = directus_admin.create(directus.user.id, [f"{tag} {n}" for n in range(BATCH_CHUNK + 5)], collection=tag)
    directus_admin.create(directus.user.id, [f"{tag} other"], collection=tag, status=ARCHIVED)
    progress: list[tuple[int, int]] = []
    async with as_user(fault_proxy, directus) as backend:
        query = Query.of_folder(INBOX, search=tag)
        found = await bulk.matching(backend, query, progress=lambda done, total: progress.append((done, total)))
    assert found == {row["id"]: INBOX for row in rows}
    assert progress == [(BATCH_CHUNK + 5, BATCH_CHUNK + 5)]
    assert len(fault_proxy.requests("GET", "/notifications")) == 1, "one scan of the inbox, not one per 500"


# --- sending ---------------------------------------------------------------------------------------------


def admin_backend(proxy: FaultProxy, directus, transport: str = "rest", timeout: float = 15):
    return TRANSPORTS[transport](proxy.url, StaticToken(directus.admin.token), timeout=timeout)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_send_whose_answer_is_lost_is_found_on_the_server(fault_proxy, directus, directus_admin, transport):
    subject = marker()
    fault_proxy.on("POST", "/notifications").drop_response()
    async with admin_backend(fault_proxy, directus, transport) as backend:
        delivery = await deliver(backend, [directus.user.id, directus.colleague.id], subject, "body")
    stored = directus_admin.notifications({"subject": {"_eq": subject}})
    assert delivery.state == SENT and delivery.searched
    assert sorted(item.id for item in delivery.created) == [row["id"] for row in stored] and len(stored) == 2
    assert len(fault_proxy.requests("POST", "/notifications")) == 1
    assert delivery.describe() == "Sent 2 notifications. (The answer was lost; the server, searched, holds it.)"


async def test_a_send_that_never_reached_the_server_is_unknown_not_failed(fault_proxy, directus, directus_admin):
    """A connection closed before any answer: the server may or may not have it. It does not, as far
    as the sender may see, so the send is unknown, with what to do — never "not sent"."""
    subject = marker()
    fault_proxy.on("POST", "/notifications").drop_request()
    async with admin_backend(fault_proxy, directus) as backend:
        delivery = await deliver(backend, [directus.user.id], subject)
    assert directus_admin.notifications({"subject": {"_eq": subject}}) == []
    assert delivery.state == UNKNOWN and delivery.searched and delivery.created == ()
    text = delivery.describe()
    assert "unknown" in text and "does not hold it (yet)" in text and "before sending it again" in text


async def test_a_send_the_server_refused_is_not_sent(fault_proxy, directus, directus_admin):
    subject = marker()
    fault_proxy.on("POST", "/notifications").respond(
        400, {"errors": [{"message": "Invalid payload.", "extensions": {"code": "INVALID_PAYLOAD"}}]}
    )
    async with admin_backend(fault_proxy, directus) as backend:
        delivery = await deliver(backend, [directus.user.id], subject)
    assert delivery.state == NOT_SENT and not delivery.searched
    assert delivery.describe() == "Not sent: Invalid payload."
    assert [e.method for e in fault_proxy.exchanges if e.path == "/notifications"] == ["POST"]


async def test_a_send_that_cannot_be_searched_for_is_unknown(fault_proxy, directus, directus_admin):
    subject = marker()
    fault_proxy.on("POST", "/notifications").drop_response()
    fault_proxy.on("GET", "/notifications").respond(503, UNAVAILABLE)
    async with admin_backend(fault_proxy, directus) as backend:
        delivery = await deliver(backend, [directus.user.id], subject)
    assert len(directus_admin.notifications({"subject": {"_eq": subject}})) == 1
    assert delivery.state == UNKNOWN and not delivery.searched
    assert "could not be searched" in delivery.describe()
