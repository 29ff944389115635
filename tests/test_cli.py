"""The command line, end to end: against the embedded inbox and against a real Directus 12.4.0.

Most cases call ``main([...])`` in-process with ``capsys``; a few run the installed console script
``directus-inbox`` in a subprocess to check exit codes and that stderr is one line, never a
traceback. Real-server tests tell their notifications apart by a unique marker in the subject.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import cli
from app.backend import InboxBackend
from app.cli import main
from app.config import Settings
from app.errors import BatchError, ForbiddenError, NetworkError
from app.models import ARCHIVED, INBOX
from app.startup import Prefetch

NOTIFICATION_KEYS = {"id", "timestamp", "status", "recipient", "sender", "subject", "message", "collection", "item"}
LIST_KEYS = {"backend", "total_count", "filter_count", "items"}
HOSTILE = "Evil \x1b[2J\x1b]52;c;SGVsbG8gd29ybGQ=\x07 \x9b31m subject"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)

    def assert_one_line_error(self, code: int, *fragments: str) -> None:
        assert self.code == code, (self.code, self.out, self.err)
        # Besides the error, only the note saying the embedded inbox is used may be there.
        lines = [
            line
            for line in self.err.strip("\n").split("\n")
            if not line.startswith("directus-inbox: using the embedded inbox at ")
        ]
        assert len(lines) == 1, self.err
        assert lines[0].startswith("directus-inbox: "), self.err
        assert "Traceback" not in self.err
        for fragment in fragments:
            assert fragment in self.err, (fragment, self.err)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """``run("list", "--json")`` -> Result; every output is checked for secrets by the caller."""

    def runner(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return runner


def marker() -> str:
    return uuid.uuid4().hex[:12]


def no_control(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text, repr(text)


def embedded_location(err: str) -> str:
    prefix = "directus-inbox: using the embedded inbox at "
    line = next(line for line in err.splitlines() if line.startswith(prefix))
    assert line.endswith(")")
    return line[len(prefix) :].rsplit(" (", 1)[0]


# --- parsing and usage ------------------------------------------------------------------------------


def test_help_and_version(run) -> None:
    result = run("--help")
    assert result.code == 0 and "list" in result.out and "--url" in result.out
    result = run("list", "--help")
    assert result.code == 0 and "--archived" in result.out and "--url" in result.out
    result = run("--version")
    assert result.code == 0 and "directus-inbox" in result.out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["list", "--limit", "0"], "--limit"),
        (["show", "abc"], "not a notification id"),
        (["frobnicate"], "invalid choice"),
        (["list", "--archived", "--all"], "not allowed with"),
        (["send", "--subject", "x"], "--to"),
        (["list", "--transport", "soap"], "--transport"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(run, argv, fragment) -> None:
    run(*argv).assert_one_line_error(2, fragment, "--help")


def test_tui_needs_a_terminal(run) -> None:
    run().assert_one_line_error(2, "needs a terminal", "list")


def test_no_subcommand_opens_the_tui(run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The TUI is imported lazily and gets the backend, the settings and the first page asked for
    while it was imported (a stand-in app here)."""
    import types

    opened: list[FakeApp] = []

    class FakeApp:
        def __init__(self, backend: InboxBackend, settings: Settings, *, prefetch: Prefetch | None) -> None:
            self.backend, self.settings, self.prefetch = backend, settings, prefetch
            self.ran = False
            self.return_code = 0
            opened.append(self)

        async def run_async(self) -> None:
            self.ran = True

    monkeypatch.setitem(sys.modules, "app.ui.app", types.SimpleNamespace(InboxApp=FakeApp))
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr(cli, "_stdout_is_tty", lambda: True)
    result = run("--demo-size", "20")
    assert result.code == 0, result.err
    (app,) = opened
    assert app.ran and app.backend.info.kind == "embedded"
    assert app.settings.demo_size == 20
    assert app.prefetch is not None
    page = asyncio.run(app.prefetch.page())
    assert page is not None and page.filter_count > 0, "the first page of the inbox, from the prefetch"
    assert "embedded-inbox-20" in result.err


def test_malformed_config_names_the_file(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text('[profiles.work]\nurl = "https://x.example.com\n')
    run("--config", str(bad), "list").assert_one_line_error(2, str(bad), "line 2")
    monkeypatch.setenv("DIRECTUS_INBOX_CONFIG", str(bad))
    run("list").assert_one_line_error(2, str(bad))


def test_unknown_profile_exit_2(run) -> None:
    run("list", "--profile", "nope").assert_one_line_error(2, "no profile 'nope'")


def test_password_needed_without_a_terminal(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRECTUS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DIRECTUS_EMAIL", "someone@example.com")
    run("whoami").assert_one_line_error(2, "DIRECTUS_PASSWORD", "token")


def test_failed_keys_and_hints_in_error_lines() -> None:
    cause = ForbiddenError("No permission.", code="FORBIDDEN", status=403)
    error = BatchError("Could not update 2 of 5 notifications", done_keys=[1, 2, 3], failed_keys=[4, 5], cause=cause)
    text = cli.describe(error)
    assert "4, 5" in text and "2 of 5" in text
    assert "whoami" in cli.describe(cause)
    assert "Is the server running" in cli.describe(NetworkError("Cannot reach http://x."))


# --- the embedded inbox ----------------------------------------------------------------------------


def whoami(run, *flags: str) -> dict:
    result = run("whoami", "--json", *flags)
    assert result.code == 0, result.err
    return result.json


def test_embedded_is_announced_on_stderr(run) -> None:
    result = run("list")
    assert result.code == 0, result.err
    assert result.err.count("\n") == 1
    assert "(no server configured)" in result.err
    assert Path(embedded_location(result.err)).exists()
    assert result.out.splitlines()[-1].split(" of ")[0].isdigit()


def test_embedded_list_json_shape(run) -> None:
    result = run("list", "--json", "--all", "--limit", "5")
    assert result.code == 0, result.err
    data = result.json
    assert set(data) == LIST_KEYS
    assert data["backend"]["kind"] == "embedded"
    assert set(data["backend"]) == {"kind", "location"}
    assert len(data["items"]) <= 5
    for item in data["items"]:
        assert set(item) == NOTIFICATION_KEYS and isinstance(item["id"], int)


def test_flags_before_or_after_the_subcommand(run) -> None:
    before = run("--demo-size", "40", "list", "--all", "--json", "--limit", "100")
    after = run("list", "--demo-size", "40", "--all", "--json", "--limit", "100")
    assert before.code == after.code == 0, (before.err, after.err)
    assert before.json["filter_count"] == after.json["filter_count"]
    assert before.json["backend"] == after.json["backend"]
    assert "--demo-size" in before.err


def test_embedded_whoami(run) -> None:
    data = whoami(run)
    assert set(data) == {"user", "backend", "capabilities"}
    assert set(data["user"]) == {"id", "email", "first_name", "last_name"}
    assert data["backend"]["kind"] == "embedded"
    assert data["capabilities"] == {"create": True, "delete": True, "archive": True}
    text = run("whoami")
    assert text.code == 0 and "embedded" in text.out


def test_embedded_send_show_archive_delete(run, monkeypatch: pytest.MonkeyPatch) -> None:
    me = whoami(run)["user"]
    tag = marker()
    result = run(
        "send",
        "--to",
        me["id"],
        "--subject",
        f"Hello {tag}",
        "--message",
        "**bold** and <em>html</em>",
        "--collection",
        "articles",
        "--item",
        "7",
        "--json",
    )
    assert result.code == 0, result.err
    created = result.json["created"]
    assert len(created) == 1 and set(created[0]) == NOTIFICATION_KEYS
    item = created[0]
    assert item["recipient"] == me["id"] and item["status"] == INBOX
    assert item["collection"] == "articles" and item["item"] == "7"
    key = str(item["id"])

    listed = run("list", "--search", tag)
    assert listed.code == 0 and f"Hello {tag}" in listed.out
    assert listed.out.splitlines()[-1] == "1 of 1"

    shown = run("show", key)
    assert shown.code == 0, shown.err
    assert f"Subject:  Hello {tag}" in shown.out and "bold" in shown.out and "<em>" not in shown.out
    assert "articles / 7" in shown.out
    assert run("show", key, "--json").json == item

    assert run("archive", key).code == 0
    assert run("list", "--search", tag, "--json").json["items"] == []
    archived = run("list", "--archived", "--search", tag, "--json").json["items"]
    assert [row["id"] for row in archived] == [item["id"]] and archived[0]["status"] == ARCHIVED
    assert run("unarchive", key, "--json").json == {"updated": [item["id"]]}
    assert run("list", "--search", tag, "--json").json["filter_count"] == 1

    # delete: no terminal and no --yes -> refused, nothing deleted
    run("delete", key).assert_one_line_error(2, "--yes")
    assert run("show", key).code == 0
    # a terminal that answers no, then yes
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    declined = run("delete", key)
    assert declined.code == 1 and f"Delete 1 notification (ids {key})? [y/N]" in declined.err
    assert run("show", key).code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    deleted = run("delete", key)
    assert deleted.code == 0, deleted.err
    run("show", key).assert_one_line_error(1, f"Notification {key} was not found, or you are not allowed to see it.")


def test_embedded_batch_archive_and_delete(run) -> None:
    me = whoami(run)["user"]
    tag = marker()
    ids = []
    for n in range(3):
        result = run("send", "--to", me["id"], "--subject", f"Batch {n} {tag}", "--json")
        ids.append(str(result.json["created"][0]["id"]))
    assert run("archive", *ids, "--json").json == {"updated": [int(key) for key in ids]}
    assert run("list", "--archived", "--search", tag, "--json").json["filter_count"] == 3
    missing = "987654321"
    run("archive", ids[0], missing).assert_one_line_error(1, f"Notification {missing} was not found")
    assert run("delete", *ids, "--yes", "--json").json == {"deleted": [int(key) for key in ids]}
    assert run("list", "--all", "--search", tag, "--json").json["filter_count"] == 0


def test_embedded_message_from_stdin_and_file(run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    me = whoami(run)["user"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("from *stdin*\n"))
    result = run("send", "--to", me["id"], "--subject", f"Stdin {marker()}", "--message-file", "-", "--json")
    assert result.code == 0, result.err
    assert result.json["created"][0]["message"] == "from *stdin*\n"
    body = tmp_path / "body.md"
    body.write_text("from a file")
    result = run("send", "--to", me["id"], "--subject", f"File {marker()}", "--message-file", str(body), "--json")
    assert result.json["created"][0]["message"] == "from a file"
    run("send", "--to", me["id"], "--subject", "x", "--message-file", str(tmp_path / "none.md")).assert_one_line_error(
        2, "does not exist"
    )


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--subject", "   "], "subject is empty"),
        (["--subject", "x" * 300], "at most 255"),
        (["--subject", "x", "--item", "3"], "needs its collection"),
    ],
)
def test_embedded_compose_errors(run, argv, fragment) -> None:
    me = whoami(run)["user"]
    run("send", "--to", me["id"], *argv).assert_one_line_error(2, fragment)


def test_embedded_unknown_recipient(run) -> None:
    run("send", "--to", f"nobody-{marker()}", "--subject", "x").assert_one_line_error(
        2, "No user you may see matches", "e-mail address or user id"
    )


def test_embedded_recipient_by_email(run) -> None:
    me = whoami(run)["user"]
    assert me["email"], "the embedded user has an e-mail address"
    result = run("send", "--to", me["email"], "--subject", f"By mail {marker()}", "--json")
    assert result.code == 0, result.err
    assert result.json["created"][0]["recipient"] == me["id"]


def test_embedded_recipients_by_name(run) -> None:
    tag = marker()
    result = run(
        "send", "--to", "Maya", "Tomás Herrera", "priya.raman@example.com", "--subject", f"Names {tag}", "--json"
    )
    assert result.code == 0, result.err
    assert len(result.json["created"]) == 3
    text = run("send", "--to", "maya", "--subject", f"Names {tag}")
    assert text.code == 0 and "to Maya Okafor <maya.okafor@example.com>." in text.out
    run("send", "--to", "example.com", "--subject", "x").assert_one_line_error(
        2, "'example.com' matches", "Maya Okafor <maya.okafor@example.com>", "more"
    )


def test_embedded_hostile_subject_is_cleaned(run) -> None:
    me = whoami(run)["user"]
    tag = marker()
    result = run("send", "--to", me["id"], "--subject", f"{HOSTILE} {tag}", "--message", f"body {HOSTILE}", "--json")
    assert result.code == 0, result.err
    key = str(result.json["created"][0]["id"])
    listed = run("list", "--search", tag)
    assert listed.code == 0 and tag in listed.out
    no_control(listed.out)
    shown = run("show", key)
    assert shown.code == 0 and "subject" in shown.out
    no_control(shown.out)
    raw = run("show", key, "--json")
    no_control(raw.out)  # JSON escapes control characters
    assert raw.json["subject"].startswith("Evil \x1b[2J")


def test_embedded_unknown_id(run) -> None:
    run("show", "424242").assert_one_line_error(
        1, "Notification 424242 was not found, or you are not allowed to see it."
    )


# --- the compose core the TUI shares ----------------------------------------------------------------


def test_build_drafts() -> None:
    from app.compose import ComposeError, build_drafts
    from app.models import User

    drafts = build_drafts([User(id="u1"), "u2"], "  Hi  ", "  ", "articles", 4, sender="me")
    assert [draft.payload() for draft in drafts] == [
        {"recipient": "u1", "subject": "Hi", "collection": "articles", "item": "4", "sender": "me"},
        {"recipient": "u2", "subject": "Hi", "collection": "articles", "item": "4", "sender": "me"},
    ]
    for args, field in ((([], "Hi"), "to"), ((["u"], ""), "subject"), ((["u"], "Hi", None, None, "3"), "collection")):
        with pytest.raises(ComposeError) as caught:
            build_drafts(*args)
        assert caught.value.field == field and str(caught.value) == caught.value.message


async def test_compose_send_shares_one_batch(tmp_path: Path) -> None:
    from app.compose import ComposeError, resolve_recipients, send
    from app.embedded import EmbeddedBackend

    async with EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=5) as backend:
        calls = []
        original = backend.create_many

        async def counting(drafts):
            calls.append(len(drafts))
            return await original(drafts)

        backend.create_many = counting  # type: ignore[method-assign]
        me = await backend.me()
        assert me.email is not None
        users = await resolve_recipients(backend, ["Maya Okafor", me.id, me.email, " "])
        assert [user.email for user in users] == ["maya.okafor@example.com", me.email]
        created = await send(backend, ["maya", me], "Lunch?", "At *noon*")
        assert calls == [2]
        assert {item.sender_id for item in created} == {me.id}
        assert {item.recipient_id for item in created} == {users[0].id, me.id}
        with pytest.raises(ComposeError) as caught:
            await send(backend, ["   "], "x")
        assert caught.value.field == "to"
        assert calls == [2]


# --- the installed console script ------------------------------------------------------------------


def script() -> list[str]:
    installed = Path(sys.executable).parent / "directus-inbox"
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-m", "app"]  # same entry point, when the package is not installed


def run_script(*argv: str, stdin: str | None = None) -> Result:
    done = subprocess.run(
        [*script(), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def test_console_script_is_installed() -> None:
    installed = Path(sys.executable).parent / "directus-inbox"
    assert installed.exists(), "the README's commands install the package, and with it the command"
    result = run_script("--version")
    assert result.code == 0 and "directus-inbox" in result.out


def test_script_embedded(tmp_path: Path) -> None:
    result = run_script("list", "--json")
    assert result.code == 0, result.err
    assert set(json.loads(result.out)) == LIST_KEYS
    assert result.err.startswith("directus-inbox: using the embedded inbox at ")
    assert result.err.count("\n") == 1
    refused = run_script("delete", "1")
    refused.assert_one_line_error(2, "--yes")
    usage = run_script("list", "--offset", "-3")
    usage.assert_one_line_error(2, "--offset")
    bad = tmp_path / "c.toml"
    bad.write_text("this is = = not toml")
    run_script("--config", str(bad), "whoami").assert_one_line_error(2, str(bad))


# --- a real Directus server ------------------------------------------------------------------------


def as_(directus, account) -> list[str]:
    return ["--url", directus.url, "--token", account.token]


@pytest.fixture
def server(directus, run):
    """``server(account, *argv)``: run against the real server, checking no output holds a secret."""
    secrets = [
        directus.admin.token,
        directus.user.token,
        directus.colleague.token,
        directus.admin.password,
        directus.user.password,
        directus.colleague.password,
    ]

    def runner(account, *argv: str) -> Result:
        result = run(*argv, *as_(directus, account))
        for secret in secrets:
            assert secret not in result.out and secret not in result.err
        assert "Traceback" not in result.err
        return result

    return runner


def send_to(server, directus, recipient, subject: str, *extra: str) -> dict:
    result = server(directus.admin, "send", "--to", recipient.email, "--subject", subject, "--json", *extra)
    assert result.code == 0, result.err
    created = result.json["created"]
    assert len(created) == 1
    return created[0]


def test_server_send_list_archive(server, directus) -> None:
    tag = marker()
    item = send_to(server, directus, directus.user, f"Hello {tag}", "--message", "> quoted **bold**")
    assert set(item) == NOTIFICATION_KEYS
    assert item["recipient"] == directus.user.id and item["status"] == INBOX
    assert item["sender"] == directus.admin.id  # the CLI fills in the sender
    key = str(item["id"])

    listed = server(directus.user, "list", "--search", tag, "--json").json
    assert set(listed) == LIST_KEYS
    assert listed["backend"] == {"kind": "rest", "location": directus.url}
    assert [row["id"] for row in listed["items"]] == [item["id"]]

    text = server(directus.user, "list", "--search", tag)
    assert text.code == 0 and f"Hello {tag}" in text.out
    assert text.out.splitlines()[-1] == "1 of 1"
    assert text.err == ""  # no embedded note

    shown = server(directus.user, "show", key)
    assert shown.code == 0 and f"Hello {tag}" in shown.out and "bold" in shown.out and "**" not in shown.out

    # the colleague does not see it; the admin's own inbox does not list it
    server(directus.colleague, "show", key).assert_one_line_error(
        1, f"Notification {key} was not found, or you are not allowed to see it."
    )
    assert server(directus.admin, "list", "--search", tag, "--json").json["items"] == []

    archived = server(directus.user, "archive", key)
    assert archived.code == 0, archived.err
    assert server(directus.user, "list", "--search", tag, "--json").json["items"] == []
    rows = server(directus.user, "list", "--archived", "--search", tag, "--json").json["items"]
    assert [row["id"] for row in rows] == [item["id"]] and rows[0]["status"] == ARCHIVED
    archived_text = server(directus.user, "list", "--archived", "--search", tag)
    assert "archived" in archived_text.out and f"Hello {tag}" in archived_text.out

    assert server(directus.user, "unarchive", key, "--json").json == {"updated": [item["id"]]}

    # an ordinary user may not delete: refused before anything is sent, one line, exit 1
    server(directus.user, "delete", key, "--yes").assert_one_line_error(1, "may not delete notifications")
    assert server(directus.user, "show", key).code == 0
    # the admin may
    assert server(directus.admin, "delete", key, "--yes", "--json").json == {"deleted": [item["id"]]}
    server(directus.user, "show", key).assert_one_line_error(1, "was not found")


def test_server_user_may_not_send(server, directus) -> None:
    server(directus.user, "send", "--to", directus.admin.email, "--subject", "hi").assert_one_line_error(
        1, "may not send notifications"
    )


def test_server_whoami(server, directus) -> None:
    user = server(directus.user, "whoami", "--json").json
    assert user["user"]["id"] == directus.user.id and user["user"]["email"] == directus.user.email
    assert user["backend"] == {"kind": "rest", "location": directus.url}
    assert user["capabilities"] == {"create": False, "delete": False, "archive": True}
    admin = server(directus.admin, "whoami", "--json").json
    assert admin["capabilities"] == {"create": True, "delete": True, "archive": True}
    text = server(directus.user, "whoami")
    assert "Uma User" in text.out and "May not:  send, delete" in text.out


def test_server_recipients_by_name_one_batch(server, directus) -> None:
    tag = marker()
    result = server(
        directus.admin,
        "send",
        "--to",
        "Uma User",
        "--to",
        directus.colleague.email,
        directus.user.id,
        "--subject",
        f"Team {tag}",
        "--json",
    )
    assert result.code == 0, result.err
    recipients = sorted(row["recipient"] for row in result.json["created"])
    assert recipients == sorted([directus.user.id, directus.colleague.id])  # the repeat is sent once
    text = server(directus.admin, "send", "--to", "colin", "--subject", f"Colin {tag}")
    assert text.code == 0 and "Colin Colleague <colleague@example.com>" in text.out
    server(directus.admin, "send", "--to", "example.com", "--subject", "x").assert_one_line_error(
        2, "'example.com' matches 3 users", "Uma User <user@example.com>"
    )
    server(directus.admin, "send", "--to", f"nobody-{tag}", "--subject", "x").assert_one_line_error(
        2, f"No user you may see matches 'nobody-{tag}'"
    )
    for account in (directus.user, directus.colleague):
        rows = server(account, "list", "--search", tag, "--json").json["items"]
        ids = [row["id"] for row in rows]
        server(directus.admin, "delete", *map(str, ids), "--yes")


def test_server_other_users_notification_is_not_found(server, directus) -> None:
    tag = marker()
    item = send_to(server, directus, directus.colleague, f"Private {tag}")
    key = str(item["id"])
    for argv in (("archive", key), ("show", key), ("unarchive", key)):
        server(directus.user, *argv).assert_one_line_error(
            1, f"Notification {key} was not found, or you are not allowed to see it."
        )
    # The server refuses the whole batch for the one id; the other is archived all the same, and the
    # one that was not is named.
    mine = send_to(server, directus, directus.user, f"Mine {tag}")
    both = server(directus.user, "archive", str(mine["id"]), key, "--json")
    both.assert_one_line_error(1, f"Notification {key} was not found")
    assert both.json == {"updated": [mine["id"]], "not_found": [item["id"]]}
    archived = server(directus.user, "list", "--archived", "--search", tag, "--json").json["items"]
    assert [row["id"] for row in archived] == [mine["id"]]
    server(directus.admin, "delete", key, str(mine["id"]), "--yes")


def test_server_odd_status_is_listed_not_hidden(server, directus) -> None:
    """An ordinary user may set any status ("read"): the default list shows it, marked."""
    from app.api.auth import StaticToken
    from app.api.rest import RestBackend
    from app.models import NotificationChanges

    tag = marker()
    item = send_to(server, directus, directus.user, f"Odd {tag}")

    async def mark_read() -> None:
        async with RestBackend(directus.url, StaticToken(directus.user.token)) as backend:
            await backend.update(item["id"], NotificationChanges(status="read"))

    asyncio.run(mark_read())
    listed = server(directus.user, "list", "--search", tag)
    assert f"Odd {tag}" in listed.out and " read " in listed.out
    assert server(directus.user, "list", "--search", tag, "--status", "inbox", "--json").json["items"] == []
    assert server(directus.user, "list", "--search", tag, "--status", "read", "--json").json["filter_count"] == 1
    assert server(directus.user, "list", "--search", tag, "--archived", "--json").json["items"] == []
    server(directus.admin, "delete", str(item["id"]), "--yes")


def test_server_hostile_subject(server, directus) -> None:
    tag = marker()
    item = send_to(server, directus, directus.user, f"{HOSTILE} {tag}", "--message", f"# Title\n{HOSTILE}")
    listed = server(directus.user, "list", "--search", tag)
    assert listed.code == 0 and tag in listed.out and "Evil" in listed.out
    no_control(listed.out)
    shown = server(directus.user, "show", str(item["id"]))
    assert shown.code == 0 and "Title" in shown.out
    no_control(shown.out)
    no_control(server(directus.user, "list", "--search", tag, "--json").out)
    server(directus.admin, "delete", str(item["id"]), "--yes")


def test_server_json_shape_matches_embedded(server, directus, run) -> None:
    tag = marker()
    send_to(server, directus, directus.user, f"Shape {tag}")
    me = whoami(run)["user"]
    assert run("send", "--to", me["id"], "--subject", f"Shape {tag}").code == 0
    embedded = run("list", "--search", tag, "--json").json
    rest = server(directus.user, "list", "--search", tag, "--json").json
    graphql = server(directus.user, "list", "--search", tag, "--json", "--transport", "graphql").json
    assert set(embedded) == set(rest) == set(graphql) == LIST_KEYS
    assert set(embedded["backend"]) == set(rest["backend"]) == set(graphql["backend"])
    assert graphql["backend"]["kind"] == "graphql"
    for data in (embedded, rest, graphql):
        assert len(data["items"]) == 1 and set(data["items"][0]) == NOTIFICATION_KEYS
    assert rest["items"] == graphql["items"]
    assert isinstance(graphql["items"][0]["id"], int)
    assert set(whoami(run)) == set(server(directus.user, "whoami", "--json").json)
    server(directus.admin, "delete", str(rest["items"][0]["id"]), "--yes")


def test_server_graphql_archive(server, directus) -> None:
    tag = marker()
    item = send_to(server, directus, directus.user, f"GraphQL {tag}")
    key = str(item["id"])
    result = server(directus.user, "--transport", "graphql", "archive", key, "--json")
    assert result.code == 0, result.err
    rows = server(directus.user, "list", "--archived", "--search", tag, "--json", "--transport", "graphql").json
    assert [row["id"] for row in rows["items"]] == [item["id"]]
    server(directus.admin, "delete", key, "--yes")


def test_server_wrong_token(run, directus) -> None:
    result = run("list", "--url", directus.url, "--token", "not-the-token-abc123")
    result.assert_one_line_error(1, "did not accept these credentials", "Check the token")
    assert "not-the-token-abc123" not in result.err


def test_server_password_login(run, directus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRECTUS_URL", directus.url)
    monkeypatch.setenv("DIRECTUS_EMAIL", directus.user.email)
    monkeypatch.setenv("DIRECTUS_PASSWORD", directus.user.password)
    result = run("whoami", "--json")
    assert result.code == 0, result.err
    assert result.json["user"]["id"] == directus.user.id
    assert directus.user.password not in result.out + result.err
    monkeypatch.setenv("DIRECTUS_PASSWORD", "wrong-password-xyz")
    bad = run("whoami")
    bad.assert_one_line_error(1, "did not accept these credentials")
    assert "wrong-password-xyz" not in bad.err


def test_server_profile_from_config(run, directus, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'default_profile = "test"\n[profiles.test]\nurl = "{directus.url}"\n'
        f'token = "{directus.user.token}"\ntransport = "graphql"\n'
    )
    result = run("--config", str(config), "whoami", "--json")
    assert result.code == 0, result.err
    assert result.json["user"]["id"] == directus.user.id and result.json["backend"]["kind"] == "graphql"
    assert directus.user.token not in result.out + result.err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_nothing_listening_is_a_network_error(run) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run("list", "--url", url, "--token", "abc").assert_one_line_error(1, f"Cannot reach {url}", "Is the server running")


def test_script_against_the_server(directus) -> None:
    wrong = run_script("list", "--url", directus.url, "--token", "bogus-token-123")
    wrong.assert_one_line_error(1, "did not accept these credentials")
    assert "bogus-token-123" not in wrong.err
    forbidden = run_script("delete", "1", "--yes", "--url", directus.url, "--token", directus.user.token)
    forbidden.assert_one_line_error(1, "may not delete")
    ok = run_script("whoami", "--json", "--url", directus.url, "--token", directus.user.token)
    assert ok.code == 0 and json.loads(ok.out)["user"]["id"] == directus.user.id
    assert ok.err == ""
    for result in (wrong, forbidden, ok):
        assert directus.user.token not in result.out + result.err
    down = run_script("list", "--url", f"http://127.0.0.1:{free_port()}", "--token", "x")
    down.assert_one_line_error(1, "Cannot reach")
