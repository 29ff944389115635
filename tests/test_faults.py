"""Issue 8, at the backend and CLI level: every fault through a real proxy in front of the real server.

Each test states the behaviour the issue asks for: what the user is told, and what the server then
holds (asked directly, never through the proxy). Each failed before the fixes of issue 8 (they
were strict xfails, with the defect in the reason).
The CLI runs as a user runs it, ``python -m app ...`` in a subprocess, with ``--url`` at the proxy.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.errors import InboxError
from app.models import ARCHIVED, INBOX, NotificationChanges
from tests.support.answers import CALLS
from tests.support.cli_process import CliResult, run_cli
from tests.support.fault_proxy import FaultProxy

TRANSPORTS = {"rest": RestBackend, "graphql": GraphQLBackend}
SERVER_ERROR_503 = {"errors": [{"message": "Service Unavailable", "extensions": {"code": "SERVICE_UNAVAILABLE"}}]}


def marker() -> str:
    return f"ft-{uuid.uuid4().hex[:10]}"


def connect(proxy: FaultProxy, account) -> list[str]:
    return ["--url", proxy.url, "--token", account.token]


def slow_profile(tmp_path: Path, proxy: FaultProxy, account, timeout: float = 3) -> list[str]:
    """A profile at the proxy with a short timeout (the only way to set one), in a private file."""
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.p]\nurl = "{proxy.url}"\ntoken = "{account.token}"\ntimeout = {timeout}\n')
    config.chmod(0o600)
    return ["--config", str(config), "--profile", "p"]


def assert_one_line(result: CliResult, code: int) -> str:
    assert result.code == code, (result.code, result.out, result.err)
    assert len(result.error_lines) == 1 and result.err.startswith("directus-inbox: "), result.err
    assert "Traceback" not in result.err
    return result.err


def asked_after(proxy: FaultProxy, method: str, path: str) -> list[str]:
    """What the client asked after its first *method* *path* (to see whether it checked the server)."""
    exchanges = proxy.exchanges
    first = next(i for i, e in enumerate(exchanges) if (e.method, e.path) == (method, path))
    return [f"{e.method} {e.path}" for e in exchanges[first + 1 :]]


# --- the app's picture of the server ---------------------------------------------------------------

LOST = {
    "dropped": lambda rule: rule.drop_response(),
    "timed-out": lambda rule: rule.hold_response(),
}


@pytest.mark.parametrize("lost", LOST)
@pytest.mark.parametrize("command, before, after", [("archive", INBOX, ARCHIVED), ("unarchive", ARCHIVED, INBOX)])
def test_cli_status_change_whose_answer_is_lost_reports_what_the_server_holds(
    fault_proxy, directus, directus_admin, tmp_path, lost, command, before, after
):
    """Before: exit 1, 'could not', without asking the server, which had applied it."""
    rows = directus_admin.create(directus.user.id, [marker() for _ in range(5)], status=before)
    ids = [row["id"] for row in rows]
    LOST[lost](fault_proxy.on("PATCH", "/notifications"))

    result = run_cli(command, *map(str, ids), "--json", *slow_profile(tmp_path, fault_proxy, directus.user))

    fault_proxy.wait_for("PATCH", "/notifications")
    assert directus_admin.statuses(ids) == dict.fromkeys(ids, after)
    assert result.code == 0, result.err
    assert result.json == {"updated": ids}
    assert any(step.endswith("/notifications") for step in asked_after(fault_proxy, "PATCH", "/notifications"))


def test_cli_bulk_archive_whose_second_answer_is_lost_reports_every_row_archived(fault_proxy, directus, directus_admin):
    """Before: 100 reported not archived; the server had archived all 600."""
    ids = [row["id"] for row in directus_admin.create(directus.user.id, [marker() for _ in range(600)])]
    fault_proxy.on("PATCH", "/notifications", nth=2).drop_response()

    result = run_cli("archive", *map(str, ids), "--json", *connect(fault_proxy, directus.user))

    assert directus_admin.statuses(ids) == dict.fromkeys(ids, ARCHIVED)
    assert result.code == 0, result.err
    assert result.json == {"updated": ids}


def test_cli_bulk_archive_whose_second_chunk_is_refused_says_how_many_were_not_archived(
    fault_proxy, directus, directus_admin
):
    ids = [row["id"] for row in directus_admin.create(directus.user.id, [marker() for _ in range(600)])]
    fault_proxy.on("PATCH", "/notifications", nth=2).respond(503, SERVER_ERROR_503)

    result = run_cli("archive", *map(str, ids), *connect(fault_proxy, directus.user))

    statuses = directus_admin.statuses(ids)
    assert [statuses[key] for key in ids] == [ARCHIVED] * 500 + [INBOX] * 100
    error = assert_one_line(result, 1)
    assert "Could not update 100 of 600 notifications" in error and "Service Unavailable" in error
    assert f"failed keys: {ids[500]}, {ids[501]}" in error


@pytest.mark.parametrize("lost", LOST)
def test_cli_send_whose_answer_is_lost_reports_the_notification_that_was_created(
    fault_proxy, directus, directus_admin, tmp_path, lost
):
    """Before: exit 1 though the server had created it; a retry sent it twice."""
    subject = marker()
    LOST[lost](fault_proxy.on("POST", "/notifications"))

    result = run_cli(
        "send", "--to", directus.user.email, "--subject", subject, "--json",
        *slow_profile(tmp_path, fault_proxy, directus.admin),
    )  # fmt: skip

    fault_proxy.wait_for("POST", "/notifications")
    [stored] = directus_admin.notifications({"subject": {"_eq": subject}})
    assert len(fault_proxy.requests("POST", "/notifications")) == 1, "never sent twice"
    assert result.code == 0, result.err
    assert [item["id"] for item in result.json["created"]] == [stored["id"]]


def test_cli_archive_of_five_where_one_vanished_archives_the_other_four(fault_proxy, directus, directus_admin):
    """Before: the server's 403 for the one refused all five; nothing was archived."""
    ids = [row["id"] for row in directus_admin.create(directus.user.id, [marker() for _ in range(5)])]
    directus_admin.delete(ids[2:3])

    result = run_cli("archive", *map(str, ids), *connect(fault_proxy, directus.user))

    assert directus_admin.statuses(ids) == dict.fromkeys(ids[:2] + ids[3:], ARCHIVED)
    error = assert_one_line(result, 1)
    assert str(ids[2]) in error and "not found" in error


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_batch_where_one_key_vanished_changes_the_others_and_names_it(
    fault_proxy, directus, directus_admin, transport
):
    """Before: the batch was not sent again without the vanished key; nothing was archived."""
    ids = [row["id"] for row in directus_admin.create(directus.user.id, [marker() for _ in range(5)])]
    directus_admin.delete(ids[2:3])

    async with TRANSPORTS[transport](fault_proxy.url, StaticToken(directus.user.token)) as backend:
        with pytest.raises(InboxError) as refused:
            await backend.update_many(ids, NotificationChanges(status=ARCHIVED))

    assert directus_admin.statuses(ids) == dict.fromkeys(ids[:2] + ids[3:], ARCHIVED)
    assert refused.value.failed_keys == [ids[2]]


def test_cli_archive_that_cannot_be_checked_says_the_outcome_is_unknown(
    fault_proxy, directus, directus_admin, tmp_path
):
    """The answer times out and the server cannot be asked: exit 3, and the JSON says which are unknown."""
    ids = [row["id"] for row in directus_admin.create(directus.user.id, [marker() for _ in range(3)])]
    fault_proxy.on("PATCH", "/notifications").hold_response()
    fault_proxy.on("GET", "/notifications").respond(503, SERVER_ERROR_503)

    result = run_cli("archive", *map(str, ids), "--json", *slow_profile(tmp_path, fault_proxy, directus.user))

    fault_proxy.wait_for("PATCH", "/notifications")
    assert directus_admin.statuses(ids) == dict.fromkeys(ids, ARCHIVED)
    error = assert_one_line(result, 3)
    assert "Whether 3 notifications were archived is unknown" in error and "may still do it" in error
    assert result.json == {"updated": [], "unknown": ids}


def test_cli_send_that_cannot_be_checked_says_so_and_exits_3(fault_proxy, directus, directus_admin):
    subject = marker()
    fault_proxy.on("POST", "/notifications").drop_response()
    fault_proxy.on("GET", "/notifications").respond(503, SERVER_ERROR_503)

    result = run_cli("send", "--to", directus.user.email, "--subject", subject, *connect(fault_proxy, directus.admin))

    assert len(directus_admin.notifications({"subject": {"_eq": subject}})) == 1
    error = assert_one_line(result, 3)
    assert "Whether it was sent is unknown" in error and "before sending it again" in error
    assert "Not sent" not in error and result.out == ""


def test_cli_send_that_the_server_refused_says_not_sent_and_exits_1(fault_proxy, directus, directus_admin):
    subject = marker()
    fault_proxy.on("POST", "/notifications").respond(
        400, {"errors": [{"message": "Invalid payload.", "extensions": {"code": "INVALID_PAYLOAD"}}]}
    )
    result = run_cli("send", "--to", directus.user.email, "--subject", subject, *connect(fault_proxy, directus.admin))
    assert directus_admin.notifications({"subject": {"_eq": subject}}) == []
    assert "Invalid payload." in assert_one_line(result, 1)
    assert [e.method for e in fault_proxy.requests("*", "/notifications")] == ["POST"], "no search: it was refused"


def test_cli_delete_where_one_vanished_deletes_the_others_and_names_it(fault_proxy, directus, directus_admin):
    ids = [row["id"] for row in directus_admin.create(directus.user.id, [marker() for _ in range(3)])]
    directus_admin.delete(ids[1:2])

    result = run_cli("delete", *map(str, ids), "--yes", "--json", *connect(fault_proxy, directus.admin))

    assert directus_admin.statuses(ids) == {}
    error = assert_one_line(result, 1)
    assert f"Notification {ids[1]} was not found" in error
    assert result.json == {"deleted": [ids[0], ids[2]], "not_found": [ids[1]]}


# --- wrong-shaped answers: never a crash -------------------------------------------------------------

SHAPES = {
    "data-null": {"data": None},
    "list": [],
    "id-not-a-number": {"data": [{"id": "x"}]},
    "empty-object": {},
}


def wrong_shape_cases():
    for transport in TRANSPORTS:
        for shape in SHAPES:
            for call in CALLS:
                yield pytest.param(transport, shape, call, id=f"{transport}-{shape}-{call}")


@pytest.mark.parametrize("transport, shape, call", wrong_shape_cases())
async def test_a_wrong_shaped_answer_is_an_inbox_error_or_a_valid_result(fault_proxy, directus, transport, shape, call):
    """Measured before the answers were read at the edge: 43 of these 96 crashed with an error that
    was not an InboxError (pydantic's ValidationError, KeyError, TypeError)."""
    fault_proxy.on("*", "*", times=None).respond(200, SHAPES[shape])
    async with TRANSPORTS[transport](fault_proxy.url, StaticToken(directus.user.token)) as backend:
        try:
            result = await CALLS[call].run(backend)
        except InboxError as error:
            assert str(error) and "\n" not in str(error), "an InboxError says in one line what went wrong"
        else:
            assert CALLS[call].valid(result), result
    assert fault_proxy.exchanges, "the answer came through the proxy"


@pytest.mark.parametrize("shape", ["data-null", "list"])
@pytest.mark.parametrize("argv", [["list"], ["show", "1"], ["whoami"]], ids=" ".join)
def test_cli_says_the_server_answered_something_unexpected(fault_proxy, directus, argv, shape):
    """Before: 'unexpected error (TypeError ...) This is a bug'."""
    fault_proxy.on("*", "*", times=None).respond(200, SHAPES[shape])
    result = run_cli(*argv, *connect(fault_proxy, directus.user))
    error = assert_one_line(result, 1)
    assert "unexpected" in error and "server" in error
    assert "bug" not in error and "Error" not in error


# --- tokens --------------------------------------------------------------------------------------------

BAD_TOKENS = {"non-ascii": "s3cret-tökén-value", "control-character": "s3cret-tok\x1ben-value"}


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS)
def test_cli_refuses_a_token_that_is_not_printable_ascii_before_using_it(fault_proxy, token):
    """Before: non-ASCII was an 'unexpected error (UnicodeEncodeError ...)'; a control character was sent, and the
    user read 'HTTP 400'."""
    result = run_cli("list", "--url", fault_proxy.url, "--token", token, env={"DIRECTUS_INBOX_DEBUG": "1"})
    error = assert_one_line(result, 2)
    assert "token" in error.lower()
    assert token not in result.err and token not in result.out and "s3cret" not in result.err
    assert fault_proxy.exchanges == [], "a token that cannot be sent is not sent"


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS)
async def test_the_backend_refuses_a_token_that_is_not_printable_ascii(fault_proxy, token):
    """Before: httpx failed to encode it (UnicodeEncodeError), or it was sent and refused with 400."""
    with pytest.raises((ValueError, InboxError)) as refused:
        async with RestBackend(fault_proxy.url, StaticToken(token)) as backend:
            await backend.me()
    assert not isinstance(refused.value, UnicodeError)
    assert "token" in str(refused.value).lower() and "s3cret" not in str(refused.value)
    assert fault_proxy.exchanges == []


async def test_a_login_answer_with_an_access_token_unfit_for_a_header_is_refused(fault_proxy, directus):
    from app.api import PasswordLogin
    from app.errors import AuthenticationError

    fault_proxy.on("POST", "/auth/login").replace_body({"data": {"access_token": "s3cret-tökén", "expires": 900000}})
    login = PasswordLogin(directus.user.email, directus.user.password)
    async with RestBackend(fault_proxy.url, login) as backend:
        with pytest.raises(AuthenticationError, match="no usable access token") as refused:
            await backend.me()
    assert "s3cret" not in str(refused.value)
    assert [e.path for e in fault_proxy.exchanges] == ["/auth/login"], "the token was never sent"


# --- secrets at rest -----------------------------------------------------------------------------------


def private(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


def test_the_data_dir_and_embedded_database_are_private(isolated_dirs):
    """Before: 0755 and 0644, readable by every user of the machine."""
    old = os.umask(0o022)  # the common default, which the app must not rely on
    try:
        result = run_cli("list", "--demo-size", "3")
    finally:
        os.umask(old)
    assert result.code == 0, result.err
    data_dir = isolated_dirs / "data" / "directus-inbox"
    databases = list(data_dir.glob("*.sqlite3"))
    assert databases and private(data_dir)
    assert all(private(path) for path in data_dir.rglob("*")), {
        p.name: oct(p.stat().st_mode) for p in data_dir.rglob("*")
    }


def test_drafts_are_private(isolated_dirs):
    """Before: drafts/ was 0755."""
    from app.drafts import Draft, DraftFile, drafts_dir

    old = os.umask(0o022)
    try:
        saved = DraftFile.for_account("https://cms.example.com", "someone")
        saved.save(Draft(subject="between us"))
    finally:
        os.umask(old)
    assert private(saved.path)
    assert private(drafts_dir()) and private(drafts_dir().parent)


async def test_wider_files_and_dirs_found_are_made_private_and_a_chosen_dir_is_left_alone(isolated_dirs, tmp_path):
    from app.embedded import EmbeddedBackend, default_path

    database = default_path()
    database.parent.mkdir(parents=True, mode=0o755)
    database.parent.chmod(0o755)
    for path in (database, database.with_name(database.name + "-wal")):
        path.touch()
        path.chmod(0o644)
    await EmbeddedBackend.open_default().aclose()
    assert private(database.parent) and private(database) and private(database.with_name(database.name + "-wal"))

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    await EmbeddedBackend(shared / "inbox.sqlite3").aclose()
    assert shared.stat().st_mode & 0o777 == 0o755, "a directory the user chose may be shared on purpose"
    assert private(shared / "inbox.sqlite3")


@pytest.mark.parametrize(
    "mode",
    [0o644, 0o640, 0o600],
    ids=oct,
)
def test_a_config_file_holding_a_token_others_can_read_gets_a_warning(fault_proxy, directus, tmp_path, mode):
    """Before: read without a word."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'default_profile = "p"\n[profiles.p]\nurl = "{fault_proxy.url}"\ntoken = "{directus.user.token}"\n'
    )
    config.chmod(mode)
    result = run_cli("whoami", "--config", str(config))
    assert result.code == 0, result.err
    assert directus.user.token not in result.err + result.out
    if mode & 0o077:
        assert str(config) in result.err and "chmod 600" in result.err
    else:
        assert result.err == ""


# --- transport --------------------------------------------------------------------------------------


def test_plain_http_to_a_host_that_is_not_loopback_is_refused(fault_proxy, directus):
    """The proxy stands in for the network on the way (HTTP_PROXY): it sees whatever would be sent.
    Before: the token went out in clear text."""
    result = run_cli(
        "whoami", "--url", "http://cms.example.test", "--token", directus.user.token,
        env={"HTTP_PROXY": fault_proxy.url},
    )  # fmt: skip
    assert fault_proxy.exchanges == [], "the token never left in clear text"
    error = assert_one_line(result, 2)
    assert "--insecure-http" in error and directus.user.token not in error


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_plain_http_to_loopback_is_fine(fault_proxy, directus, host):
    url = fault_proxy.url.replace("127.0.0.1", host)
    result = run_cli("whoami", "--json", "--url", url, "--token", directus.user.token)
    assert result.code == 0, result.err
    assert result.json["user"]["id"] == directus.user.id


def test_insecure_http_lets_plain_http_through_when_asked_for(fault_proxy, directus, tmp_path):
    by_flag = run_cli(
        "whoami", "--json", "--insecure-http", "--url", "http://cms.example.test", "--token", directus.user.token,
        env={"HTTP_PROXY": fault_proxy.url},
    )  # fmt: skip
    assert by_flag.code == 0, by_flag.err
    assert by_flag.json["user"]["id"] == directus.user.id
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.p]\nurl = "http://cms.example.test"\ntoken = "{directus.user.token}"\ninsecure_http = true\n'
    )
    config.chmod(0o600)
    by_profile = run_cli(
        "whoami", "--json", "--config", str(config), "--profile", "p", env={"HTTP_PROXY": fault_proxy.url}
    )
    assert by_profile.code == 0, by_profile.err
    assert {e.path for e in fault_proxy.exchanges} >= {"/users/me"}


def test_a_certificate_error_says_it_is_one(tls_fault_proxy, directus):
    """Before: 'connection refused or host unreachable'."""
    result = run_cli("whoami", *connect(tls_fault_proxy, directus.user))
    error = assert_one_line(result, 1)
    assert "certificate" in error.lower() and "refused" not in error


def test_ca_bundle_flag_trusts_a_private_ca(tls_fault_proxy, self_signed_certificate, directus):
    """Before: there was no --ca-bundle (only httpx's undocumented SSL_CERT_FILE)."""
    cert, _ = self_signed_certificate
    result = run_cli("whoami", "--json", "--ca-bundle", str(cert), *connect(tls_fault_proxy, directus.user))
    assert result.code == 0, result.err
    assert result.json["user"]["id"] == directus.user.id


def test_ca_bundle_in_the_profile_trusts_a_private_ca(tls_fault_proxy, self_signed_certificate, directus, tmp_path):
    """Before: a profile could not name one."""
    cert, _ = self_signed_certificate
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.p]\nurl = "{tls_fault_proxy.url}"\ntoken = "{directus.user.token}"\nca_bundle = "{cert}"\n'
    )
    config.chmod(0o600)
    result = run_cli("whoami", "--json", "--config", str(config), "--profile", "p")
    assert result.code == 0, result.err
    assert result.json["user"]["id"] == directus.user.id


def test_a_ca_bundle_that_is_not_there_is_a_usage_error(tls_fault_proxy, directus, tmp_path):
    result = run_cli("whoami", "--ca-bundle", str(tmp_path / "none.pem"), *connect(tls_fault_proxy, directus.user))
    error = assert_one_line(result, 2)
    assert "none.pem does not exist" in error and tls_fault_proxy.exchanges == []
