"""Shared fixtures: an isolated home for config and data, and the real Directus server.

The real server is installed (once, cached) and started by the suite itself; see
``tests/support/directus_server.py``. In CI (``CI=true``) a real-server test never skips: if the
server cannot be provisioned, the tests that need it error out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.directus_server import RunningServer, ensure_installed, start_server
from tests.support.fault_proxy import directus_admin, fault_proxy, self_signed_certificate, tls_fault_proxy  # noqa: F401


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
def directus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real Directus 12.4.0 on loopback with an admin, an ordinary user and a colleague.

    ``directus.admin``, ``.user`` and ``.colleague`` each have ``email``, ``password``, ``token``
    and ``id``. Tests must leave the users as they found them; notifications they create are
    theirs to clean up or to tell apart (subjects with a unique marker).
    """
    install = ensure_installed()
    server = start_server(tmp_path_factory.mktemp("directus"), install)
    try:
        yield server
    finally:
        server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "directus" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """In CI a skipped real-server test is a failure: say so loudly (the exit code follows)."""
    if os.environ.get("CI") != "true":
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "server" in getattr(r, "keywords", {})]
    if skipped:
        terminalreporter.write_line(f"ERROR: {len(skipped)} real-server tests skipped in CI", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if "server" in getattr(r, "keywords", {})]
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
