"""Where the TCSS lives: the top-level ``styles/`` folder, shipped in the wheel as ``app.styles``."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import app as app_package


def style_file(name: str) -> Path:
    """A TCSS file by name, from a source checkout (or editable install) or an installed wheel.

    ``app.styles`` has no ``__init__.py``: ``files()`` may hand back a ``MultiplexedPath``,
    whose ``str()`` is not a path, so the file is joined on before converting.
    """
    in_source_tree = Path(app_package.__file__).resolve().parent.parent / "styles" / name
    if in_source_tree.is_file():
        return in_source_tree
    return Path(str(files("app.styles").joinpath(name)))
