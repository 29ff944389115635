"""Demo data for the embedded inbox: a small team and a realistic history of notifications.

Everything is drawn from ``random.Random(42)``, so two seeds of the same size hold the same rows;
only the timestamps move, being relative to the moment of seeding. The newest notification is
always the "mention" example of the Directus API reference, verbatim, so the app opens on it.
"""

from __future__ import annotations

import bisect
import itertools
import random
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from app.embedded.filters import format_timestamp
from app.embedded.schema import INSERT_NOTIFICATION, INSERT_USER, USER_COLUMNS

RANDOM_SEED = 42
T = TypeVar("T")
DAYS = 120
STUDIO = "http://localhost:8055"


@dataclass(frozen=True)
class DemoUser:
    id: str
    first_name: str
    last_name: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _uid(email: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"directus-inbox:embedded:{email}"))


CURRENT_USER = DemoUser("3ee34828-b43c-4fb2-a721-5151579b08ea", "Ada", "Lindqvist", "admin@example.com")
"""The embedded inbox's own user: the reference example's recipient (``admin@example.com``)."""

MENTION_SENDER = DemoUser("497a495e-5529-4e46-8feb-2f35e9b85601", "Rijk", "van Zanten", "rijk@directus.io")
"""The reference example's sender."""

USERS: tuple[DemoUser, ...] = (
    CURRENT_USER,
    MENTION_SENDER,
    DemoUser(_uid("maya.okafor@example.com"), "Maya", "Okafor", "maya.okafor@example.com"),
    DemoUser(_uid("tomas.herrera@example.com"), "Tomás", "Herrera", "tomas.herrera@example.com"),
    DemoUser(_uid("priya.raman@example.com"), "Priya", "Raman", "priya.raman@example.com"),
    DemoUser(_uid("jonas.becker@example.com"), "Jonas", "Becker", "jonas.becker@example.com"),
    DemoUser(_uid("lea.fischer@example.com"), "Léa", "Fischer", "lea.fischer@example.com"),
    DemoUser(_uid("sam.oconnor@example.com"), "Sam", "O'Connor", "sam.oconnor@example.com"),
)

MENTION_EXAMPLE: dict[str, str] = {
    "status": "inbox",
    "recipient": CURRENT_USER.id,
    "sender": MENTION_SENDER.id,
    "subject": "You were mentioned in articles",
    # The reference page's JSON, with its one typo mended: it reads "\n\rijk@directus.io", where
    # the "\r" swallowed the "r" of rijk@directus.io (Directus itself writes a blank line there).
    "message": "\nHello admin@example.com,\n\nrijk@directus.io has mentioned you in a comment:\n\n"
    "> Hello <em>admin@example.com</em>!\n\n"
    '<a href="http://localhost:8080/admin/content/articles/1">Click here to view.</a>\n',
    "collection": "articles",
    "item": "1",
}

# --- the material the messages are made of -----------------------------------------------------

TITLES: dict[str, tuple[str, ...]] = {
    "articles": (
        "Spring launch recap",
        "How we cut build times in half",
        "Designing for dark mode",
        "A field guide to content modelling",
        "Why we moved to headless",
        "Accessibility audit: what we learned",
        "Ten tips for better alt text",
        "Release notes 4.2",
        "Behind the scenes: the photo shoot",
        "Interview with our new CTO",
        "Writing microcopy that helps",
        "The state of our API",
        "Customer story: Northwind Traders",
        "Migrating 40,000 images",
        "Our remote work handbook",
    ),
    "pages": (
        "Home",
        "Pricing",
        "About us",
        "Careers",
        "Contact",
        "Privacy policy",
        "Terms of service",
        "Press kit",
        "Partners",
        "Support",
    ),
    "products": (
        "Aurora desk lamp",
        "Nimbus backpack",
        "Fjord wool blanket",
        "Atlas notebook (A5, dotted)",
        "Ember pour-over kettle",
        "Tidal water bottle",
        "Summit rain jacket",
        "Orbit wireless charger",
        "Cedar cutting board",
        "Lumen bike light",
    ),
    "events": (
        "Directus meetup Berlin",
        "Quarterly planning",
        "Webinar: content modelling 101",
        "Design review",
        "Launch party",
        "Customer advisory board",
        "All-hands",
        "Hack week demo day",
    ),
}

FILES = (
    "hero-banner.jpg",
    "q3-report.pdf",
    "team-photo-2026.png",
    "brand-guidelines.pdf",
    "product-shot-aurora.webp",
    "pricing-table.xlsx",
    "launch-video.mp4",
    "press-release.docx",
    "logo-dark.svg",
    "event-floorplan.pdf",
)
FOLDERS = ("Marketing", "Product shots", "Press", "Events", "Brand")

COMMENTS = (
    "Could you double-check the numbers in the second paragraph?",
    "Love the new intro. Can we ship this on Friday?",
    "The hero image feels a bit dark on mobile.",
    "I think we should link to the changelog here.",
    "This is ready from my side, over to you!",
    "Can you add a short summary for the newsletter?",
    "The price in the table doesn't match the product page.",
    'Nice work. One typo: "recieve" in the last section.',
)

ERRORS = (
    'ValidationError: field "seo_title" is required',
    'FORBIDDEN: the publishing role may not update "status"',
    "TimeoutError: webhook https://hooks.example.com/deploy did not answer in 30 s",
    'INVALID_FOREIGN_KEY: author "a5c1" does not exist',
)

FLOWS = ("Sync to search index", "Send weekly digest", "Resize uploaded images", "Post to Slack")
PLACES = ("Berlin, Kulturbrauerei", "Online (Zoom)", "Amsterdam office", "Room 3.14")


def _link(collection: str, item: str, label: str = "Open in Directus") -> str:
    return f'<a href="{STUDIO}/admin/content/{collection}/{item}">{label}</a>'


Kind = tuple[str, str, str | None, str | None, bool]
"""What each kind of demo notification draws: (subject, message, collection, item, is_system)."""

Row = tuple[str, str, str, str | None, str, str, str | None, str | None]
"""One demo row, the values of ``schema.INSERTED_COLUMNS``: (timestamp, status, recipient, sender,
subject, message, collection, item)."""


class _Generator:
    """Draws one notification after another; all randomness comes from one ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random
        self.others = [user for user in USERS if user.id != CURRENT_USER.id]
        self.kinds = (
            (self.mention, 14),
            (self.review_requested, 12),
            (self.comment, 14),
            (self.publish_failed, 6),
            (self.approved, 8),
            (self.changes_requested, 7),
            (self.file_uploaded, 8),
            (self.import_finished, 4),
            (self.export_ready, 4),
            (self.assigned, 8),
            (self.event_reminder, 5),
            (self.flow_failed, 4),
            (self.low_stock, 6),
        )
        self.kind_functions = [kind for kind, _ in self.kinds]
        self.kind_cum_weights = list(itertools.accumulate(weight for _, weight in self.kinds))
        self.kind_total = self.kind_cum_weights[-1]
        self.senders = {user.id: [other for other in USERS if other.id != user.id] for user in USERS}

    def pick(self, options: Sequence[T]) -> T:
        """``rng.choice``, a few times faster (100,000 rows draw about a million of these)."""
        return options[int(self.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        """``rng.randint``, faster."""
        return low + int(self.random() * (high - low + 1))

    def _item(self, collection: str | None = None) -> tuple[str, str, str]:
        collection = collection or self.pick(("articles", "articles", "pages", "products", "events"))
        title = self.pick(TITLES[collection])
        return collection, str(self.between(1, 480)), title

    def _file(self) -> tuple[str, str]:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), self.pick(FILES)

    def mention(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection, item, _title = self._item()
        comment = self.pick(COMMENTS)
        message = (
            f"\nHello {recipient.email},\n\n{sender.email} has mentioned you in a comment:\n\n"
            f"> Hey <em>@{recipient.first_name}</em>, {comment}\n\n"
            f"{_link(collection, item, 'Click here to view.')}\n"
        )
        return f"You were mentioned in {collection}", message, collection, item, False

    def review_requested(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection, item, title = self._item()
        changed = self.between(2, 14)
        due = self.pick(("today", "tomorrow", "Friday", "next Monday"))
        message = (
            f"## Review requested\n\n**{sender.name}** asked you to review *{title}* before it goes live.\n\n"
            f"- Status: <strong>Draft</strong> → <strong>In review</strong>\n"
            f"- Fields changed: {changed}\n- Due: {due}\n\n{_link(collection, item)}\n"
        )
        return f"Review requested: {title}", message, collection, item, False

    def comment(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection, item, title = self._item()
        comment = self.pick(COMMENTS)
        message = (
            f"{sender.first_name} commented on **{title}**:\n\n> {comment}\n\n"
            f"{_link(collection, item, 'Reply in Directus')}\n"
        )
        return f"Comment on {title}", message, collection, item, False

    def publish_failed(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection, item, title = self._item(self.pick(("articles", "pages")))
        hour = self.between(6, 22)
        message = (
            f"### Scheduled publish failed\n\nThe item **{title}** (`{collection}/{item}`) was due to go "
            f"live at {hour:02d}:00 UTC, but the flow stopped with an error:\n\n"
            f"```\n{self.pick(ERRORS)}\n```\n\n"
            f"Fix the item, then publish it by hand or <em>reschedule</em> it.\n\n{_link(collection, item)}\n"
        )
        return "Scheduled publish failed", message, collection, item, True

    def approved(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection, item, title = self._item()
        message = (
            f"<strong>{sender.name}</strong> approved <em>{title}</em>. "
            "It goes live with the next deploy.\n\n"
            "1. Copy check ✅\n2. SEO fields ✅\n3. Images and alt text ✅\n\n"
            f"{_link(collection, item)}\n"
        )
        return f"Approved: {title}", message, collection, item, False

    def changes_requested(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection, item, title = self._item()
        todo = self.rng.sample(
            (
                "Shorten the intro",
                "Add a call to action",
                "Replace the stock photo",
                "Check the links",
                "Fix the heading levels",
                "Add the author bio",
            ),
            3,
        )
        items = "\n".join(f"- [ ] {line}" for line in todo)
        message = (
            f"#### Changes requested\n\n{sender.first_name} reviewed **{title}** and asked for changes:\n\n"
            f"{items}\n\n{_link(collection, item)}\n"
        )
        return f"Changes requested on {title}", message, collection, item, False

    def file_uploaded(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        file_id, name = self._file()
        folder = self.pick(FOLDERS)
        size = self.between(1, 480) / 10
        message = (
            f"**{sender.name}** uploaded `{name}` ({size:.1f} MB) to the *{folder}* folder.\n\n"
            f'<a href="{STUDIO}/admin/files/{file_id}">Preview the file</a>\n'
        )
        return f"New file in {folder}: {name}", message, "directus_files", file_id, False

    def import_finished(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection = self.pick(("products", "articles", "events"))
        created, updated, skipped = self.between(10, 900), self.between(0, 300), self.between(0, 12)
        total = created + updated + skipped
        message = (
            f"Your CSV import into `{collection}` finished.\n\n| Result | Items |\n|---|---:|\n"
            f"| Created | {created} |\n| Updated | {updated} |\n| Skipped | {skipped} |\n\n"
            + ("Skipped rows had an empty <code>title</code>.\n" if skipped else "No rows were skipped.\n")
        )
        return f"Import finished: {total:,} {collection}", message, collection, None, True

    def export_ready(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection = self.pick(("products", "articles", "pages", "events"))
        file_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        count = self.between(20, 5000)
        message = (
            f"The export of **{collection}** ({count:,} items) is ready.\n\n"
            f'<a href="{STUDIO}/assets/{file_id}?download">Download {collection}.csv</a>\n\n'
            "_The link expires in 7 days._\n"
        )
        return "Your export is ready", message, "directus_files", file_id, True

    def assigned(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        collection, item, title = self._item()
        message = (
            f"{sender.first_name} assigned **{title}** to you.\n\n"
            f"> {self.pick(COMMENTS)}\n\n{_link(collection, item)}\n"
        )
        return f"Assigned to you: {title}", message, collection, item, False

    def event_reminder(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        _, item, title = self._item("events")
        hour = self.pick((9, 10, 14, 16, 18))
        message = (
            f"#### {title}\n\n📅 Tomorrow, {hour:02d}:00 · 📍 {self.pick(PLACES)}\n\n"
            "You are listed as <strong>host</strong>. The agenda is in the item.\n\n"
            f"{_link('events', item, 'See the event')}\n"
        )
        return f"Reminder: {title} starts tomorrow", message, "events", item, True

    def flow_failed(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        flow = self.pick(FLOWS)
        status = self.pick((500, 502, 503, 429))
        message = (
            f"The flow **{flow}** failed on its last run.\n\n```json\n"
            f'{{"operation": "request", "status": {status}, "retry": false}}\n```\n\n'
            f'<a href="{STUDIO}/admin/settings/flows">Open the flow logs</a>\n'
        )
        return f"Flow failed: {flow}", message, None, None, True

    def low_stock(self, recipient: DemoUser, sender: DemoUser) -> Kind:
        _, item, title = self._item("products")
        left = self.between(0, 9)
        sku = f"SKU-{self.between(1000, 9999)}"
        message = (
            f"Only **{left}** left of *{title}* (`{sku}`).\n\n"
            "- Reorder point: 10\n- Supplier lead time: 6 days\n\n"
            f"{_link('products', item, 'Update the stock')}\n"
        )
        return f"Low stock: {title}", message, "products", item, True

    def draw(self) -> tuple[str, str | None, str, str, str | None, str | None]:
        """(recipient, sender, subject, message, collection, item) of one notification."""
        random = self.random
        recipient = CURRENT_USER if random() < 0.88 else self.pick(self.others)
        sender = self.pick(self.senders[recipient.id])
        kind = self.kind_functions[bisect.bisect(self.kind_cum_weights, random() * self.kind_total)]
        subject, message, collection, item, is_system = kind(recipient, sender)
        return recipient.id, None if is_system else sender.id, subject, message, collection, item


class _Timestamps:
    """``format_timestamp(now - age)``, fast enough for 100,000 rows (dates are cached)."""

    def __init__(self, now: datetime) -> None:
        self.now_ms = int((now - _EPOCH) / timedelta(milliseconds=1))
        self.dates: dict[int, str] = {}

    def before(self, age_seconds: float) -> str:
        day, ms = divmod(self.now_ms - int(age_seconds * 1000), 86_400_000)
        date = self.dates.get(day)
        if date is None:
            date = self.dates[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
        seconds, millis = divmod(ms, 1000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return f"{date}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def generate(count: int, now: datetime | None = None) -> list[Row]:
    """``count`` notification rows, oldest first, the reference mention example last (newest)."""
    if count <= 0:
        return []
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(RANDOM_SEED)
    generator = _Generator(rng)
    # Ages between five minutes and DAYS days, denser towards now (the square of a uniform draw).
    ages = sorted((300 + (DAYS * 86400 - 300) * rng.random() ** 2 for _ in range(count - 1)), reverse=True)
    stamp = _Timestamps(now)
    rows: list[Row] = []
    for age in ages:
        recipient, sender, subject, message, collection, item = generator.draw()
        archived_chance = 0.08 + 0.36 * (age / (DAYS * 86400))  # older ones are archived more often
        status = "archived" if rng.random() < archived_chance else "inbox"
        rows.append((stamp.before(age), status, recipient, sender, subject, message, collection, item))
    example = MENTION_EXAMPLE
    rows.append(
        (
            format_timestamp(now),
            example["status"],
            example["recipient"],
            example["sender"],
            example["subject"],
            example["message"],
            example["collection"],
            example["item"],
        )
    )
    return rows


def insert_users(conn: sqlite3.Connection, users: tuple[DemoUser, ...] = USERS) -> None:
    conn.executemany(INSERT_USER, [tuple(getattr(user, column) for column in USER_COLUMNS) for user in users])


def seed(conn: sqlite3.Connection, count: int, now: datetime | None = None) -> int:
    """Insert the demo users and ``count`` notifications; the caller holds the transaction."""
    insert_users(conn)
    rows = generate(count, now)
    conn.executemany(INSERT_NOTIFICATION, rows)
    return len(rows)
