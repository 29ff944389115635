"""Keeping secrets: a token fit for a header, and files that only their owner can read.

Everything the app writes — its data dir, the drafts, the embedded inbox's database with its
``-wal`` and ``-shm`` files — may hold what another user of the machine must not read. Directories
are made ``0700`` and files ``0600`` when they are created (whatever the umask), and tightened when
they are found wider.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from app import APP_NAME

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def token_problem(token: str) -> str | None:
    """What makes *token* unusable in an ``Authorization`` header, without quoting it; ``None`` if nothing.

    A header carries printable ASCII only: anything else is refused by the HTTP library with an
    error that quotes the header (the token), or sent and refused by the server as a bad request.
    """
    if not token:
        return "it is empty"
    for position, character in enumerate(token, start=1):
        if character.isascii() and character.isprintable() and not character.isspace():
            continue
        if character.isspace() and character.isascii():
            kind = "a space" if character == " " else "a line break or tab"
        else:
            kind = "a control character" if character.isascii() else "a character that is not ASCII"
        return f"it contains {kind} at position {position} (a token is printable ASCII, without spaces)"
    return None


def data_dir() -> Path:
    """The app's data dir (``<user data dir>/directus-inbox``), where it keeps the embedded inbox and drafts."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def private_data_dir(*parts: str) -> Path:
    """``data_dir()`` (or a folder in it), created or tightened to ``0700`` — each level of it."""
    path = private_dir(data_dir())
    for part in parts:
        path = private_dir(path / part)
    return path


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """*path* as a directory only its owner may enter: created ``0700``; an existing one is
    tightened when *tighten* (the app's own directories; never a directory the user chose, which
    may be shared on purpose). Parents are created as ``mkdir -p`` would."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass  # made meanwhile by another process: tightened below
        else:
            tighten = True  # mkdir's mode is cut by the umask, never widened; make it exact
    if tighten:
        _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """*path* as a file only its owner may read and write: created empty ``0600`` if missing,
    tightened if wider."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:
        pass
    else:
        os.close(descriptor)
    _tighten(path, PRIVATE_FILE)
    return path


def tighten_if_present(path: Path) -> None:
    """Make an existing file private (``0600``); nothing if it is not there."""
    try:
        _tighten(path, PRIVATE_FILE)
    except FileNotFoundError:
        pass


def _tighten(path: Path, mode: int) -> None:
    if os.name != "posix":
        return  # other systems keep per-user files private by their own means (ACLs)
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        path.chmod(current & mode)
