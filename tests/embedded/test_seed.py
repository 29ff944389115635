"""The demo data: the reference mention example on top, a realistic mix below, always the same."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from app.embedded import EmbeddedBackend
from app.embedded import seed as demo
from app.models import Notification, Query

# The example object of the Directus API reference (seeds/notifications-api.md), as printed there.
REFERENCE_EXAMPLE = json.loads(r"""{
	"id": 2,
	"timestamp": "2021-11-24T13:57:35Z",
	"status": "inbox",
	"recipient": "3EE34828-B43C-4FB2-A721-5151579B08EA",
	"sender": "497a495e-5529-4e46-8feb-2f35e9b85601",
	"subject": "You were mentioned in articles",
	"message": "\nHello admin@example.com,\n\rijk@directus.io has mentioned you in a comment:\n\n> Hello <em>admin@example.com</em>!\n\n<a href=\"http://localhost:8080/admin/content/articles/1\">Click here to view.</a>\n",
	"collection": "articles",
	"item": "1"
}""")

NOW = datetime(2026, 11, 22, 15, 4, 5, 123000, tzinfo=UTC)
COLUMNS = ("timestamp", "status", "recipient", "sender", "subject", "message", "collection", "item")


def as_dicts(rows):
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


@pytest.fixture(scope="module")
def rows():
    return as_dicts(demo.generate(3000, NOW))


def test_the_mention_example_is_the_reference_one_with_its_typo_mended():
    for key in ("status", "subject", "collection", "item"):
        assert demo.MENTION_EXAMPLE[key] == REFERENCE_EXAMPLE[key]
    assert demo.MENTION_EXAMPLE["message"] == REFERENCE_EXAMPLE["message"].replace("\n\rijk", "\n\nrijk")
    assert demo.MENTION_EXAMPLE["recipient"] == REFERENCE_EXAMPLE["recipient"].lower() == demo.CURRENT_USER.id
    assert demo.MENTION_EXAMPLE["sender"] == REFERENCE_EXAMPLE["sender"] == demo.MENTION_SENDER.id


def test_the_mention_example_is_the_newest(rows):
    newest = rows[-1]
    assert newest["subject"] == "You were mentioned in articles"
    assert newest["message"] == demo.MENTION_EXAMPLE["message"]
    assert (newest["collection"], newest["item"], newest["status"]) == ("articles", "1", "inbox")
    assert newest["timestamp"] == "2026-11-22T15:04:05.123Z"
    assert all(row["timestamp"] < newest["timestamp"] for row in rows[:-1])


async def test_the_app_opens_on_the_mention_example(tmp_path):
    inbox = EmbeddedBackend(tmp_path / "demo.sqlite3", seed=40)
    try:
        page = await inbox.list_notifications(Query(status="inbox", mine=True))
        first = page.items[0]
        assert first.subject == REFERENCE_EXAMPLE["subject"] and first.message == demo.MENTION_EXAMPLE["message"]
        assert first.id == 40 and first.sender == demo.MENTION_SENDER.id
        assert page.total_count == 40
    finally:
        await inbox.aclose()


def test_users():
    assert len(demo.USERS) == 8
    assert demo.CURRENT_USER in demo.USERS and demo.MENTION_SENDER in demo.USERS
    assert len({user.id for user in demo.USERS}) == 8 and len({user.email for user in demo.USERS}) == 8
    for user in demo.USERS:
        assert str(uuid.UUID(user.id)) == user.id
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", user.email)
        assert user.first_name and user.last_name


def test_counts_and_mix(rows):
    assert len(rows) == 3000
    statuses = Counter(row["status"] for row in rows)
    assert set(statuses) == {"inbox", "archived"}
    assert 0.15 <= statuses["archived"] / len(rows) <= 0.25
    recipients = Counter(row["recipient"] for row in rows)
    assert 0.8 <= recipients[demo.CURRENT_USER.id] / len(rows) <= 0.95
    assert len(recipients) >= 5  # a few for each of the others, so "mine" means something
    system = sum(row["sender"] is None for row in rows)
    assert 0.15 <= system / len(rows) <= 0.45
    assert all(row["sender"] != row["recipient"] for row in rows)
    known = {user.id for user in demo.USERS}
    assert {row["recipient"] for row in rows} <= known
    assert {row["sender"] for row in rows} - {None} <= known
    collections = Counter(row["collection"] for row in rows)
    assert {"articles", "pages", "products", "events", "directus_files"} <= set(collections)
    subjects = " | ".join(row["subject"] for row in rows)
    for phrase in (
        "You were mentioned in articles",
        "Review requested: ",
        "Comment on ",
        "Scheduled publish failed",
        "New file in ",
        "Your export is ready",
    ):
        assert phrase in subjects


def test_messages_mix_markdown_and_html(rows):
    messages = "\n".join(row["message"] for row in rows)
    for marker in ("## ", "### ", "\n> ", "\n- ", "\n1. ", "<em>", "<strong>", '<a href="', "```", "`", "**", "| "):
        assert marker in messages, marker
    assert all(row["message"] for row in rows)


def test_timestamps_span_four_months_denser_recently(rows):
    moments = [datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")) for row in rows]
    assert moments == sorted(moments)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["timestamp"]) for row in rows)
    ages = [(NOW - moment) / timedelta(days=1) for moment in moments]
    assert min(ages) == 0 and max(ages) <= demo.DAYS and max(ages) > demo.DAYS - 10
    recent = sum(age <= 30 for age in ages)
    oldest = sum(age > 90 for age in ages)
    assert recent > 2 * oldest


def test_deterministic_apart_from_the_clock():
    later = NOW + timedelta(days=3, hours=5, milliseconds=7)
    first, second = demo.generate(500, NOW), demo.generate(500, later)
    assert [row[1:] for row in first] == [row[1:] for row in second]
    shift = {
        datetime.fromisoformat(b[0].replace("Z", "+00:00")) - datetime.fromisoformat(a[0].replace("Z", "+00:00"))
        for a, b in zip(first, second, strict=True)
    }
    assert shift == {later - NOW}
    assert demo.generate(500, NOW) == first


def test_small_sizes():
    assert demo.generate(0, NOW) == []
    only = demo.generate(1, NOW)
    assert len(only) == 1 and only[0][4] == "You were mentioned in articles"


async def test_seed_zero_is_users_only(tmp_path):
    inbox = EmbeddedBackend(tmp_path / "empty.sqlite3", seed=0)
    try:
        assert (await inbox.list_notifications(Query())).total_count == 0
        assert len(await inbox.users()) == len(demo.USERS)
    finally:
        await inbox.aclose()


async def test_seeded_rows_are_valid_notifications(tmp_path):
    inbox = EmbeddedBackend(tmp_path / "demo.sqlite3", seed=300)
    try:
        page = await inbox.list_notifications(Query(limit=-1, sort=("id",)))
        assert page.total_count == 300 and [item.id for item in page.items] == list(range(1, 301))
        assert all(isinstance(item, Notification) and item.timestamp is not None for item in page.items)
        mine = await inbox.list_notifications(Query(mine=True, limit=1))
        assert 0 < mine.filter_count < 300
    finally:
        await inbox.aclose()


async def test_one_hundred_thousand_seed_quickly(tmp_path):
    started = time.perf_counter()
    inbox = EmbeddedBackend(tmp_path / "big.sqlite3", seed=100_000)
    try:
        await inbox.prepare()
        seconds = time.perf_counter() - started
        page = await inbox.list_notifications(Query(status="inbox", mine=True))
        assert page.total_count == 100_000
        assert page.items[0].subject == "You were mentioned in articles" and len(page.items) == 100
        # A generous bound (a few seconds on an idle machine): catches a quadratic slip, not noise.
        assert seconds < 60
    finally:
        await inbox.aclose()
