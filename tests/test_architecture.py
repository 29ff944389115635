"""The core works as a library: nothing outside app/ui imports Textual, and it starts light."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE_FILES = [p for p in (ROOT / "app").rglob("*.py") if "ui" not in p.relative_to(ROOT / "app").parts]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_modules_do_not_import_textual(path: Path):
    textual = {name for name in imported_modules(path) if name == "textual" or name.startswith("textual.")}
    if path.name == "cli.py":
        # The CLI opens the TUI, lazily, from inside a function: that import is allowed there only.
        textual = set()
    assert textual == set(), f"{path} imports {textual}"


def test_importing_the_core_loads_neither_textual_nor_rich():
    code = (
        "import sys, app.models, app.backend, app.api, app.embedded, app.sanitize, app.message;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_the_wheel_ships_the_styles_and_the_console_script(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheel = next(tmp_path.glob("directus_inbox-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped_styles = {n.split("/")[-1] for n in names if n.startswith("app/styles/") and n.endswith(".tcss")}
    assert shipped_styles == {p.name for p in (ROOT / "styles").glob("*.tcss")}
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "directus-inbox = app.cli:main" in entry_points

    # The app from the wheel (not the source tree) finds its styles and starts.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = f"""
import asyncio, sys
sys.path.insert(0, {str(site)!r})
from app.embedded import EmbeddedBackend
from app.ui.app import InboxApp
from app.ui.screens.compose import ComposeScreen

async def main():
    async with EmbeddedBackend({str(tmp_path / "inbox.sqlite3")!r}, seed=5) as backend:
        app = InboxApp(backend)
        async with app.run_test() as pilot:
            await pilot.pause()
        print(*app.CSS_PATH, ComposeScreen.CSS_PATH, sep="\\n")
asyncio.run(main())
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    css = run.stdout.split()
    assert len(css) == 5 and all(path.startswith(str(site)) and Path(path).is_file() for path in css)


def test_every_package_of_the_app_is_installed():
    """A non-editable install (CI's) holds only the packages pyproject.toml lists: a new one left out
    works in a checkout and fails installed ("No module named …")."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(root).parts) for init in (root / "app").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
