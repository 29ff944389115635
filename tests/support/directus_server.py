"""Install, bootstrap and run a real Directus 12.4.0 on loopback for the test suite.

The install (Node 22 from the npm registry, then ``directus@12.4.0`` built against Node 22's
headers, see ../shared/directus-facts.md) is cached outside the repository, so only the first
run on a machine pays for it.  Every test session gets its own database in a temporary
directory and a free port, and the server is stopped when the session ends.

Run ``python -m tests.support.directus_server install`` to provision the cache ahead of time,
or ``... serve`` to start a throw-away server by hand (prints its URL and tokens).
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

DIRECTUS_VERSION = "12.4.0"
NODE_VERSION = "22.23.3"
INSTALL_TIMEOUT = 30 * 60


def cache_root() -> Path:
    """Where the server install is cached: $DIRECTUS_INBOX_SERVER_CACHE or the user cache dir."""
    override = os.environ.get("DIRECTUS_INBOX_SERVER_CACHE")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("directus-inbox")) / "test-server"


def _node_package() -> str:
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
    return f"node-linux-{arch}"


@dataclass
class Install:
    root: Path

    @property
    def node_home(self) -> Path:
        return self.root / "node22" / "node_modules" / _node_package()

    @property
    def node(self) -> Path:
        return self.node_home / "bin" / "node"

    @property
    def server_dir(self) -> Path:
        return self.root / f"directus-{DIRECTUS_VERSION}"

    @property
    def cli(self) -> Path:
        return self.server_dir / "node_modules" / "directus" / "cli.js"

    @property
    def marker(self) -> Path:
        return self.server_dir / ".install-complete"

    def is_complete(self) -> bool:
        return self.marker.exists() and self.node.exists() and self.cli.exists()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self.node.parent}{os.pathsep}{env.get('PATH', '')}"
        return env


def _log(message: str) -> None:
    print(f"[directus-server] {message}", file=sys.stderr, flush=True)


def ensure_installed(root: Path | None = None) -> Install:
    """Install Node 22 and Directus into the cache unless a complete install is there."""
    install = Install(root or cache_root())
    if install.is_complete():
        return install
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the Directus test server; install Node.js/npm")
    install.root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if not install.node.exists():
        _log(f"installing Node {NODE_VERSION} into {install.root / 'node22'}")
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--prefix",
                str(install.root / "node22"),
                f"{_node_package()}@{NODE_VERSION}",
            ],
            check=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    if install.server_dir.exists():
        shutil.rmtree(install.server_dir)
    install.server_dir.mkdir(parents=True)
    _log(f"installing directus@{DIRECTUS_VERSION} into {install.server_dir} (several minutes, once)")
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(install.server_dir),
            f"--nodedir={install.node_home}",
            f"directus@{DIRECTUS_VERSION}",
        ],
        check=True,
        timeout=INSTALL_TIMEOUT,
        env=install.env(),
        stdin=subprocess.DEVNULL,
    )
    if not install.cli.exists():
        raise RuntimeError(f"directus install finished but {install.cli} is missing")
    install.marker.write_text(DIRECTUS_VERSION)
    _log(f"installed in {time.monotonic() - started:.0f} s")
    return install


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Account:
    email: str
    password: str
    token: str
    id: str = ""


@dataclass
class RunningServer:
    url: str
    admin: Account
    user: Account
    colleague: Account
    process: subprocess.Popen
    workdir: Path
    log_path: Path
    extra: dict = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict, repr=False)
    """The environment the server runs with (holds its secrets: never print it)."""
    node: Path | None = None
    cli: Path | None = None

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def start(self, **env: str) -> None:
        """Start the stopped server again on the same port and database, *env* changed.

        For tests of a server going away and coming back, or of a setting that needs a restart
        (``WEBSOCKETS_ENABLED="false"``): users, tokens and data survive, the URL stays the same.
        """
        if self.running:
            raise RuntimeError("the server is still running; stop() it first")
        if self.node is None or self.cli is None:
            raise RuntimeError("this server was not started by start_server()")
        self.env.update(env)
        self.process = _launch(self.node, self.cli, self.workdir, self.env, self.log_path)
        _wait_for_ping(self.url, self.process, self.log_path)

    def restart(self, **env: str) -> None:
        self.stop()
        self.start(**env)


def _request(url: str, method: str = "GET", body: object | None = None, token: str | None = None):
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(20):
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as error:
            # Just after start the server may still be warming up its schema cache.
            if error.code == 503 and attempt < 19:
                time.sleep(0.5)
                continue
            raise RuntimeError(f"{method} {url} answered {error.code}: {error.read()[:500]!r}") from None
        return json.loads(raw) if raw else None


def _wait_for_ping(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"directus exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server/ping", timeout=2) as resp:
                if resp.read().strip() == b"pong":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"directus did not answer /server/ping within {timeout} s:\n{log_path.read_text()[-4000:]}")


_refusal: str | None = None
"""Why this process must not start a server (set by the test suite), or ``None``."""


def refuse_to_start(reason: str) -> None:
    """Make every later ``start_server`` in this process fail with *reason*."""
    global _refusal
    _refusal = reason


def _launch(node: Path, cli: Path, workdir: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("a") as log:
        return subprocess.Popen(
            [str(node), str(cli), "start"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def start_server(workdir: Path, install: Install | None = None, *, env: dict[str, str] | None = None) -> RunningServer:
    """Bootstrap a fresh SQLite database in *workdir*, start the server, create three users.

    *env* adds to or overrides the server's settings (``{"ACCESS_TOKEN_TTL": "5s"}``).
    """
    if _refusal is not None:
        raise RuntimeError(_refusal)
    install = install or ensure_installed()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    admin = Account("admin@example.com", secrets.token_hex(12), secrets.token_hex(20))
    sendmail = workdir / "sendmail-stub"
    sendmail.write_text("#!/bin/sh\ncat > /dev/null\n")
    sendmail.chmod(0o755)
    server_env = install.env()
    server_env.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PUBLIC_URL": url,
            "DB_CLIENT": "sqlite3",
            "DB_FILENAME": str(workdir / "directus.db"),
            "KEY": secrets.token_hex(16),
            "SECRET": secrets.token_hex(32),
            "ADMIN_EMAIL": admin.email,
            "ADMIN_PASSWORD": admin.password,
            "ADMIN_TOKEN": admin.token,
            "WEBSOCKETS_ENABLED": "true",
            "TELEMETRY": "false",
            "LOG_LEVEL": "warn",
            "EMAIL_TRANSPORT": "sendmail",
            "EMAIL_SENDMAIL_PATH": str(sendmail),
            "RATE_LIMITER_ENABLED": "false",
            "CACHE_ENABLED": "false",
            "STORAGE_LOCATIONS": "local",
            "STORAGE_LOCAL_ROOT": str(workdir / "uploads"),
            "EXTENSIONS_PATH": str(workdir / "extensions"),
            # The pressure limiter answers 503 when the event loop lags, which a busy 2-core CI
            # machine does; tests want the server's answers, not its load shedding.
            "PRESSURE_LIMITER_ENABLED": "false",
        }
    )
    server_env.update(env or {})
    for sub in ("uploads", "extensions"):
        (workdir / sub).mkdir(exist_ok=True)
    (workdir / "package.json").write_text('{"name": "directus-inbox-test-server", "private": true}')
    log_path = workdir / "directus.log"
    with log_path.open("w") as log:
        subprocess.run(
            [str(install.node), str(install.cli), "bootstrap"],
            cwd=workdir,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
    process = _launch(install.node, install.cli, workdir, server_env, log_path)
    try:
        _wait_for_ping(url, process, log_path)
        me = _request(f"{url}/users/me", token=admin.token)
        if me["data"]["id"] is None:
            raise RuntimeError("admin token did not authenticate")
        admin.id = me["data"]["id"]
        _request(
            f"{url}/users/{admin.id}",
            "PATCH",
            {"email_notifications": False, "first_name": "Ada", "last_name": "Admin"},
            admin.token,
        )
        policy = _request(
            f"{url}/policies", "POST", {"name": "Editors", "app_access": True, "admin_access": False}, admin.token
        )
        role = _request(
            f"{url}/roles", "POST", {"name": "Editor", "policies": [{"policy": policy["data"]["id"]}]}, admin.token
        )
        accounts = []
        for first, last, email in (
            ("Uma", "User", "user@example.com"),
            ("Colin", "Colleague", "colleague@example.com"),
        ):
            account = Account(email, secrets.token_hex(12), secrets.token_hex(20))
            created = _request(
                f"{url}/users",
                "POST",
                {
                    "email": email,
                    "password": account.password,
                    "role": role["data"]["id"],
                    "token": account.token,
                    "first_name": first,
                    "last_name": last,
                    "email_notifications": False,
                },
                admin.token,
            )
            account.id = created["data"]["id"]
            accounts.append(account)
    except BaseException:
        process.terminate()
        raise
    return RunningServer(
        url,
        admin,
        accounts[0],
        accounts[1],
        process,
        workdir,
        log_path,
        {"role": role["data"]["id"], "policy": policy["data"]["id"]},
        server_env,
        install.node,
        install.cli,
    )


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "install"
    if command == "install":
        print(ensure_installed().server_dir)
        return 0
    if command == "serve":
        import tempfile

        server = start_server(Path(tempfile.mkdtemp(prefix="directus-inbox-server-")))
        print(
            json.dumps(
                {
                    "url": server.url,
                    "admin": server.admin.__dict__,
                    "user": server.user.__dict__,
                    "colleague": server.colleague.__dict__,
                    "log": str(server.log_path),
                },
                indent=2,
            ),
            flush=True,
        )
        try:
            server.process.wait()
        except KeyboardInterrupt:
            server.stop()
        return 0
    print("usage: python -m tests.support.directus_server [install|serve]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
