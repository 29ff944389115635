"""The benchmark runs, at a tiny size, and prints its table (no figure is judged: machines here are noisy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.server  # it starts a Directus of its own (and needs the installed one)


def test_the_benchmark_runs_at_a_tiny_size_and_prints_every_figure():
    run = subprocess.run(
        [sys.executable, "-m", "tests.benchmark", "--size", "300", "--bulk", "40", "--archived", "20", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # each wait inside has its own, shorter, which fails with the screen it saw
    )
    assert run.returncode == 0, run.stderr[-3000:]
    table = run.stdout
    for figure in (
        "start to the first page, embedded 300",
        "start to the first page, server 300",
        "held j, key to screen, p95",
        "held k, key to screen, p95",
        "tab switch, key to screen, p95",
        "search to 40 results on screen",
        "archive 40 (all matching)",
        "delete 40 (all matching)",
        "1 MB message in the preview",
        "list a page of 100, GraphQL transport",
        "RSS after 3 PgDn and G (300)",
    ):
        assert figure in table, f"{figure!r} is missing from the table:\n{table}"
