"""The command line over two profiles of the real server (two users), and writing to a role.

``work`` is the ordinary user, ``home`` the colleague, both on the session's server: two inboxes,
whose ids the server numbers in one sequence, told apart as ``PROFILE:ID``. The role ``Editor``
has exactly these two members. Two *servers* at once are in ``tests/unified/test_servers.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.models import ARCHIVED, INBOX
from tests.support.directus_server import RunningServer
from tests.support.fault_proxy import DirectAdmin, FaultProxy

Run = tuple[int, str, str]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    def run(*argv: str) -> Run:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write_config(path: Path, directus: RunningServer, url: str | None = None) -> Path:
    url = url or directus.url
    path.write_text(
        f'[profiles.work]\nurl = "{url}"\ntoken = "{directus.user.token}"\n'
        f'[profiles.home]\nurl = "{url}"\ntoken = "{directus.colleague.token}"\n'
        f'[profiles.admin]\nurl = "{url}"\ntoken = "{directus.admin.token}"\n'
    )
    path.chmod(0o600)
    return path


@pytest.fixture
def config(directus: RunningServer, tmp_path: Path) -> Path:
    return write_config(tmp_path / "config.toml", directus)


@pytest.fixture
def marker(directus_admin: DirectAdmin) -> Iterator[str]:
    mark = f"profiles-{uuid.uuid4().hex[:10]}"
    yield mark
    directus_admin.delete([row["id"] for row in directus_admin.notifications({"subject": {"_starts_with": mark}})])


def test_two_profiles_of_one_server_as_one_inbox(
    directus: RunningServer, directus_admin: DirectAdmin, config: Path, marker: str, run
):
    mine = directus_admin.create(directus.user.id, [f"{marker} for uma"])[0]
    theirs = directus_admin.create(directus.colleague.id, [f"{marker} for colin"])[0]

    code, out, err = run("list", "--profiles", "work,home", "--search", marker, "--json", "--config", str(config))
    assert code == 0, err
    listing = json.loads(out)
    assert [(item["profile"], item["id"], item["subject"]) for item in listing["items"]] == [
        ("home", theirs["id"], f"{marker} for colin"),
        ("work", mine["id"], f"{marker} for uma"),
    ]
    assert listing["profile_counts"] == {"work": 1, "home": 1} and listing["filter_count"] == 2
    assert listing["backend"]["kind"] == "unified" and set(listing["profiles"]) == {"work", "home"}

    code, out, _ = run("list", "--profiles", "work,home", "--search", marker, "--config", str(config))
    assert code == 0
    assert out.splitlines()[0].startswith(f"home:{theirs['id']} ") and out.splitlines()[1].startswith(
        f"work:{mine['id']} "
    )
    assert out.splitlines()[-1] == "2 of 2 (1 on work, 1 on home)"

    # Each id goes to its own profile's user: the colleague's id as work's is "not found".
    refs = [f"work:{mine['id']}", f"home:{theirs['id']}"]
    code, out, err = run("archive", *refs, f"work:{theirs['id']}", "--config", str(config))
    assert code == 1
    assert out == "Moved 2 notifications to the archive (1 on work, 1 on home).\n"
    assert f"1 was not found, or you may not see them: work:{theirs['id']}." in err
    assert directus_admin.statuses([mine["id"], theirs["id"]]) == {mine["id"]: ARCHIVED, theirs["id"]: ARCHIVED}

    code, out, _ = run("unarchive", *refs, "--json", "--config", str(config))
    assert code == 0 and json.loads(out) == {"updated": refs}
    assert directus_admin.statuses([mine["id"], theirs["id"]]) == {mine["id"]: INBOX, theirs["id"]: INBOX}

    code, _, err = run("delete", *refs, "--yes", "--config", str(config))
    assert code == 1 and "Your role may not delete notifications" in err
    code, out, _ = run("whoami", "--profiles", "work,home", "--json", "--config", str(config))
    profiles = json.loads(out)["profiles"]
    assert (profiles["work"]["user"]["id"], profiles["home"]["user"]["id"]) == (directus.user.id, directus.colleague.id)


def test_writing_to_a_role_is_one_batch_after_saying_to_whom(
    directus: RunningServer, directus_admin: DirectAdmin, fault_proxy: FaultProxy, tmp_path: Path, marker: str, run
):
    config = write_config(tmp_path / "config.toml", directus, fault_proxy.url)
    send = ["--config", str(config), "--profile", "admin", "send", "--to-role", "Editor", "--subject", marker]

    # No terminal to ask on, no --yes: it says how many, and sends nothing.
    code, _, err = run(*send)
    assert code == 2
    assert "2 users will receive it (role Editor: 2 users): Colin Colleague, Uma User." in err
    assert "Pass --yes to send to 2 users" in err
    assert not fault_proxy.requests("POST", "/notifications")

    code, out, err = run(*send, "--message", "Release at 5", "--yes", "--json")
    assert code == 0, err
    created = json.loads(out)["created"]
    assert sorted(row["recipient"] for row in created) == sorted([directus.user.id, directus.colleague.id])
    assert len(fault_proxy.requests("POST", "/notifications")) == 1  # one batch
    held = directus_admin.notifications({"subject": {"_eq": marker}})
    assert sorted(row["recipient"] for row in held) == sorted([directus.user.id, directus.colleague.id])

    code, _, err = run(*send[:4], "send", "--to-role", "Nope", "--subject", marker, "--yes")
    assert code == 1 and "There is no role 'Nope' that you may read (roles: Administrator, Editor)" in err
    code, _, err = run("--config", str(config), "--profile", "work", "send", "--to-role", "Editor", "--subject", "x")
    assert code == 1 and "Your role may not send notifications" in err
    assert len(directus_admin.notifications({"subject": {"_eq": marker}})) == 2


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["archive", "work:x"], "'x' is not a notification id"),
        (["archive", ":12"], "has no profile before the colon"),
        (["list", "--profiles", "work,,home"], "is not a list of profiles"),
        (["list", "--profiles", "work,home", "--url", "https://x.example.com"], "--url is for one server"),
        (["list", "--profiles", "work", "--unified"], "give one of them"),
        (["send", "--profiles", "work,home", "--to", "x", "--subject", "y"], "send works on one server"),
        (["archive", "--profiles", "work,home", "12"], "'12' does not say which profile"),
        (["archive", "--profiles", "work", "home:12"], "'home' is not among the profiles chosen (work)"),
        (["list", "--unified"], "has no unified list"),
        (["purge"], "purge needs --archived, --older-than AGE, or both"),
        (["purge", "--older-than", "3m"], "'3m' is not an age"),
        (["send", "--subject", "x"], "send needs --to USER or --to-role ROLE"),
    ],
)
def test_what_cannot_be_done_is_said_before_connecting(tmp_path: Path, run, argv: list[str], fragment: str):
    # No server runs at these URLs: each error comes before any request.
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.work]\nurl = "http://127.0.0.1:9"\ntoken = "tok-1234567890"\n'
        '[profiles.home]\nurl = "http://127.0.0.1:9"\ntoken = "tok-0987654321"\n'
    )
    config.chmod(0o600)
    code, out, err = run(*argv, "--config", str(config), *(["--profile", "work"] if argv[0] == "purge" else []))
    assert code == 2, (out, err)
    assert fragment in err and len(err.strip().splitlines()) == 1 and out == ""


def test_the_tui_opens_the_unified_list_unless_one_server_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from app import cli

    config = tmp_path / "config.toml"
    config.write_text(
        'unified = ["work", "home"]\ndefault_profile = "work"\n'
        '[profiles.work]\nurl = "http://127.0.0.1:9"\ntoken = "tok-1234567890"\n'
        '[profiles.home]\nurl = "http://127.0.0.1:9"\ntoken = "tok-0987654321"\n'
    )
    config.chmod(0o600)

    def chosen(*argv: str) -> list[str] | None:
        profiles = cli._profile_set(cli.build_parser().parse_args([*argv, "--config", str(config)]))
        return None if profiles is None else profiles.names

    assert chosen() == ["work", "home"]
    assert chosen("--profile", "work") is None
    assert chosen("--embedded") is None
    assert chosen("--profiles", "home") == ["home"]
    # Scripts keep their one inbox unless they ask: the subcommands use unified only with --unified.
    assert chosen("list") is None
    assert chosen("list", "--unified") == ["work", "home"]
    assert chosen("archive", "home:3") == ["home"]
    monkeypatch.setenv("DIRECTUS_INBOX_PROFILE", "home")
    assert chosen() is None
