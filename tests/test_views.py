"""Saved views: ``[views.NAME]`` read with the other settings (``app/config.py``), and written into the
user's config file (``app/views.py``) without touching a comment, a blank line or another table."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.config import ConfigError, default_config_path, load_settings
from app.triage import Filters, View
from app.views import remove_view, save_view
from app.when import TimeBound

TOKEN = "tok-SECRET-1234567890"

COMMENTED = f"""\
# directus-inbox — my settings. Keep this header!
default_profile = "work"   # the one I use daily
theme = "nord"

    # an indented comment, and the blank lines around it


[keymap]  # vim-ish
archive = "e"   # e like gmail
'delete' = "d,delete"

# --- views ---
[views.products]   # what the shop team sends
search = "price"   # only price changes
from = "maya@example.com"
collection = "products"
since = "1w"       # keep it short

[profiles.work]
url = "https://work.example.com/"
token = "{TOKEN}"  # never share
transport = "graphql"

# the end
"""


def write(text: str, mode: int = 0o600) -> Path:
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_views_are_read_in_the_files_order_and_stay_relative():
    write(COMMENTED + '\n[views."this week"]\nsince = "this week"\nuntil = "2026-12-31"\n')
    views = load_settings().saved_views()
    assert [view.name for view in views] == ["products", "this week"]
    assert views[0] == View(
        "products",
        "price",
        Filters(sender="maya@example.com", collection="products", since=TimeBound("1w", "relative")),
    )
    assert views[1].filters.since == TimeBound("this week", "named")
    assert views[1].filters.until == TimeBound("2026-12-31", "date")


@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        ('[views.x]\nsince = "soon"\n', 2, "since in [views.x] is not a time. Give an ISO date"),
        ('[views.x]\nuntil = "3x"\n', 2, "until in [views.x] is not a time."),
        (
            '[views.x]\nsender = "a"\n',
            2,
            "unknown setting 'sender' in [views.x]. Remove it, or use one of: search, from, collection, since, until.",
        ),
        ("[views.x]\nsearch = 3\n", 2, "search in [views.x] must be text in quotes."),
        ('[views]\nx = "y"\n', 2, "views.x must be a table. Write it as [views.x]."),
        ('[views."a\\u001bb"]\nsearch = "x"\n', None, "a view's name is 1 to 40 characters without control characters"),
    ],
)
def test_a_broken_view_is_one_line_naming_the_place(table, line, message):
    path = write(table)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    text = str(caught.value)
    assert "\n" not in text and message in text, text
    assert text.startswith(f"{path}:{line}:" if line else f"{path}:")


# --- writing --------------------------------------------------------------------------------------


def saved(name: str, **chosen: str | None) -> View:
    search = chosen.pop("search", None)
    return View(name, search, Filters.parse(**chosen))


def test_a_new_view_is_added_and_nothing_else_changes():
    path = write(COMMENTED)
    save_view(path, saved("urgent from Tomás", sender="tomas@example.com", since="2d", search="urgent"))
    text = path.read_text(encoding="utf-8")
    before, added, after = COMMENTED.partition('since = "1w"       # keep it short\n')
    assert text.startswith(before + added)
    assert text.endswith(after)
    new = text[len(before + added) : len(text) - len(after)]
    assert new == '\n[views."urgent from Tomás"]\nsearch = "urgent"\nfrom = "tomas@example.com"\nsince = "2d"\n'
    assert load_settings().views["urgent from Tomás"].view("urgent from Tomás") == saved(
        "urgent from Tomás", sender="tomas@example.com", since="2d", search="urgent"
    )


def test_replacing_a_view_keeps_its_comments_and_drops_what_it_no_longer_has():
    path = write(COMMENTED)
    save_view(path, saved("products", search="discount", collection="products", since="3d"))
    assert path.read_text(encoding="utf-8") == COMMENTED.replace(
        'search = "price"   # only price changes\nfrom = "maya@example.com"\n',
        'search = "discount"   # only price changes\n',
    ).replace('since = "1w"       # keep it short', 'since = "3d"       # keep it short')


def test_the_first_view_in_a_file_without_views():
    path = write('theme = "nord"  # dark\n')
    save_view(path, saved("mine", collection="articles"))
    assert path.read_text(encoding="utf-8") == 'theme = "nord"  # dark\n\n[views.mine]\ncollection = "articles"\n'
    remove_view(path, "mine")
    assert load_settings().views == {}


def test_no_config_file_yet_makes_a_private_one():
    path = default_config_path()
    assert not path.exists()
    save_view(path, saved("today", since="today"))
    assert path.read_text(encoding="utf-8") == '[views.today]\nsince = "today"\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_the_files_permissions_are_kept(mode):
    path = write(COMMENTED, mode)
    save_view(path, saved("x", collection="c"))
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_config_that_is_a_symlink_stays_one(tmp_path):
    real = tmp_path / "dotfiles" / "directus-inbox.toml"
    real.parent.mkdir()
    real.write_text(COMMENTED, encoding="utf-8")
    link = default_config_path()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(real)
    save_view(link, saved("x", collection="c"))
    assert link.is_symlink() and "[views.x]" in real.read_text(encoding="utf-8")


def test_removing_a_view_leaves_the_rest():
    path = write(COMMENTED)
    assert remove_view(path, "products") is True
    assert remove_view(path, "products") is False
    text = path.read_text(encoding="utf-8")
    assert "[views.products]" not in text and "# --- views ---" in text and "token = " in text
    assert load_settings().views == {}


@pytest.mark.parametrize(
    "broken",
    ["theme = \n", '[views.x]\nsince = "soon"\n', "views = 3\n"],
    ids=["not TOML", "a broken view", "views not a table"],
)
def test_a_broken_file_is_left_alone(broken):
    path = write(broken)
    with pytest.raises(ConfigError):
        save_view(path, saved("x", collection="c"))
    assert path.read_text(encoding="utf-8") == broken
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("name", ["", "   ", "tab\there", "x" * 41])
def test_a_view_needs_a_name_fit_for_a_tab(name):
    path = write(COMMENTED)
    with pytest.raises(ConfigError, match="a view's name is 1 to 40 characters"):
        save_view(path, saved(name, collection="c"))
    assert path.read_text(encoding="utf-8") == COMMENTED


def test_a_failed_write_leaves_the_old_file(monkeypatch):
    path = write(COMMENTED)

    def no_rename(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(ConfigError, match="No space left on device"):
        save_view(path, saved("x", collection="c"))
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
