"""Saving views into the user's config file, keeping everything else in it as the user wrote it.

The file is read by ``app.config`` (``tomllib``, fast); here it is edited with **tomlkit**, which
keeps comments, blank lines, key order and quoting: saving a view changes its ``[views.NAME]``
table and nothing else. An existing view is updated in place (so the comments inside its table
stay), a new one gets a table of its own after the other views.

The result is checked with the same rules the app reads the file with before it is written, and
written as a whole new file renamed over the old (its permissions kept; a new file is ``0600``,
since a config may hold a token), so a crash leaves the old file. A config that is a symlink (a
dotfiles repository) stays one: the file it points to is written.
"""

from __future__ import annotations

import os
import stat
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError
from tomlkit.exceptions import TOMLKitError

from app.config import VIEW_KEYS, ConfigError, ConfigFile, ViewSettings, check_view_name, read_config
from app.secrecy import PRIVATE_FILE, private_dir
from app.triage import View

VIEWS = "views"


def save_view(path: Path, view: View) -> None:
    """Create or replace ``[views.<view.name>]`` in the config file at *path* (created if missing).

    ``ConfigError`` when the file cannot be read or written, or when it would not load afterwards.
    """
    try:
        check_view_name(view.name)
    except ValueError as error:
        raise ConfigError(f"Cannot save the view: {error}.") from None
    values = ViewSettings.of(view).model_dump(by_alias=True, exclude_none=True)

    def change(document: tomlkit.TOMLDocument) -> None:
        views = _views_table(document, path)
        if view.name in views:
            existing = views[view.name]
            if not isinstance(existing, dict):
                raise ConfigError(f"{path}: views.{view.name} is not a table. Write it as [views.{view.name}].")
            for key in VIEW_KEYS:
                if key in values:
                    existing[key] = values[key]
                elif key in existing:
                    del existing[key]
        else:
            table = tomlkit.table()
            for key, value in values.items():
                table[key] = value
            table.add(tomlkit.nl())
            views[view.name] = table

    _edit(path, change)


def remove_view(path: Path, name: str) -> bool:
    """Remove ``[views.NAME]`` from the config file; whether it was there."""
    removed = False

    def change(document: tomlkit.TOMLDocument) -> None:
        nonlocal removed
        views = document.get(VIEWS)
        if isinstance(views, dict) and name in views:
            del views[name]
            removed = True

    if path.exists():
        _edit(path, change)
    return removed


def _views_table(document: tomlkit.TOMLDocument, path: Path) -> Any:
    views = document.get(VIEWS)
    if views is None:
        views = tomlkit.table(is_super_table=True)
        document[VIEWS] = views
        return document[VIEWS]
    if not isinstance(views, dict):
        raise ConfigError(f"{path}: views is not a table. Write each view as [views.NAME].")
    return views


def _edit(path: Path, change: Callable[[tomlkit.TOMLDocument], None]) -> None:
    target = path.resolve()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not UTF-8 text"
        raise ConfigError(f"Cannot read the config file {path} ({reason}). Check its permissions.") from None
    if text:
        read_config(target, must_exist=True)  # the same one-line error as at start-up if it is broken
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}. Fix that line of the file.") from None
    change(document)
    result = tomlkit.dumps(document)
    if result.endswith("\n\n") and not text.endswith("\n\n"):
        result = result[:-1]  # the blank line after a new table, when it is the last in the file
    try:
        ConfigFile.model_validate(tomllib.loads(result))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise ConfigError(
            f"Saving the view would leave {path} unreadable ({type(error).__name__}); it was not changed."
        ) from None
    _replace(target, result)


def _replace(target: Path, text: str) -> None:
    """Write *text* to *target* by renaming a complete new file over it, with the old file's mode."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        private_dir(target.parent, tighten=False)
        mode = PRIVATE_FILE
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise ConfigError(
            f"Cannot write the config file {target} ({error.strerror}). Check its folder's permissions."
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except OSError as error:
        Path(temp_name).unlink(missing_ok=True)
        raise ConfigError(f"Cannot write the config file {target} ({error.strerror}). Check its permissions.") from None
