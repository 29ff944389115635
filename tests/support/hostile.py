"""A corpus of hostile notifications: what a sender (or a server) can put in front of our reader.

Each ``HostileCase`` has the fields to create it with (``body(recipient)`` gives the whole create
request), what must never reach the output (``never``: every unsafe character the case holds,
such as the raw ESC byte, and what ``forbid`` adds, such as a Markdown link to ``javascript:``),
and text that must be shown literally (``shown``: markup is text, not acted on). Any output
should also pass ``unsafe_characters(output) == []``. ``stored`` records what the real server
keeps when that is not what was sent (measured on Directus 12.4.0). Cases about users (``sender``, ``sender_deleted``,
``recipient_deleted``) need a user made for them; ``tests/test_hostile_content.py`` shows how.

Measured on Directus 12.4.0 (REST, JSON): every C0 and C1 control, DEL, bidi and zero-width
character was stored exactly as sent (none was dropped, unlike the note in directus-facts.md);
a lone surrogate is stored as U+FFFD; a request body of exactly 1 MiB (1,048,576 bytes) is
accepted and one byte more is refused; deleting a user sets ``sender`` to null on what they
sent and deletes what they received; a sender or recipient id that is no user is refused
(INVALID_FOREIGN_KEY). Ids above 2**53 lose precision in the server's JSON, so the corpus stays
below (``huge-id`` is the largest a PostgreSQL Directus can hold).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

PAYLOAD_LIMIT = 1_048_576
"""Directus's default MAX_PAYLOAD_SIZE ("1mb"), in bytes of request body."""

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
C0 = "".join(chr(code) for code in range(0x20) if chr(code) not in "\t\n") + "\x7f"
C1 = "".join(chr(code) for code in range(0x80, 0xA0))

# What must never reach a terminal from the server's content: C0 controls but tab and newline
# (so ESC, BEL, backspace, carriage return), DEL, C1 controls (8-bit CSI/OSC/DCS), bidi controls
# and marks, zero-width characters, line/paragraph separators, and lone surrogates.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200c\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]"
)


def unsafe_characters(text: str) -> list[str]:
    """The unsafe characters in *text* (empty when it may be written to a terminal)."""
    return sorted({match.group() for match in UNSAFE.finditer(text)})


@dataclass(frozen=True)
class HostileCase:
    name: str
    fields: dict[str, Any]
    """subject, message, collection, item, status or id: what the notification is created with."""
    why: str
    forbid: tuple[str, ...] = ()
    """Text that must never appear in what the user sees, besides the case's unsafe characters."""
    shown: tuple[str, ...] = ()
    """Text that must appear, literally: markup shown as written, not acted on."""
    stored: dict[str, Any] = field(default_factory=dict)
    """Fields the server stores differently from what was sent (measured)."""
    sender: dict[str, str] | None = None
    """A user to create as the sender, with these fields (first_name, last_name)."""
    sender_deleted: bool = False
    """The sender is deleted once the notification exists (the server then nulls ``sender``)."""
    recipient_deleted: bool = False
    """The recipient is a user deleted once the notification exists (the server deletes it too)."""
    fill_to: int | None = None
    """Pad the message so the create request's JSON body is exactly this many bytes."""

    @property
    def never(self) -> tuple[str, ...]:
        """What must never appear in the output: ``forbid``, and every unsafe character the case holds."""
        texts = [str(value) for value in self.fields.values()] + list((self.sender or {}).values())
        return self.forbid + tuple(unsafe_characters("".join(texts)))

    def body(self, recipient: str, sender: str | None = None) -> dict[str, Any]:
        """The whole create request (sent as ``json.dumps(body)``)."""
        body: dict[str, Any] = {"recipient": recipient, **self.fields}
        if sender is not None:
            body["sender"] = sender
        if self.fill_to is not None:
            body["message"] = ""
            room = self.fill_to - len(json.dumps(body).encode())
            body["message"] = (FILLER * (room // len(FILLER) + 1))[:room]
        return body

    def expected_stored(self, body: dict[str, Any]) -> dict[str, Any]:
        """The fields of *body* as the server keeps them."""
        return {key: self.stored.get(key, value) for key, value in body.items()}


FILLER = "All work and no play makes a message at the payload limit. "
DEEP = 10_000
JS = "javascript:alert(document.cookie)"


def case(name: str, why: str, **fields: Any) -> HostileCase:
    return HostileCase(name=name, why=why, fields=fields)


CASES: list[HostileCase] = [
    # --- Rich and Textual markup: shown as written, never interpreted ---------------------------
    HostileCase(
        "rich-markup",
        {"subject": "[bold red]ALERT[/bold red] [link=https://evil.example]click[/link]", "message": "[blink]x[/]"},
        "Rich markup styling and a link",
        shown=("[bold red]ALERT[/bold red]", "[link=https://evil.example]click[/link]"),
    ),
    HostileCase(
        "textual-action",
        {"subject": "[@click=app.quit]Open me[/]", "message": "[@click=screen.dismiss]Reply[/] [@click=app.bell]"},
        "a Textual action that would run on a click",
        shown=("[@click=app.quit]Open me[/]",),
    ),
    HostileCase(
        "unbalanced-markup",
        {"subject": "[/] closing [/bold] tags [/link]", "message": "[/]\n\n[/bold]"},
        "closing tags without an opening one make Rich's markup parser raise",
        shown=("[/] closing [/bold] tags [/link]",),
    ),
    HostileCase(
        "textual-variables",
        {"subject": "[$error]$accent[/] [on $primary]x[/]", "message": "$text $background"},
        "Textual content markup variables",
        shown=("[$error]$accent[/]",),
    ),
    HostileCase(
        "rich-emoji-codes",
        {"subject": ":warning: :skull: Server :fire:", "message": ":smiley:"},
        "Rich replaces :name: with an emoji in markup",
        shown=(":warning: :skull: Server :fire:",),
    ),
    # --- escape and control sequences ------------------------------------------------------------
    case("csi-clear-screen", "clears the screen and homes the cursor", subject=f"{ESC}[2J{ESC}[HYou were hacked"),
    case(
        "csi-colours",
        "SGR colours that bleed into what follows",
        subject=f"{ESC}[31;1mred{ESC}[0m",
        message=f"{ESC}[8mhidden",
    ),
    case(
        "csi-cursor-movement",
        "moves up and erases the line above (hides the previous row)",
        subject=f"{ESC}[1A{ESC}[2K{ESC}[1A{ESC}[2Kerased",
    ),
    case(
        "osc-0-title", "sets the terminal title", subject=f"{ESC}]0;sudo password:{BEL}Title", message=f"{ESC}]2;x{ST}"
    ),
    case(
        "osc-8-hyperlink",
        "a terminal hyperlink whose target differs from its text",
        subject=f"{ESC}]8;;https://evil.example{ST}https://bank.example{ESC}]8;;{ST}",
    ),
    case(
        "osc-52-clipboard",
        "writes the clipboard (rm -rf ~)",
        subject=f"Copy{ESC}]52;c;cm0gLXJmIH4K{BEL} me",
        message=f"{ESC}]52;p;cm0gLXJmIH4K{ST}",
    ),
    case(
        "dcs", "a device control string (XTGETTCAP query)", subject=f"{ESC}P+q544e{ST}DCS", message=f"{ESC}P1$r0m{ST}"
    ),
    case("c1-csi", "8-bit CSI (U+009B)", subject="\x9b31mred\x9b0m", message="\x9b2J"),
    case(
        "c1-osc",
        "8-bit OSC and ST (U+009D, U+009C)",
        subject="\x9d0;title\x9cTitle",
        message="\x9d52;c;cm0gLXJmIH4K\x9c",
    ),
    case("c1-all", "every C1 control", subject=f"C1 {C1} end", message=C1),
    case("c0-all", "every C0 control but tab and newline, and DEL", subject=f"C0 {C0} end", message=C0),
    case("bel", "rings the bell", subject=f"ding{BEL * 5}", message=BEL * 20),
    case(
        "backspace-overwrite",
        "backspaces rewrite what was shown",
        subject="Meeting at 10\b\b11",
        message="safe\b\b\b\bEVIL",
    ),
    case(
        "carriage-return-overwrite",
        "a CR rewrites the line from its start",
        subject="Invoice paid\rInvoice UNPAID",
        message="Total: 10 EUR\rTotal: 9999 EUR",
    ),
    case(
        "unterminated-osc",
        "an OSC never terminated swallows the rest of the output",
        subject=f"Hello {ESC}]52;c;AAAA",
        message=f"first line{ESC}]0;\nsecond line",
    ),
    case(
        "escapes-in-collection-and-item",
        "the Data Studio reference carries escapes too",
        subject="Reference",
        collection=f"{ESC}[2Jposts",
        item=f"1{ESC}]0;t{BEL}",
    ),
    case("nul-byte", "a NUL in text", subject="before\x00after", message="a\x00b"),
    case("form-feed-vertical-tab", "page and line feeds", subject="a\x0cb\x0bc", message="\x0c\x0b"),
    # --- bidi, zero-width, wide and combining characters ----------------------------------------
    case(
        "bidi-override",
        "right-to-left override reverses what follows",
        subject="invoice\u202efdp.exe",
        message="\u202dLTR\u202c",
    ),
    case("bidi-isolates", "bidi isolates", subject="\u2066a\u2067b\u2068c\u2069d", message="\u2067\u2069"),
    case("bidi-marks", "invisible direction marks", subject="\u200eleft\u200fright\u061carabic", message="\u200f"),
    case(
        "zero-width",
        "zero-width characters split and hide words",
        subject="pay\u200bpal\u200c ad\u2060min\ufeff",
        message="\ufeff",
    ),
    case(
        "line-separators",
        "Unicode line and paragraph separators",
        subject="one\u2028two\u2029three",
        message="a\u2028b",
    ),
    HostileCase(
        "zwj-emoji",
        {"subject": "Family 👨\u200d👩\u200d👧 and flag 🏳\ufe0f\u200d🌈", "message": "👩🏽\u200d💻"},
        "a joiner inside emoji is kept whole",
        shown=("👨\u200d👩\u200d👧",),
    ),
    case("wide-cjk", "double-width characters", subject="通知の件名" * 12, message="漢字テキスト" * 200),
    case("wide-emoji", "double-width emoji", subject="🔥" * 60, message="🚀" * 500),
    case(
        "combining-marks",
        "a letter with 100 combining marks",
        subject="Z" + "\u0336\u0301\u0308" * 33 + "algo",
        message="e" + "\u0301" * 300,
    ),
    HostileCase(
        "lone-surrogate",
        {"subject": "\ud800lone", "message": "x\udfff"},
        "a lone surrogate cannot be written to a UTF-8 terminal",
        stored={"subject": "\ufffdlone", "message": "x\ufffd"},
    ),
    case("noncharacters", "Unicode noncharacters", subject="\ufffe\uffff end", message="\U0010ffff"),
    # --- size -----------------------------------------------------------------------------------
    HostileCase(
        "payload-limit",
        {"subject": "A message at the payload limit"},
        "the create request is exactly the server's MAX_PAYLOAD_SIZE (1 MiB)",
        fill_to=PAYLOAD_LIMIT,
    ),
    case("long-subject", "a subject of 255 characters ending wide", subject="x" * 253 + "通"),
    case("one-long-word", "100,000 characters with no space to wrap at", subject="word", message="a" * 100_000),
    case("many-lines", "20,000 lines", subject="lines", message="line\n" * 20_000),
    # --- HTML and links -------------------------------------------------------------------------
    case(
        "html-nested-deep",
        f"HTML nested {DEEP:,} deep",
        subject="deep",
        message="<div>" * DEEP + "bottom" + "</div>" * DEEP,
    ),
    case(
        "markdown-nested-deep",
        "Markdown quotes and lists nested 5,000 deep",
        subject="deep md",
        message="> " * 5000 + "x\n\n" + "- " * 5000 + "y",
    ),
    HostileCase(
        "script-style-iframe-img",
        {
            "subject": "<script>alert(1)</script>",
            "message": "<script>alert(1)</script><style>*{display:none}</style>"
            '<iframe src="https://evil.example"></iframe><img src=x onerror="alert(2)">'
            '<svg onload="alert(3)"></svg><object data="https://evil.example/x.swf"></object>',
        },
        "active HTML: script, style, iframe, img with onerror, svg, object",
    ),
    HostileCase(
        "javascript-links",
        {
            "subject": "links",
            "message": f'[click]({JS}) <a href="{JS}">here</a> <a href="JaVaScRiPt:alert(1)">x</a> '
            "[t](java\tscript:alert(1)) [e](java&#x09;script:alert(1)) [r][1]\n\n[1]: javascript:alert(1)",
        },
        "javascript: links, also in odd case, split by a tab, an entity or a reference",
        forbid=("](javascript:", "](JaVaScRiPt:", 'href="javascript:'),
    ),
    HostileCase(
        "data-links",
        {
            "subject": "data",
            "message": "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) "
            "<a href='data:text/html,<script>alert(1)</script>'>d</a> ![img](data:image/svg+xml,<svg onload=alert(1)>)",
        },
        "data: links and images",
        forbid=("](data:", "href='data:"),
    ),
    HostileCase(
        "link-text-spoofing",
        {
            "subject": "spoof",
            "message": "[https://bank.example](https://evil.example) <https://evil.example@bank.example>",
        },
        "a link whose text is another URL: the real target must be shown",
        shown=("evil.example",),
    ),
    HostileCase(
        "tracking-image",
        {
            "subject": "pixel",
            "message": "![logo](https://evil.example/track.png?u=1) <img src='https://evil.example/p.gif'>",
        },
        "remote images (tracking pixels)",
    ),
    HostileCase(
        "entities-decoding-to-controls",
        {"subject": "&#27;[2J&#x1b;]0;t&#7;", "message": "&#27;[2J &#x1b;]52;c;cm0gLXJmIH4K&#7; &#x9b;31m &#8238;rtl"},
        "HTML entities that decode to ESC, BEL, CSI and RLO",
        forbid=(ESC, BEL, "\x9b", "\u202e"),
    ),
    # --- statuses and ids -----------------------------------------------------------------------
    case("unknown-status", "a status no tab is named for", subject="Read it", status="read"),
    HostileCase(
        "status-markup-and-escapes",
        {"subject": "odd status", "status": f"[bold]x[/]{ESC}[5m"},
        "markup and an escape in the status",
    ),
    case("huge-id", "the largest id a PostgreSQL Directus holds (int4)", id=2**31 - 1, subject="huge id"),
    case("huge-item", "a 400-digit item id", subject="huge item", collection="directus_users", item="9" * 400),
    case(
        "item-path-injection",
        "a collection and item that try to escape the Data Studio link",
        subject="path",
        collection="../../admin/settings",
        item="1?x=1#/../../users",
    ),
    # --- senders and recipients -----------------------------------------------------------------
    HostileCase(
        "sender-name-escapes",
        {"subject": "from Eve"},
        "a sender whose name holds escapes, markup and an override",
        sender={"first_name": f"{ESC}]0;owned{BEL}[@click=app.quit]Eve[/]", "last_name": "\u202eevil\x9b2J"},
        shown=("[@click=app.quit]Eve[/]",),
    ),
    HostileCase(
        "sender-deleted",
        {"subject": "from someone who left"},
        "the sender's user was deleted (the server then nulls sender)",
        sender={"first_name": "Gone", "last_name": "Sender"},
        sender_deleted=True,
        stored={"sender": None},
    ),
    HostileCase(
        "recipient-deleted",
        {"subject": "to someone who left"},
        "the recipient's user was deleted (the server deletes the notification with them)",
        recipient_deleted=True,
    ),
]

BY_NAME = {hostile.name: hostile for hostile in CASES}
assert len(BY_NAME) == len(CASES), "case names are unique"
