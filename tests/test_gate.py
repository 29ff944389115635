"""The gate: ruff (lint and format) and mypy are clean, checked by the test command itself, so
``.ci/run`` cannot land code that fails them. Their settings are in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECKS = {
    "ruff lint": [sys.executable, "-m", "ruff", "check", "--no-cache", "app", "tests"],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "app", "tests"],
    "mypy": [sys.executable, "-m", "mypy"],
}


@pytest.mark.parametrize("name", CHECKS)
def test_the_gate_is_clean(name: str) -> None:
    finished = subprocess.run(CHECKS[name], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, f"{name} found problems:\n{finished.stdout}{finished.stderr}"
