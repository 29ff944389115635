"""The hostile corpus (tests/support/hostile.py) through the real server and the CLI's output.

Each case is created over REST as the server's admin (with a sender user where the case needs
one), read back to record what the server stored, and then shown by the CLI as a user runs it
(``python -m app`` in a subprocess): ``list`` and ``show`` as text must carry no control sequence
and nothing the case says must never appear; ``--json`` must be ASCII, valid, and hold exactly
what the server stored. The subprocesses run a few at a time, once for the module.

Every case passes today: the CLI's text output goes through ``app.sanitize`` and ``--json`` is
ASCII. A case that fails after a change is marked ``xfail(strict=True, reason="issue 8: ...")``
with ``pytest.param(name, marks=...)``, as in tests/test_faults.py.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.cli_process import CliResult, run_cli
from tests.support.fault_proxy import DirectAdmin
from tests.support.hostile import CASES, HostileCase, unsafe_characters

pytestmark = pytest.mark.server

JSON_FIELDS = ("id", "status", "recipient", "sender", "subject", "message", "collection", "item")
PARALLEL = 4
SHOW_JSON = {"c0-all", "c1-all", "lone-surrogate", "noncharacters", "payload-limit", "huge-id", "huge-item"}
"""``list --json`` holds every case; ``show --json`` (the same encoder, after a ``get``) is run for
these only, the hardest to encode, since each CLI run costs most of a second of interpreter start."""


@dataclass
class Created:
    case: HostileCase
    body: dict[str, Any]
    id: int
    stored: dict[str, Any] | None
    """The row as the server holds it after the case's setup; ``None`` when it is gone."""


@pytest.fixture(scope="module")
def corpus(shared_directus):
    """Every case created on the real server, as notifications to the admin.

    Module-scoped, so it takes the session's server itself (``directus`` is function-scoped: it
    checks each test's ``server`` mark, which every test here gets through ``directus``)."""
    directus = shared_directus
    admin = DirectAdmin(directus.url, directus.admin.token)
    created: dict[str, Created] = {}
    users: list[str] = []

    def user(**fields: str) -> str:
        users.append(admin.create_user(email=f"hostile-{uuid.uuid4().hex[:8]}@example.com", **fields))
        return users[-1]

    try:
        for hostile in CASES:
            sender = user(**hostile.sender) if hostile.sender else None
            recipient = user(first_name="Leaving") if hostile.recipient_deleted else directus.admin.id
            body = hostile.body(recipient, sender)
            row = admin.create_one(body)
            leaving = [sender] * hostile.sender_deleted + [recipient] * hostile.recipient_deleted
            for gone in leaving:
                admin.delete_user(gone)
                users.remove(gone)
            created[hostile.name] = Created(hostile, body, row["id"], admin.get(row["id"]))
        yield created
    finally:
        admin.delete([item.id for item in created.values() if item.stored is not None])
        for leftover in users:
            admin.delete_user(leftover)
        admin.close()


@pytest.fixture(scope="module")
def outputs(corpus, shared_directus, tmp_path_factory) -> dict[str, CliResult]:
    """The CLI's outputs, as the admin: ``list``, ``list --json``, and ``show NAME`` / ``show NAME --json``."""
    directus = shared_directus
    home = tmp_path_factory.mktemp("hostile-home")
    env = {f"XDG_{kind}_HOME": str(home / kind.lower()) for kind in ("CONFIG", "DATA", "STATE")}
    connection = ["--url", directus.url, "--token", directus.admin.token]
    commands = {
        "list": ["list", "--all", "--limit", "2000"],
        "list --json": ["list", "--all", "--limit", "2000", "--json"],
    }
    for name, item in corpus.items():
        commands[f"show {name}"] = ["show", str(item.id)]
        if name in SHOW_JSON:
            commands[f"show {name} --json"] = ["show", str(item.id), "--json"]
    with ThreadPoolExecutor(PARALLEL) as pool:
        runs = {key: pool.submit(run_cli, *argv, *connection, env=env) for key, argv in commands.items()}
        return {key: run.result() for key, run in runs.items()}


def assert_inert(text: str, hostile: HostileCase, token: str) -> None:
    assert unsafe_characters(text) == [], f"{hostile.name}: unsafe characters reached the terminal"
    for never in hostile.never:
        assert never not in text, f"{hostile.name}: {never!r} was shown"
    assert token not in text


NAMES = [hostile.name for hostile in CASES]
PRESENT = [hostile.name for hostile in CASES if not hostile.recipient_deleted]
"""Every case the server still holds once set up (a deleted recipient takes theirs along)."""


@pytest.mark.parametrize("name", NAMES)
def test_the_server_stores_each_case_as_sent(corpus, name):
    item = corpus[name]
    if item.case.recipient_deleted:
        assert item.stored is None, "deleting a user deletes the notifications they received"
        return
    assert item.stored is not None
    expected = item.case.expected_stored(item.body)
    assert {key: item.stored[key] for key in expected} == expected


@pytest.mark.parametrize("name", PRESENT)
def test_cli_show_is_inert(corpus, outputs, directus, name):
    hostile, result = corpus[name].case, outputs[f"show {name}"]
    assert result.code == 0, result.err
    assert result.out.startswith(f"Notification {corpus[name].id} ")
    assert_inert(result.out + result.err, hostile, directus.admin.token)
    for text in hostile.shown:
        assert text in result.out, f"{text!r} is shown as written"


@pytest.mark.parametrize("name", PRESENT)
def test_cli_list_row_is_inert(corpus, outputs, directus, name):
    result = outputs["list"]
    assert result.code == 0, result.err
    [row] = [line for line in result.out.splitlines() if line.lstrip().startswith(f"{corpus[name].id} ")]
    assert_inert(row, corpus[name].case, directus.admin.token)


def test_cli_list_is_inert_as_a_whole(corpus, outputs, directus):
    result = outputs["list"]
    assert result.code == 0, result.err
    assert unsafe_characters(result.out + result.err) == []
    assert directus.admin.token not in result.out + result.err


@pytest.mark.parametrize("name", PRESENT)
def test_cli_json_is_ascii_and_holds_what_the_server_stored(corpus, outputs, directus, name):
    item = corpus[name]
    assert item.stored is not None
    expected = {key: item.stored[key] for key in JSON_FIELDS}
    for command in ["list --json"] + ([f"show {name} --json"] if name in SHOW_JSON else []):
        result = outputs[command]
        assert result.code == 0, result.err
        assert result.out.isascii(), command
        assert directus.admin.token not in result.out
        data = json.loads(result.out)
        shown_item = data if command.startswith("show") else next(i for i in data["items"] if i["id"] == item.id)
        assert {key: shown_item[key] for key in JSON_FIELDS} == expected, command


def test_a_notification_whose_recipient_was_deleted_is_not_found(corpus, outputs, directus):
    result = outputs["show recipient-deleted"]
    assert result.code == 1 and result.out == ""
    assert len(result.error_lines) == 1 and "was not found, or you are not allowed to see it" in result.err
    assert unsafe_characters(result.err) == []


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40
