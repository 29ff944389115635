"""The triage command line: ``list --from --collection --since --until --view --snoozed``, ``snooze``
and ``unsnooze``, on the embedded inbox and on a real Directus 12.4 (as an ordinary user, over
REST and GraphQL). Real-server tests tell their notifications apart by a unique word in the subject.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.cli import main
from app.config import default_config_path
from app.embedded.filters import format_timestamp
from app.when import iso_utc
from tests.test_cli import LIST_KEYS, NOTIFICATION_KEYS, Result


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    def runner(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return Result(code, captured.out, captured.err)

    return runner


def word() -> str:
    return uuid.uuid4().hex[:10]


def ids(result: Result) -> list[int]:
    assert result.code == 0, result.err
    return [item["id"] for item in result.json["items"]]


# --- the embedded inbox ---------------------------------------------------------------------------


MAYA, TOMAS = "maya.okafor@example.com", "tomas.herrera@example.com"


@pytest.fixture
def embedded(cli):
    """Four notifications of the embedded user's own, with one word in their subjects, and their ids:
    from Maya about products (two), from Tomás about articles, from nobody about nothing."""
    me = cli("whoami", "--json").json["user"]["id"]
    tag = word()
    chosen = [(MAYA, "products"), (MAYA, "products"), (TOMAS, "articles"), (None, None)]
    sent: list[int] = []
    for _, collection in chosen:
        extra = ["--collection", collection, "--item", "1"] if collection else []
        result = cli("send", "--to", me, "--subject", f"{tag} {len(sent)}", "--json", *extra)
        assert result.code == 0, result.err
        sent.append(result.json["created"][0]["id"])
    location = cli("whoami", "--json").json["backend"]["location"]
    with sqlite3.connect(location) as conn:
        for key, (email, _) in zip(sent, chosen, strict=True):
            conn.execute(
                "UPDATE notifications SET sender = (SELECT id FROM users WHERE email = ?) WHERE id = ?", (email, key)
            )
    return tag, sent, location


def set_timestamps(location: str, moments: dict[int, datetime]) -> None:
    with sqlite3.connect(location) as conn:
        conn.executemany(
            "UPDATE notifications SET timestamp = ? WHERE id = ?",
            [(format_timestamp(moment), key) for key, moment in moments.items()],
        )


def test_list_filters_by_sender_collection_and_time(cli, embedded):
    tag, sent, location = embedded
    now = datetime.now(UTC)
    set_timestamps(location, {sent[0]: now - timedelta(days=3), sent[1]: now - timedelta(hours=2)})

    def listed(*flags: str) -> list[int]:
        return sorted(ids(cli("list", "--search", tag, "--json", *flags)))

    assert listed("--from", MAYA) == sent[:2]
    assert listed("--from", "Maya Okafor") == sent[:2]
    assert listed("--from", "Tomás") == [sent[2]]
    assert listed("--collection", "products") == sent[:2]
    assert listed("--collection", "products", "--since", "1d") == [sent[1]]
    assert listed("--until", "2d") == [sent[0]]
    text = cli("list", "--search", tag, "--from", MAYA)
    assert text.code == 0 and "Maya Okafor" in text.out and text.out.splitlines()[-1] == "2 of 2"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["list", "--since", "soon"], "'soon' is not a time: give an ISO date"),
        (["list", "--until", "2026-02-30"], "is not a time"),
        (["list", "--from", "Nobody Atall"], "No user you may see matches 'Nobody Atall'. Give the sender's e-mail"),
        (["list", "--from", "example.com"], "'example.com' matches"),
        (["list", "--view", "nope"], "There is no view 'nope' in"),
        (["list", "--snoozed", "--archived"], "not allowed with"),
        (["snooze", "1"], "--until"),
        (["snooze", "1", "--until", "yesterday"], "'yesterday' is not a snooze time: give in an hour"),
        (["snooze", "1", "--until", "2020-01-01"], "has passed already"),
    ],
)
def test_what_cannot_be_used_is_one_line_and_exit_2(cli, argv, fragment):
    cli(*argv).assert_one_line_error(2, fragment)


def test_snooze_hides_from_the_inbox_until_unsnoozed(cli, embedded):
    tag, sent, _ = embedded
    result = cli("snooze", str(sent[0]), str(sent[2]), "--until", "tomorrow 14:00", "--json")
    assert result.code == 0, result.err
    until = result.json["until"]
    assert result.json == {"snoozed": [sent[0], sent[2]], "until": until}
    assert datetime.fromisoformat(until) > datetime.now(UTC)

    assert sorted(ids(cli("list", "--search", tag, "--json"))) == [sent[1], sent[3]]
    every = cli("list", "--search", tag, "--all", "--json").json["items"]
    marked = {item["id"]: item.get("snoozed_until") for item in every}
    assert marked == {sent[0]: until, sent[1]: None, sent[2]: until, sent[3]: None}
    assert all(set(item) - {"snoozed_until"} == NOTIFICATION_KEYS for item in every)

    snoozed = cli("list", "--snoozed", "--search", tag, "--json")
    assert set(snoozed.json) == LIST_KEYS and snoozed.json["filter_count"] == 2
    assert [(item["id"], item["snoozed_until"]) for item in snoozed.json["items"]] == [
        (sent[0], until),
        (sent[2], until),
    ]
    text = cli("list", "--snoozed", "--search", tag)
    assert text.out.splitlines()[-1] == "2 of 2 snoozed" and text.out.count("until ") == 2
    assert ids(cli("list", "--snoozed", "--search", tag, "--from", "Tomás", "--json")) == [sent[2]]

    back = cli("unsnooze", str(sent[0]), str(sent[1]), "--json")
    assert back.json == {"unsnoozed": [sent[0]], "not_snoozed": [sent[1]]}
    assert sorted(ids(cli("list", "--search", tag, "--json"))) == [sent[0], sent[1], sent[3]]
    text = cli("unsnooze", str(sent[2]))
    assert text.code == 0 and text.out == f"Back in the inbox: 1 notification ({sent[2]}).\n"
    assert cli("list", "--snoozed", "--json").json["items"] == []


def test_snoozed_in_order_of_their_return(cli, embedded):
    tag, sent, _ = embedded
    assert cli("snooze", str(sent[1]), "--until", "3d").code == 0
    assert cli("snooze", str(sent[3]), "--until", "2h").code == 0
    assert ids(cli("list", "--snoozed", "--search", tag, "--json")) == [sent[3], sent[1]]
    assert ids(cli("list", "--snoozed", "--search", tag, "--json", "--limit", "1", "--offset", "1")) == [sent[1]]


def test_snoozing_what_is_not_in_the_inbox(cli, embedded):
    _, sent, _ = embedded
    assert cli("archive", str(sent[0])).code == 0
    result = cli("snooze", str(sent[0]), str(sent[1]), "99999", "--until", "in an hour", "--json")
    result.assert_one_line_error(1, f"Notifications {sent[0]}, 99999 not in your inbox: archived, deleted")
    assert {key: value for key, value in result.json.items() if key != "until"} == {
        "snoozed": [sent[1]],
        "not_in_inbox": [sent[0], 99999],
    }
    assert ids(cli("list", "--snoozed", "--json")) == [sent[1]]


def test_a_view_from_the_config_and_flags_that_replace_its_own(cli, embedded):
    tag, sent, _ = embedded
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'# mine\n[views.shop]  # the shop\nsearch = "{tag}"\nfrom = "{MAYA}"\ncollection = "products"\n')
    assert sorted(ids(cli("list", "--view", "shop", "--json"))) == sent[:2]
    assert ids(cli("list", "--view", "shop", "--from", "Tomás", "--collection", "articles", "--json")) == [sent[2]]
    assert ids(cli("list", "--view", "shop", "--search", "no such words", "--json")) == []
    cli("list", "--view", "Shop").assert_one_line_error(2, "There is no view 'Shop'", "(views: shop)")


# --- a real Directus server ------------------------------------------------------------------------


@pytest.fixture(params=["rest", "graphql"])
def on_server(request, directus, cli):
    """``on_server(account, *argv)`` over one transport; no output holds a secret."""
    secrets = [account.token for account in (directus.admin, directus.user, directus.colleague)]

    def runner(account, *argv: str) -> Result:
        result = cli(*argv, "--url", directus.url, "--token", account.token, "--transport", request.param)
        for secret in secrets:
            assert secret not in result.out and secret not in result.err
        return result

    return runner


def create(directus, rows: list[dict]) -> list[int]:
    response = httpx.post(
        f"{directus.url}/notifications", json=rows, headers={"Authorization": f"Bearer {directus.admin.token}"}
    )
    response.raise_for_status()
    return [row["id"] for row in response.json()["data"]]


def test_server_an_ordinary_user_filters_by_sender_and_collection(on_server, directus):
    tag = word()
    rows = [
        {
            "recipient": directus.user.id,
            "subject": f"{tag} a",
            "sender": directus.colleague.id,
            "collection": "products",
        },
        {"recipient": directus.user.id, "subject": f"{tag} b", "sender": directus.admin.id, "collection": "products"},
        {"recipient": directus.user.id, "subject": f"{tag} c", "sender": directus.admin.id},
        {"recipient": directus.colleague.id, "subject": f"{tag} d", "sender": directus.admin.id},
    ]
    sent = create(directus, rows)

    def listed(*flags: str) -> list[int]:
        return sorted(ids(on_server(directus.user, "list", "--search", tag, "--json", *flags)))

    assert listed("--from", "colleague@example.com") == [sent[0]]
    assert listed("--from", directus.admin.id) == [sent[1], sent[2]]
    assert listed("--from", "ADMIN@example.com", "--collection", "products") == [sent[1]]
    assert listed("--since", "1h") == sent[:3]
    assert listed("--until", "1h") == []
    on_server(directus.user, "list", "--from", "Ada Admin").assert_one_line_error(
        2, "No user you may see matches 'Ada Admin'. Give the sender's e-mail address or user id."
    )
    # the admin may read users: names work
    admin_listed = on_server(directus.admin, "list", "--all", "--search", tag, "--from", "Colin Colleague", "--json")
    assert ids(admin_listed) == []  # the admin's own inbox holds none of these


def test_server_snooze_list_and_unsnooze(on_server, directus):
    tag = word()
    sent = create(directus, [{"recipient": directus.user.id, "subject": f"{tag} {n}"} for n in range(3)])
    others = create(directus, [{"recipient": directus.colleague.id, "subject": f"{tag} theirs"}])
    result = on_server(directus.user, "snooze", str(sent[0]), str(others[0]), "--until", "next week", "--json")
    result.assert_one_line_error(1, f"Notification {others[0]} not in your inbox")
    assert result.json["snoozed"] == [sent[0]]
    assert sorted(ids(on_server(directus.user, "list", "--search", tag, "--json"))) == sent[1:]
    snoozed = on_server(directus.user, "list", "--snoozed", "--search", tag, "--json").json
    assert [item["id"] for item in snoozed["items"]] == [sent[0]]
    assert snoozed["items"][0]["snoozed_until"] == result.json["until"]
    # another user's snoozes are their own
    assert on_server(directus.colleague, "list", "--snoozed", "--json").json["items"] == []
    assert on_server(directus.user, "unsnooze", str(sent[0]), "--json").json == {"unsnoozed": [sent[0]]}
    assert sorted(ids(on_server(directus.user, "list", "--search", tag, "--json"))) == sent


def test_server_a_snoozed_notification_archived_elsewhere_is_not_listed_as_waiting(on_server, directus):
    tag = word()
    sent = create(directus, [{"recipient": directus.user.id, "subject": f"{tag} {n}"} for n in range(2)])
    assert on_server(directus.user, "snooze", *map(str, sent), "--until", "2h").code == 0
    assert on_server(directus.user, "archive", str(sent[0])).code == 0
    assert ids(on_server(directus.user, "list", "--snoozed", "--search", tag, "--json")) == [sent[1]]
    archived = on_server(directus.user, "list", "--archived", "--search", tag, "--json").json["items"]
    assert [(item["id"], "snoozed_until" in item) for item in archived] == [(sent[0], True)]
    assert iso_utc(datetime.now(UTC)) < archived[0]["snoozed_until"]
