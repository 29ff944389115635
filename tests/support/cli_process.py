"""Run the command line as a user does: ``python -m app ...`` in a subprocess of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent

# What would change where the CLI connects or what it trusts, unless a test sets it on purpose.
UNSET = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "DIRECTUS_INBOX_DEBUG")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line]


def run_cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
    """``python -m app *argv`` with this process's environment (the test's isolated dirs) plus *env*."""
    environment = {key: value for key, value in os.environ.items() if key.upper() not in UNSET}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "app", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env=environment,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)
