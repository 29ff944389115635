"""Switching profiles without a restart: two profiles of the config file, two users of the real server;
and what the key says when a profile cannot be opened (no server needed).

``admin`` and ``editor`` are the session server's admin and ordinary user. Each profile opened keeps
its own main view (pages, search, cursor), so switching back shows it at once, with no request.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.api import RestBackend, StaticToken
from app.config import Settings, load_settings
from app.connect import open_backend
from app.embedded import EmbeddedBackend
from app.models import ARCHIVED, NotificationDraft
from app.ui.screens.profiles import ProfilePicker
from tests.support.directus_server import RunningServer
from tests.support.waiting import eventually
from tests.ui.support import inbox_app, rows, run, screen_text, seeded_inbox, settle, toasts


def write_config(path: Path, server: RunningServer) -> Path:
    path.write_text(
        f'[profiles.admin]\nurl = "{server.url}"\ntoken = "{server.admin.token}"\n\n'
        f'[profiles.editor]\nurl = "{server.url}"\ntoken = "{server.user.token}"\n'
    )
    path.chmod(0o600)
    return path


@pytest.mark.server
async def test_the_picker_switches_to_the_other_user_and_back_at_once(directus, tmp_path):
    mark = f"uiprofile{uuid.uuid4().hex[:8]}"
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin:
        created = await admin.create_many(
            [NotificationDraft(recipient=directus.admin.id, subject=f"{mark} admin {i}") for i in range(3)]
            + [NotificationDraft(recipient=directus.user.id, subject=f"{mark} editor {i}") for i in range(2)]
        )
        settings = load_settings(config=write_config(tmp_path / "config.toml", directus), profile="admin")
        app = inbox_app(open_backend(settings), settings)
        try:
            async with run(app) as pilot:
                await settle(pilot)
                first = app.main
                await pilot.press("slash", *mark, "enter")
                await settle(pilot)
                assert len(rows(app)) == 3

                await pilot.press("P")
                await settle(pilot)
                assert isinstance(app.screen, ProfilePicker)
                shown = screen_text(app)
                assert "● admin" in shown and "editor" in shown and "Switch profile" in shown
                await pilot.press("down", "enter")
                await settle(pilot)
                assert app.main is not first and app.screen is app.main
                assert "Switched to editor." in toasts(app)
                assert app.main.me is not None and app.main.me.id == directus.user.id
                await pilot.press("slash", *mark, "enter")
                await settle(pilot)
                assert sorted(line.split(mark)[1].split()[:2] for line in rows(app)) == [
                    ["editor", "0"],
                    ["editor", "1"],
                ]

                # Back to admin: the same view, its search and rows as they were, without a request.
                await pilot.press("P")
                await settle(pilot)
                assert "● editor" in screen_text(app)
                await pilot.press("up", "enter")
                await pilot.pause()
                assert app.main is first and app.screen is first
                assert first.search_text == mark and len(rows(app)) == 3
                assert not [worker for worker in first.workers if not worker.is_finished and worker.group != "live"]

                await pilot.press("a")
                await settle(pilot)
                assert "1 notification archived." in toasts(app)
            archived = [n for n in created if (await admin.get(n.id)).status == ARCHIVED]
            assert len(archived) == 1 and str(archived[0].subject).startswith(f"{mark} admin")
        finally:
            await app.profiles.first.backend.aclose()  # the editor's, opened by the app, closed with it
            for notification in created:
                await admin.delete(notification.id)


async def test_without_profiles_the_key_says_how_to_add_one(tmp_path):
    inbox = seeded_inbox(tmp_path / "inbox.sqlite3", 5)
    app = inbox_app(inbox)  # no config file in the test's home
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        assert app.screen is app.main
        assert "has no profiles. Add [profiles.NAME]" in " ".join(toasts(app).split())
    await inbox.aclose()


async def test_a_profile_that_needs_a_password_is_explained_and_the_inbox_stays(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[profiles.staging]\nurl = "https://staging.example.com"\nemail = "me@example.com"\n')
    config.chmod(0o600)
    inbox = seeded_inbox(tmp_path / "inbox.sqlite3", 5)
    app = inbox_app(inbox, Settings(config_path=config))
    async with run(app) as pilot:
        await settle(pilot)
        first = app.main
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, ProfilePicker)
        assert "● (as started)" in screen_text(app) and "staging" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.main is first and app.screen is first
        assert "A password is needed for me@example.com" in " ".join(toasts(app).split())
    await inbox.aclose()


async def test_a_profile_left_behind_stays_live_and_its_news_says_whose(tmp_path):
    """The second profile's server is an embedded inbox here (the switcher's opener is the seam):
    what arrives there while the first is in front shows as a toast naming it, and is in its list."""
    config = tmp_path / "config.toml"
    config.write_text('[profiles.staging]\nurl = "https://staging.example.com"\ntoken = "x"\n')
    config.chmod(0o600)
    staging_file = tmp_path / "staging.sqlite3"
    await seeded_inbox(staging_file, 3).aclose()  # the file written; the app opens its own connection
    inbox = seeded_inbox(tmp_path / "inbox.sqlite3", 5)
    app = inbox_app(inbox, Settings(config_path=config), live=True)
    app.profiles.opener = lambda settings: EmbeddedBackend(staging_file)
    async with EmbeddedBackend(staging_file) as elsewhere, run(app) as pilot:
        await settle(pilot)
        first = app.main
        await pilot.press("P", "down", "enter")
        await settle(pilot)
        staging_view = app.main
        assert staging_view is not first
        await eventually(lambda: "Watching the file" in screen_text(app), "staging followed")
        await pilot.press("P", "up", "enter")
        await settle(pilot)
        assert app.main is first

        me = (await elsewhere.me()).id
        await elsewhere.create(NotificationDraft(recipient=me, subject="Arrived on staging"))
        await eventually(lambda: "New notification (staging)" in toasts(app), "the toast naming staging")
        assert app.main is first and "Arrived on staging" not in "".join(rows(app))
        await eventually(
            lambda: any(item.subject == "Arrived on staging" for item in staging_view.current_list.cache.loaded()),
            "the new row in staging's list, behind",
        )
    await inbox.aclose()
