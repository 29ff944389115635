"""Shared fixtures: an isolated home for config and data, and the real Directus server.

The real server is installed (once, cached) and started by the suite itself; see
``tests/support/directus_server.py``. In CI (``CI=true``) a real-server test never skips: if the
server cannot be provisioned, the tests that need it error out.

A test that needs the real server carries the ``server`` mark, so that ``pytest -m "not server"``
runs everything else and nothing more. The mark comes from the ``directus`` fixture when a test
requests it by name (here, at collection), or is written where the need is (a fixture parameter
``pytest.param("rest", marks=pytest.mark.server)``, a module's ``pytestmark``). Two checks keep
it honest: ``directus`` fails a test that uses it without the mark, and a run that selected no
marked test refuses to start a server at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import directus_server
from tests.support.directus_server import RunningServer, ensure_installed, start_server
from tests.support.fault_proxy import directus_admin, fault_proxy, self_signed_certificate, tls_fault_proxy  # noqa: F401

SERVER_MARK = "server"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config and data dirs of a throw-away home, so no test touches the user's own files."""
    home = tmp_path / "home"
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    for var in (
        "DIRECTUS_URL",
        "DIRECTUS_TOKEN",
        "DIRECTUS_EMAIL",
        "DIRECTUS_PASSWORD",
        "DIRECTUS_INBOX_PROFILE",
        "DIRECTUS_INBOX_TRANSPORT",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def shared_directus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The session's one server; tests reach it through ``directus``, which checks their mark."""
    server = start_server(tmp_path_factory.mktemp("directus"), ensure_installed())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def directus(request: pytest.FixtureRequest) -> RunningServer:
    """A real Directus 12.4.0 on loopback with an admin, an ordinary user and a colleague.

    ``directus.admin``, ``.user`` and ``.colleague`` each have ``email``, ``password``, ``token``
    and ``id``. Tests must leave the users as they found them; notifications they create are
    theirs to clean up or to tell apart (subjects with a unique marker).
    """
    require_server_mark(request)
    server: RunningServer = request.getfixturevalue("shared_directus")
    return server


def require_server_mark(request: pytest.FixtureRequest) -> None:
    """Fail, before any server starts, a test that reaches one without the ``server`` mark."""
    if request.node.get_closest_marker(SERVER_MARK) is None:
        pytest.fail(
            f"{request.node.nodeid} uses the real Directus server but is not marked '{SERVER_MARK}': "
            "request the `directus` fixture by name, or mark the parameter or module that needs it",
            pytrace=False,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "directus" in getattr(item, "fixturenames", ()):
            item.add_marker(SERVER_MARK)


def pytest_collection_finish(session: pytest.Session) -> None:
    """A run that selected no real-server test (``-m "not server"``) must never start a server."""
    if not any(item.get_closest_marker(SERVER_MARK) for item in session.items):
        directus_server.refuse_to_start(
            "this run selected no test marked 'server', yet something tried to start the real Directus server"
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """In CI a skipped real-server test is a failure: say so loudly (the exit code follows)."""
    if os.environ.get("CI") != "true":
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if SERVER_MARK in getattr(r, "keywords", {})]
    if skipped:
        terminalreporter.write_line(f"ERROR: {len(skipped)} real-server tests skipped in CI", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if SERVER_MARK in getattr(r, "keywords", {})]
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
