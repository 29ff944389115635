"""The unified inbox over two real Directus 12.4.0 servers at once, one of them stopped mid-session.

``work`` is the session's server (``directus``) as its ordinary user, ``staging`` a second server
(``second_directus``) as its own ordinary user. What each server then holds is asked of it
directly, as its admin.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from app import bulk
from app.api.auth import StaticToken
from app.api.rest import RestBackend
from app.cli import main
from app.models import ARCHIVED, DEFAULT_SORT, INBOX, MAX_PAGE, OLDEST_FIRST, Notification, Query
from app.unified import UnifiedBackend, UnifiedLive
from tests.support.directus_server import RunningServer
from tests.support.fault_proxy import DirectAdmin
from tests.support.seeding import remove_rows, server_rows
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually
from tests.unified.conftest import START

pytestmark = pytest.mark.server


def marker() -> str:
    return f"unified-{uuid.uuid4().hex[:10]}"


def backend(server: RunningServer, url: str | None = None) -> RestBackend:
    return RestBackend(url or server.url, StaticToken(server.user.token), timeout=10)


@pytest.fixture
async def admins(directus: RunningServer, second_directus: RunningServer) -> AsyncIterator[dict[str, DirectAdmin]]:
    both = {
        "work": DirectAdmin(directus.url, directus.admin.token),
        "staging": DirectAdmin(second_directus.url, second_directus.admin.token),
    }
    yield both
    for admin in both.values():
        admin.close()


def order(item: Notification, newest_first: bool) -> tuple[float, int]:
    moment = item.timestamp.timestamp() if item.timestamp else 0.0
    return (-moment, -item.id) if newest_first else (moment, item.id)


async def test_every_page_of_two_servers_is_exact_and_costs_a_page(
    directus: RunningServer, second_directus: RunningServer
):
    mark = marker()
    rows = [(START + timedelta(seconds=3 * index), "inbox") for index in range(2500)]
    burst = [(START + timedelta(seconds=4000), "inbox")] * 300  # one millisecond on both servers
    server_rows(directus, directus.user.id, rows + burst, mark)
    server_rows(second_directus, second_directus.user.id, rows[::2] + burst + rows[1::2], mark)
    unified = UnifiedBackend({"work": backend(directus), "staging": backend(second_directus)})
    try:
        query = Query(mine=True, search=mark, limit=-1)
        whole = []
        for name in unified.profiles:
            page = await unified.member(name).list_notifications(query)
            whole += [unified.tag(name, item) for item in page.items]
        for sort in (DEFAULT_SORT, OLDEST_FIRST):
            newest_first = sort == DEFAULT_SORT
            merged = [item.id for item in sorted(whole, key=lambda item: order(item, newest_first))]
            for offset in (0, 2000, 2600, 2700, 5400, len(merged) - 60):
                page = await unified.list_notifications(Query(mine=True, search=mark, sort=sort, offset=offset))
                assert [item.id for item in page.items] == merged[offset : offset + MAX_PAGE], (sort, offset)
                assert page.filter_count == len(merged) == 5600
                assert unified.last_listing.rows <= 12 * MAX_PAGE, unified.last_listing
    finally:
        await unified.aclose()
        remove_rows(directus, mark)
        remove_rows(second_directus, mark)


async def test_an_archive_across_two_servers_is_done_on_each_and_undone(
    directus: RunningServer, second_directus: RunningServer, admins: dict[str, DirectAdmin]
):
    mark = marker()
    work_rows = admins["work"].create(directus.user.id, [f"{mark} w{i}" for i in range(3)])
    staging_rows = admins["staging"].create(second_directus.user.id, [f"{mark} s{i}" for i in range(2)])
    unified = UnifiedBackend({"work": backend(directus), "staging": backend(second_directus)})
    try:
        page = await unified.list_notifications(Query.of_folder(INBOX, search=mark))
        assert page.profile_counts == {"work": 3, "staging": 2}
        keys = [item.id for item in page.items]
        change = await bulk.change_status(unified, keys, ARCHIVED, before=dict.fromkeys(keys, INBOX))
        assert change.complete and unified.tally(change.changed) == {"work": 3, "staging": 2}
        assert set(admins["work"].statuses([row["id"] for row in work_rows]).values()) == {ARCHIVED}
        assert set(admins["staging"].statuses([row["id"] for row in staging_rows]).values()) == {ARCHIVED}

        undone = await bulk.undo(unified, change)
        assert undone.complete
        assert set(admins["work"].statuses([row["id"] for row in work_rows]).values()) == {INBOX}
        assert set(admins["staging"].statuses([row["id"] for row in staging_rows]).values()) == {INBOX}
    finally:
        await unified.aclose()
        admins["work"].delete([row["id"] for row in work_rows])
        admins["staging"].delete([row["id"] for row in staging_rows])


async def test_a_server_stopped_mid_session_is_left_out_named_and_rejoins(
    directus: RunningServer, second_directus: RunningServer, admins: dict[str, DirectAdmin]
):
    mark = marker()
    work_rows = admins["work"].create(directus.user.id, [f"{mark} w{i}" for i in range(2)])
    staging_rows = admins["staging"].create(second_directus.user.id, [f"{mark} s{i}" for i in range(3)])
    work_ids = [row["id"] for row in work_rows]
    unified = UnifiedBackend({"work": backend(directus), "staging": backend(second_directus)}, retry_delays=(0.2, 0.5))
    batches = []
    try:
        async with UnifiedLive(unified, poll_interval=0.5, reconnect_delays=(0.2, 0.5)) as live:

            async def follow() -> None:
                async for batch in live.batches():
                    batches.append(batch)

            following = asyncio.create_task(follow())
            await eventually(lambda: live.state.mode == "live", "both servers followed live")
            page = await unified.list_notifications(Query.of_folder(INBOX, search=mark))
            assert page.profile_counts == {"work": 2, "staging": 3} and page.unreachable == {}

            second_directus.stop()
            await eventually(lambda: live.states["staging"].mode == "offline", "staging seen offline", timeout=20)
            assert live.state.mode == "offline" and "staging" in (live.state.reason or "")
            assert live.states["work"].mode == "live"

            page = await unified.list_notifications(Query.of_folder(INBOX, search=mark))
            assert [item.profile for item in page.items] == ["work", "work"]  # type: ignore[attr-defined]
            assert page.filter_count == 2 and list(page.unreachable) == ["staging"]
            assert "connection refused" in page.unreachable["staging"]
            # Work goes on on the other server, and its events still arrive.
            change = await bulk.change_status(unified, [page.items[0].id], ARCHIVED)
            assert change.complete
            assert admins["work"].statuses([work_rows[-1]["id"]]) == {work_rows[-1]["id"]: ARCHIVED}
            fresh = admins["work"].create(directus.user.id, [f"{mark} while staging is down"])[0]
            work_ids.append(fresh["id"])
            await eventually(
                lambda: any(item.native_id == fresh["id"] for b in batches for item in b.created),  # type: ignore[attr-defined]
                "work's new notification announced while staging is down",
            )

            second_directus.start()
            await eventually(lambda: live.state.mode == "live", "staging rejoined the live inbox", timeout=60)
            page = await unified.list_notifications(Query.of_folder(INBOX, search=mark))
            assert page.unreachable == {} and page.profile_counts == {"work": 2, "staging": 3}  # one archived, one new
            assert sorted(item.native_id for item in page.items if item.profile == "staging") == sorted(  # type: ignore[attr-defined]
                row["id"] for row in staging_rows
            )
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
        recovered = [b.connections for b in batches if b.connections]
        assert any(c["staging"].mode == "offline" for c in recovered) and recovered[-1]["staging"].mode == "live"
    finally:
        if not second_directus.running:
            second_directus.start()
        await unified.aclose()
        admins["work"].delete(work_ids)
        admins["staging"].delete([row["id"] for row in staging_rows])


async def test_a_server_that_stops_answering_costs_the_patience_once(
    directus: RunningServer, second_directus: RunningServer, admins: dict[str, DirectAdmin]
):
    mark = marker()
    work_rows = admins["work"].create(directus.user.id, [f"{mark} w"])
    staging_rows = admins["staging"].create(second_directus.user.id, [f"{mark} s"])
    proxy = await TcpProxy("127.0.0.1", int(second_directus.url.rsplit(":", 1)[1])).start()
    unified = UnifiedBackend(
        {"work": backend(directus), "staging": backend(second_directus, proxy.url)}, patience=1.0, retry_delays=(30, 30)
    )
    try:
        assert (await unified.list_notifications(Query.of_folder(INBOX, search=mark))).filter_count == 2
        proxy.freeze()
        began = time.monotonic()
        page = await unified.list_notifications(Query.of_folder(INBOX, search=mark))
        assert 1.0 <= time.monotonic() - began < 3
        assert page.unreachable == {"staging": "staging: No answer within 1 s."} and page.filter_count == 1
        began = time.monotonic()
        await unified.list_notifications(Query.of_folder(INBOX, search=mark))
        assert time.monotonic() - began < 1.0  # not waited for again until it is due
        await proxy.restore()
        unified.retry_now()
        page = await unified.list_notifications(Query.of_folder(INBOX, search=mark))
        assert page.unreachable == {} and page.filter_count == 2
    finally:
        await unified.aclose()
        await proxy.aclose()
        admins["work"].delete([row["id"] for row in work_rows])
        admins["staging"].delete([row["id"] for row in staging_rows])


def test_the_command_line_over_two_servers(
    directus: RunningServer,
    second_directus: RunningServer,
    admins: dict[str, DirectAdmin],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
):
    mark = marker()
    work_rows = admins["work"].create(directus.user.id, [f"{mark} w"])
    staging_rows = admins["staging"].create(second_directus.user.id, [f"{mark} s"])
    config = tmp_path / "config.toml"
    config.write_text(
        f'unified = ["work", "staging"]\n[profiles.work]\nurl = "{directus.url}"\ntoken = "{directus.user.token}"\n'
        f'[profiles.staging]\nurl = "{second_directus.url}"\ntoken = "{second_directus.user.token}"\n'
    )
    config.chmod(0o600)
    try:
        assert main(["list", "--unified", "--search", mark, "--json", "--config", str(config)]) == 0
        listing = json.loads(capsys.readouterr().out)
        assert [(item["profile"], item["id"]) for item in listing["items"]] == [
            ("staging", staging_rows[0]["id"]),
            ("work", work_rows[0]["id"]),
        ]
        assert listing["profile_counts"] == {"work": 1, "staging": 1} and listing["unreachable"] == {}

        refs = [f"work:{work_rows[0]['id']}", f"staging:{staging_rows[0]['id']}"]
        assert main(["archive", *refs, "--json", "--config", str(config)]) == 0
        assert json.loads(capsys.readouterr().out) == {"updated": refs}
        assert admins["staging"].statuses([staging_rows[0]["id"]]) == {staging_rows[0]["id"]: ARCHIVED}

        second_directus.stop()
        code = main(["list", "--all", "--unified", "--search", mark, "--config", str(config)])
        out, err = capsys.readouterr()
        assert code == 1 and f"work:{work_rows[0]['id']}" in out and "staging:" not in out
        assert "left out: staging: Cannot reach" in err
    finally:
        if not second_directus.running:
            second_directus.start()
        admins["work"].delete([row["id"] for row in work_rows])
        admins["staging"].delete([row["id"] for row in staging_rows])
