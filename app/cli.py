"""The ``directus-inbox`` command: the TUI with no subcommand, and scriptable subcommands.

Usage::

    directus-inbox [CONNECTION]                       open the inbox (TUI)
    directus-inbox list [--archived | --status S | --all | --snoozed] [--search S] [--from USER]
                        [--collection NAME] [--since WHEN] [--until WHEN] [--view NAME]
                        [--limit N] [--offset N] [--json]
    directus-inbox show ID [--json]
    directus-inbox send (--to USER [USER ...] | --to-role ROLE) --subject S [--message M | --message-file F|-]
                        [--collection C --item I] [--yes] [--json]
    directus-inbox archive ID [ID ...] [--json]
    directus-inbox unarchive ID [ID ...] [--json]
    directus-inbox delete ID [ID ...] [--yes] [--json]
    directus-inbox whoami [--json]
    directus-inbox watch [--json]                     print new notifications as they arrive
    directus-inbox purge [--archived] [--older-than AGE] [--all-users] [--dry-run] [--yes] [--json]
    directus-inbox snooze ID [ID ...] --until WHEN [--json]
    directus-inbox unsnooze ID [ID ...] [--json]

CONNECTION flags go before or after the subcommand: ``--url URL --token TOKEN --profile NAME
--transport rest|graphql --config FILE --ca-bundle PATH --insecure-http --demo-size N --embedded``.
Resolution is described in ``app.config``; with no server configured the embedded inbox is used,
and one line on stderr says where it is. ``USER`` is a user id, an e-mail address or a name.
Plain ``http://`` to a host that is not this machine is refused unless ``--insecure-http``.

Several profiles at once: ``--profiles work,staging`` (or ``--unified``: the config file's
``unified`` list) makes ``list``, ``show``, ``archive``, ``unarchive``, ``delete``, ``whoami`` and
``watch`` work on all of them as one inbox (``app.cli_unified``), with ids written ``PROFILE:ID``;
an id written ``PROFILE:ID`` alone opens that profile. Without a subcommand the TUI opens the
unified inbox — also when the config has ``unified`` and no flag or environment variable names a
server or profile (the subcommands use ``unified`` only with ``--unified``, so a script's output
does not change because the config did). ``send`` and ``purge`` work on one server.

``send --to-role ROLE`` writes to the active users of a role whom you may read (Directus's Flows
refuse a role as recipient), in one batch, after saying how many will receive it (on a terminal
it asks; ``--yes`` for scripts). ``purge`` deletes, as an admin, notifications that are archived
and/or older than AGE (``90d``; units min, h, d, w, y), yours or with ``--all-users`` everyone's:
it states the exact count, the oldest and the newest, asks (or ``--yes``), deletes in chunks with a
progress bar on a terminal, and can be interrupted and run again (``app.purge``).

``list`` shows the current user's own notifications, newest first: by default the inbox, which
(as in the TUI) is every status but ``archived``, so an odd status such as ``read`` is not hidden;
``--archived``, ``--status S`` (exactly S) or ``--all`` choose otherwise. Text output passes every string
from the server through ``app.sanitize``: no terminal control sequence gets through.

The filters (``app.triage``) run on the server: ``--from USER`` (as in ``send``), ``--collection
NAME``, ``--since WHEN`` and ``--until WHEN`` (``app.when``: an ISO date or date and time, or
``30m``/``3h``/``2d``/``1w`` ago, or ``today``, ``yesterday``, ``this week``; a day as ``--until``
includes that day). ``--view NAME`` takes a ``[views.NAME]`` of the config file; a flag given as
well replaces the view's own. A snoozed notification (``snooze``, local to this machine:
``app.local_state``) is left out of the inbox until its time; ``--snoozed`` lists what is waiting,
soonest first.

JSON output (``--json``) has the same shape for every backend, is ASCII-only (other characters as
``\\uXXXX``), and never contains a token or password. A notification is
``Notification.to_json()``: ``{"id": int, "timestamp": "…Z"|null, "status": str,
"recipient": id|null, "sender": id|null, "subject", "message", "collection", "item": str|null}``.

- ``list``: ``{"backend": {"kind": "embedded"|"rest"|"graphql", "location": str},
  "total_count": int, "filter_count": int, "items": [notification, ...]}``
- ``show``: ``notification``
- ``send``: ``{"created": [notification, ...]}``
- ``archive``/``unarchive``: ``{"updated": [id, ...]}``; ``delete``: ``{"deleted": [id, ...]}``.
  When not every id was done, the ids left are added under ``"not_found"`` (deleted elsewhere,
  or not yours to see), ``"unchanged"`` and ``"unknown"`` (each only when not empty), and the
  exit code is 1 (or 3).
- ``whoami``: ``{"user": {"id", "email", "first_name", "last_name"}, "backend": {"kind",
  "location"}, "capabilities": {"create": bool, "delete": bool, "archive": bool}}``
- ``watch``: one ``notification`` per line (compact), as each arrives, until ctrl+c
- ``send --to-role``: as ``send``; ``purge``: ``{"criteria": {"archived", "older_than_seconds",
  "all_users"}, "cutoff", "planned", "oldest", "newest", "deleted"}`` (``deleted`` is null with
  ``--dry-run``)
- with several profiles: see ``app.cli_unified``
- a notification in a ``list`` that is snoozed has ``"snoozed_until": "…Z"`` besides its fields
- ``snooze``: ``{"snoozed": [id, ...], "until": "…Z"}``, plus ``"not_in_inbox": [id, ...]`` when
  some were archived, deleted or not yours (exit code 1); ``unsnooze``: ``{"unsnoozed": [id, ...]}``,
  plus ``"not_snoozed": [id, ...]`` when some were not

Exit codes: 0 success; 1 the operation failed (server refused, not found, unreachable, ...);
2 usage or configuration error (bad flags, config file, compose input, missing ``--yes``);
3 the outcome is unknown: the server's answer was lost and the server could not tell what it did
(check before trying again: a ``send`` tried again may arrive twice); 130 interrupted. Errors are
one line on stderr, ``directus-inbox: <what is wrong>. <what to do>``; ``DIRECTUS_INBOX_DEBUG=1``
adds the traceback of an unexpected error. Whenever an answer is lost, the server is asked what
it now holds before anything is reported (``app.bulk``, ``app.compose.deliver``).

(One module for the whole command line, past 500 lines: the parser, the seven subcommands and the
output contract above read best together; each subcommand is one ``cmd_*`` function.)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import shutil
import sys
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TextIO, cast

from app import APP_NAME, __version__, bulk
from app.backend import InboxBackend, missing_error
from app.compose import NOT_SENT, SENT, ComposeError, deliver, resolve_recipients
from app.config import ConfigError, ProfileSet, Settings, load_profile_set, load_settings, unified_profiles
from app.connect import PasswordPrompt, open_backend, open_unified
from app.errors import (
    ForbiddenError,
    InboxError,
    NotFoundError,
    ServerError,
    format_keys,
)
from app.local_state import StateFile, in_inbox
from app.models import (
    ARCHIVED,
    INBOX,
    MAX_PAGE,
    Folder,
    Notification,
    Page,
    Query,
    User,
    short_id,
)
from app.purge import PurgePlan
from app.sanitize import clean, clean_line, safe_url
from app.startup import Prefetch
from app.timefmt import local_time, local_time_and_age, local_time_numeric, relative_time_in_words
from app.triage import FilterError, Filters, ResolvedView, View, all_of
from app.when import iso_utc, parse_snooze

PROG = APP_NAME
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3
EXIT_INTERRUPTED = 130
DEFAULT_LIMIT = 50
SENDER_WIDTH = 20
ROLE_NAMES_SHOWN = 10
"""Recipients named when writing to a role; the rest are counted."""
SET_COMMANDS = ("list", "show", "archive", "unarchive", "delete", "whoami", "watch")
"""The subcommands that work on several profiles at once (``app.cli_unified``)."""
ONE_SERVER_ENV = ("DIRECTUS_URL", "DIRECTUS_TOKEN", "DIRECTUS_EMAIL", "DIRECTUS_INBOX_PROFILE")


class UsageError(Exception):
    """The command line is wrong (exit code 2)."""


class Declined(Exception):
    """The user answered no to a confirmation (exit code 1)."""


class OutcomeUnknown(Exception):
    """The server's answer was lost and it could not tell what it did (exit code 3)."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and an exception, never ``sys.exit``."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}. Run '{self.prog} --help' for usage")


# --- argument types ------------------------------------------------------------------------------


def _notification_id(text: str) -> int:
    try:
        value = int(text.strip().lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a notification id (a positive number)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a notification id (a positive number)")
    return value


@dataclass(frozen=True)
class Reference:
    """A notification on the command line: ``ID``, or ``PROFILE:ID`` (that profile's server's id)."""

    profile: str | None
    id: int

    def __str__(self) -> str:
        return f"{self.profile}:{self.id}" if self.profile is not None else str(self.id)


def _reference(text: str) -> Reference:
    profile, colon, number = text.rpartition(":")
    if colon and not profile.strip():
        raise argparse.ArgumentTypeError(f"'{text}' has no profile before the colon (write PROFILE:ID)")
    return Reference(profile.strip() if colon else None, _notification_id(number))


def _profile_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of profiles (write work,staging)")
    return names


def _age(text: str) -> timedelta:
    from app.purge import parse_age

    try:
        return parse_age(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return value


def _not_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    # Connection flags live on a parent parser shared by the top level and every subcommand, with
    # SUPPRESS defaults, so `directus-inbox --url U list` and `directus-inbox list --url U` both work
    # and a subcommand's unset flag does not wipe out the top level's.
    common = _Parser(add_help=False)
    group = common.add_argument_group("connection (before or after the subcommand)")
    group.add_argument("--url", default=argparse.SUPPRESS, help="Directus server URL (env DIRECTUS_URL)")
    group.add_argument(
        "--token",
        default=argparse.SUPPRESS,
        help="static token (env DIRECTUS_TOKEN; prefer the env or the config file, "
        "a flag is visible to other local users)",
    )
    group.add_argument(
        "--profile", default=argparse.SUPPRESS, help="profile of the config file (env DIRECTUS_INBOX_PROFILE)"
    )
    group.add_argument(
        "--transport",
        default=argparse.SUPPRESS,
        choices=("rest", "graphql"),
        help="API to use (env DIRECTUS_INBOX_TRANSPORT; default rest)",
    )
    group.add_argument(
        "--config", default=argparse.SUPPRESS, metavar="FILE", help="config file (env DIRECTUS_INBOX_CONFIG)"
    )
    group.add_argument(
        "--ca-bundle",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="trust the certificates in this PEM file (a private CA) instead of the system's",
    )
    group.add_argument(
        "--insecure-http",
        default=argparse.SUPPRESS,
        action="store_true",
        help="allow plain http:// to a host that is not this machine (the token travels unencrypted)",
    )
    group.add_argument(
        "--demo-size",
        default=argparse.SUPPRESS,
        type=_positive,
        metavar="N",
        help="open an embedded demo inbox of N notifications",
    )
    group.add_argument(
        "--embedded",
        default=argparse.SUPPRESS,
        action="store_true",
        help="use the embedded inbox even if a server is configured",
    )
    group.add_argument(
        "--profiles",
        default=argparse.SUPPRESS,
        type=_profile_names,
        metavar="A,B",
        help="several profiles of the config file as one inbox (ids then PROFILE:ID)",
    )
    group.add_argument(
        "--unified",
        default=argparse.SUPPRESS,
        action="store_true",
        help="the profiles of the config file's unified list as one inbox",
    )

    parser = _Parser(
        prog=PROG,
        parents=[common],
        description="A terminal inbox for Directus notifications. Without a subcommand, opens the inbox.",
        epilog="Run 'directus-inbox COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], help=help_text, description=help_text)

    def json_flag(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--json", action="store_true", help="print JSON instead of text (stable shapes, documented in app/cli.py)"
        )

    sub = command("list", "List your notifications, newest first (by default the inbox: every status but archived).")
    which = sub.add_mutually_exclusive_group()
    which.add_argument("--archived", action="store_true", help="archived notifications")
    which.add_argument("--status", metavar="S", help="notifications with status S")
    which.add_argument("--all", action="store_true", help="every status")
    sub.add_argument("--search", metavar="S", help="only notifications containing S")
    sub.add_argument(
        "--limit",
        type=_positive,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N notifications (default {DEFAULT_LIMIT})",
    )
    sub.add_argument("--offset", type=_not_negative, default=0, metavar="N", help="skip the first N")
    which.add_argument("--snoozed", action="store_true", help="the snoozed notifications, soonest back first")
    sub.add_argument("--from", dest="sender", metavar="USER", help="only from USER: user id, e-mail address or name")
    sub.add_argument("--collection", metavar="NAME", help="only about items of collection NAME")
    sub.add_argument(
        "--since", metavar="WHEN", help="only since WHEN: 2026-11-20, 2026-11-20T14:00, 30m, 3h, 2d, 1w, today…"
    )
    sub.add_argument("--until", metavar="WHEN", help="only before WHEN (a day: up to its end)")
    sub.add_argument("--view", metavar="NAME", help="a saved view ([views.NAME] in the config file)")
    json_flag(sub)

    sub = command("show", "Show one notification.")
    sub.add_argument("id", type=_reference, metavar="ID")
    json_flag(sub)

    sub = command("send", "Send a notification to one or more users, or to a role's users.")
    sub.add_argument(
        "--to",
        action="extend",
        nargs="+",
        metavar="USER",
        help="recipient: user id, e-mail address or name (several allowed)",
    )
    sub.add_argument(
        "--to-role",
        action="append",
        metavar="ROLE",
        help="every active user of the role (its name or id) whom you may read; asks first, unless --yes",
    )
    sub.add_argument("--yes", "-y", action="store_true", help="do not ask before writing to a role")
    sub.add_argument("--subject", required=True, metavar="S")
    body = sub.add_mutually_exclusive_group()
    body.add_argument("--message", metavar="M", help="message (Markdown)")
    body.add_argument("--message-file", metavar="F", help="read the message from file F ('-': stdin)")
    sub.add_argument("--collection", metavar="C", help="collection of the item the notification is about")
    sub.add_argument("--item", metavar="I", help="primary key of that item")
    json_flag(sub)

    for name, help_text in (
        ("archive", "Archive notifications."),
        ("unarchive", "Move notifications back to the inbox."),
    ):
        sub = command(name, help_text)
        sub.add_argument("ids", type=_reference, nargs="+", metavar="ID")
        json_flag(sub)

    sub = command("delete", "Delete notifications (asks first, unless --yes).")
    sub.add_argument("ids", type=_reference, nargs="+", metavar="ID")
    sub.add_argument("--yes", "-y", action="store_true", help="do not ask; needed when stdin is not a terminal")
    json_flag(sub)

    sub = command("whoami", "Show the current user, the backend and what you may do.")
    json_flag(sub)

    sub = command("watch", "Print each new notification as it arrives, until ctrl+c (--json: one object a line).")
    json_flag(sub)

    sub = command("purge", "Delete old notifications in bulk, as an admin (states what, then asks, unless --yes).")
    sub.add_argument("--archived", action="store_true", help="only archived notifications")
    sub.add_argument(
        "--older-than", type=_age, metavar="AGE", help="only those older than AGE, like 90d (min, h, d, w, y)"
    )
    sub.add_argument("--all-users", action="store_true", help="every user's (that you may read), not only yours")
    sub.add_argument("--dry-run", action="store_true", help="say what would be deleted, and delete nothing")
    sub.add_argument("--yes", "-y", action="store_true", help="do not ask; needed when stdin is not a terminal")
    json_flag(sub)

    sub = command("snooze", "Hide notifications from the inbox until a time (kept on this machine).")
    sub.add_argument("ids", type=_notification_id, nargs="+", metavar="ID")
    sub.add_argument(
        "--until",
        required=True,
        metavar="WHEN",
        help="'in an hour', 'this evening', 'tomorrow morning', 'next week', 2h, 'tomorrow 14:00', an ISO date or time",
    )
    json_flag(sub)

    sub = command("unsnooze", "Bring snoozed notifications back to the inbox now.")
    sub.add_argument("ids", type=_notification_id, nargs="+", metavar="ID")
    json_flag(sub)
    return parser


# --- output --------------------------------------------------------------------------------------


class Output:
    """stdout for results, stderr for notes and errors.

    Results are built from data that holds no secret (the JSON shapes have no place for one).
    Notes and errors may quote what a library said, so every known secret is scrubbed from them
    (secrets shorter than ``MIN_SCRUB`` are left: replacing them would garble the words).
    """

    MIN_SCRUB = 6

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.secrets: list[str] = []

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if len(secret) >= self.MIN_SCRUB:
                text = text.replace(secret, "****")
        return text

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def json(self, data: Any) -> None:
        self.line(json.dumps(data, indent=2, ensure_ascii=True))

    def note(self, text: str) -> None:
        self.err.write(f"{PROG}: {self.scrub(text)}\n")
        self.err.flush()

    def error(self, text: str) -> None:
        self.note(clean_line(text))


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _safe_streams() -> None:
    """A subject in any script must not crash printing on a terminal with a narrow encoding."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def status_mark(status: str) -> str:
    if status in (INBOX, ARCHIVED):
        return status
    return _fit(clean_line(status) or "?", 8)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def backend_json(backend: InboxBackend) -> dict[str, str]:
    return {"kind": backend.info.kind, "location": backend.info.location}


async def user_names(backend: InboxBackend, refs: Iterable[Any]) -> dict[str, User]:
    """The users behind *refs* (ids or users), looked up in one request; unknown ones left out."""
    known: dict[str, User] = {}
    wanted: set[str] = set()
    for ref in refs:
        if isinstance(ref, User):
            known[ref.id] = ref
        elif ref:
            wanted.add(str(ref))
    wanted -= set(known)
    if wanted:
        try:
            for user in await backend.users(ids=sorted(wanted)):
                known[user.id] = user
        except InboxError:
            pass  # names are a nicety: short ids will do
    return known


def person(ref: Any, users: dict[str, User], *, label: bool = False) -> str:
    if ref is None:
        return "system"
    user = ref if isinstance(ref, User) else users.get(str(ref))
    if user is None:
        return short_id(str(ref))
    return clean_line(user.label if label else user.display_name)


# --- commands ------------------------------------------------------------------------------------


async def cmd_list(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    view = await cast(View, args.view).resolve(backend)
    now = datetime.now(UTC)
    waiting = (await state_file(backend)).load().waiting(now)
    if args.snoozed:
        page = await snoozed_page(backend, view, waiting, now=now, limit=args.limit, offset=args.offset)
    else:
        page = await backend.list_notifications(list_query(view, args, waiting, now))
    if args.json:
        out.json(
            {
                "backend": backend_json(backend),
                "total_count": page.total_count,
                "filter_count": page.filter_count,
                "items": [listed_json(item, waiting) for item in page.items],
            }
        )
        return EXIT_OK
    users = await user_names(backend, (item.sender for item in page.items))
    width = shutil.get_terminal_size((10_000, 24)).columns if _stdout_is_tty() else None
    id_width = max([len(str(item.id)) for item in page.items] + [2])
    for item in page.items:
        sender = _fit(person(item.sender, users), SENDER_WIDTH)
        subject = clean_line(item.subject) or "(no subject)"
        until = waiting.get(item.id)
        snoozed = f"until {local_time_numeric(until)}  " if until is not None else ""
        line = (
            f"{item.id:>{id_width}}  {status_mark(item.status):<8}  {relative_time_in_words(item.timestamp, now):<10}  "
            f"{sender:<{SENDER_WIDTH}}  {snoozed}{subject}"
        )
        out.line(_fit(line, width) if width else line)
    shown = len(page.items)
    what = " snoozed" if args.snoozed else ""
    if args.offset and shown:
        out.line(f"{args.offset + 1}-{args.offset + shown} of {page.filter_count}{what}")
    else:
        out.line(f"{shown} of {page.filter_count}{what}")
    return EXIT_OK


def list_view(args: argparse.Namespace, settings: Settings) -> View:
    """The view ``list`` shows: ``--view NAME`` from the config, its fields replaced by the flags given."""
    base = View("list")
    if args.view is not None:
        saved = settings.views.get(args.view)
        if saved is None:
            known = ", ".join(sorted(settings.views)) or "none"
            raise UsageError(
                f"There is no view '{clean_line(args.view)}' in {settings.config_path} (views: {clean_line(known)}). "
                f"Add [views.{clean_line(args.view)}] to the file, or choose another"
            )
        base = saved.view(args.view)
    given = Filters.parse(sender=args.sender, collection=args.collection, since=args.since, until=args.until)
    chosen = base.filters
    filters = Filters(
        sender=given.sender or chosen.sender,
        collection=given.collection or chosen.collection,
        since=given.since or chosen.since,
        until=given.until or chosen.until,
    )
    return View(base.name, args.search if args.search is not None else base.search, filters)


def list_query(view: ResolvedView, args: argparse.Namespace, waiting: dict[int, datetime], now: datetime) -> Query:
    """The inbox (less what is snoozed), the archive, one status or all, as ``list``'s flags say."""
    if args.status is not None or args.all:
        query = view.query(None, now=now, limit=args.limit, offset=args.offset)
        return query.model_copy(update={"status": args.status})
    folder: Folder = ARCHIVED if args.archived else INBOX
    exclude = waiting if folder == INBOX else ()
    return view.query(folder, exclude=exclude, now=now, limit=args.limit, offset=args.offset)


async def snoozed_page(
    backend: InboxBackend, view: ResolvedView, waiting: dict[int, datetime], *, now: datetime, limit: int, offset: int
) -> Page:
    """The waiting snoozes still in the inbox that the view shows, soonest back first."""
    keys = list(waiting)
    found: list[Notification] = []
    total: int | None = None
    for start in range(0, len(keys), MAX_PAGE):
        chunk = keys[start : start + MAX_PAGE]
        query = view.query(INBOX, now=now, limit=len(chunk))
        query = query.model_copy(update={"filter": all_of([query.filter, {"id": {"_in": chunk}}])})
        page = await backend.list_notifications(query)
        found.extend(page.items)
        total = page.total_count
    if total is None:  # nothing snoozed: the total all the same, as every list tells it
        total = (await backend.list_notifications(Query(limit=1, fields=("id",)))).total_count
    found.sort(key=lambda item: (waiting[item.id], item.id))
    return Page(
        items=found[offset : offset + limit], total_count=total, filter_count=len(found), offset=offset, limit=limit
    )


def listed_json(item: Notification, waiting: dict[int, datetime]) -> dict[str, Any]:
    data = item.to_json()
    if item.id in waiting:
        data["snoozed_until"] = iso_utc(waiting[item.id])
    return data


async def state_file(backend: InboxBackend) -> StateFile:
    """The local state (snoozes) of the current user on *backend*."""
    return StateFile.for_account(backend.info.location, (await backend.me()).id)


async def cmd_show(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    from app.message import to_plain_text

    item = await backend.get(args.id)
    if args.json:
        out.json(item.to_json())
        return EXIT_OK
    users = await user_names(backend, (item.sender, item.recipient))
    out.line(f"Notification {item.id} ({status_mark(item.status)})")
    out.line(f"From:     {person(item.sender, users, label=True)}")
    out.line(f"To:       {person(item.recipient, users, label=True)}")
    out.line(f"Date:     {local_time_and_age(item.timestamp)}")
    out.line(f"Subject:  {clean_line(item.subject) or '(no subject)'}")
    if item.collection:
        reference = clean_line(item.collection) + (f" / {clean_line(item.item)}" if item.item else "")
        link = safe_url(backend.info.item_url(item.collection, item.item))
        out.line(f"Item:     {reference}" + (f"  {link}" if link else ""))
    if item.message:
        out.line()
        out.line(clean(to_plain_text(item.message), multiline=True).rstrip("\n"))
    return EXIT_OK


def _snooze_until(text: str) -> datetime:
    try:
        return parse_snooze(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _read_message(args: argparse.Namespace) -> str | None:
    if args.message_file is None:
        return cast("str | None", args.message)
    if args.message_file == "-":
        return sys.stdin.read()
    try:
        with open(args.message_file, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ComposeError(
            "message", f"The message file {args.message_file} does not exist. Check the path given to --message-file."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not UTF-8 text"
        raise ComposeError(
            "message", f"Cannot read the message file {args.message_file} ({reason}). Give a readable UTF-8 text file."
        ) from None


async def _role_recipients(backend: InboxBackend, args: argparse.Namespace, out: Output) -> list[User]:
    """Every user of ``--to-role`` (and ``--to``), once each, after saying how many will receive it."""
    capabilities = await backend.capabilities()
    if not capabilities.can_create:
        raise ForbiddenError(capabilities.why_not("create") or "You may not send notifications.", code="FORBIDDEN")
    members: list[User] = []
    roles: list[str] = []
    for role in args.to_role:
        found = await backend.role_members(role)
        name = clean_line(found.role.name or found.role.id)
        if not found.users:
            raise ComposeError("to", f"The role {name} has no active user you may read: nobody would receive it.")
        members += found.users
        inactive = f", {found.inactive:,} not active left out" if found.inactive else ""
        roles.append(f"role {name}: {bulk.plural(len(found.users), 'user')}{inactive}")
    named = await resolve_recipients(backend, args.to) if args.to else []
    everyone = list({user.id.lower(): user for user in [*named, *members]}.values())
    shown = ", ".join(clean_line(user.display_name) for user in everyone[:ROLE_NAMES_SHOWN])
    more = f" and {len(everyone) - ROLE_NAMES_SHOWN:,} more" if len(everyone) > ROLE_NAMES_SHOWN else ""
    out.note(f"{bulk.plural(len(everyone), 'user')} will receive it ({'; '.join(roles)}): {shown}{more}.")
    if not args.yes:
        if not _stdin_is_tty():
            raise UsageError(
                "Refusing to write to a role without confirmation: stdin is not a terminal. "
                f"Pass --yes to send to {bulk.plural(len(everyone), 'user')}"
            )
        if not _confirm(f"Send “{clean_line(args.subject)}” to {bulk.plural(len(everyone), 'user')}? [y/N] ", out):
            raise Declined("Nothing was sent")
    return everyone


async def cmd_send(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    recipients: list[str | User] = list(args.to or [])
    if args.to_role:
        recipients = list(await _role_recipients(backend, args, out))
    delivery = await deliver(backend, recipients, args.subject, args.message_text, args.collection, args.item)
    if delivery.state == NOT_SENT and delivery.error is not None:
        raise delivery.error
    if delivery.state != SENT:
        raise OutcomeUnknown(delivery.describe())
    if delivery.error is not None:
        out.note(f"the answer was lost ({delivery.error.message}); the server, searched, holds what was sent.")
    if args.json:
        out.json({"created": [item.to_json() for item in delivery.created]})
        return EXIT_OK
    users = await user_names(backend, (item.recipient for item in delivery.created))
    for item in delivery.created:
        out.line(f"Sent notification {item.id} to {person(item.recipient, users, label=True)}.")
    return EXIT_OK


def _result_json(done_name: str, done: Sequence[int], **left: Sequence[int]) -> dict[str, list[int]]:
    """``{"updated": [...]}`` (or ``"deleted"``), and the ids left under their names when there are any."""
    result = {done_name: list(done)}
    result.update({name: list(keys) for name, keys in left.items() if keys})
    return result


async def _set_status(backend: InboxBackend, args: argparse.Namespace, out: Output, status: str) -> int:
    ids = list(dict.fromkeys(args.ids))
    capabilities = await backend.capabilities()
    if not capabilities.can_archive:
        raise ForbiddenError(
            capabilities.why_not("archive") or "You may not archive notifications.", code="FORBIDDEN", status=403
        )
    change = await bulk.change_status(backend, ids, status)
    where = "the archive" if status == ARCHIVED else "the inbox"
    if args.json:
        left = {"not_found": change.vanished, "unchanged": change.unchanged, "unknown": change.unknown}
        out.json(_result_json("updated", change.changed, **left))
    elif change.changed:
        out.line(f"Moved {bulk.plural(len(change.changed))} to {where} ({format_keys(change.changed)}).")
    if change.answer_lost and change.error is not None:
        out.note(f"an answer was lost ({change.error.message}); the server, asked, holds every one in {where}.")
    if change.unknown:
        raise OutcomeUnknown(bulk.describe_status_change(change))
    failure = change.failure()
    if failure is not None:
        raise failure
    return EXIT_OK


async def cmd_archive(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    return await _set_status(backend, args, out, ARCHIVED)


async def cmd_unarchive(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    return await _set_status(backend, args, out, INBOX)


def _confirm(question: str, out: Output) -> bool:
    out.err.write(question)
    out.err.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


async def cmd_delete(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    ids = list(dict.fromkeys(args.ids))
    capabilities = await backend.capabilities()
    if not capabilities.can_delete:
        raise ForbiddenError(
            capabilities.why_not("delete") or "You may not delete notifications.", code="FORBIDDEN", status=403
        )
    # Directus deletes an id that does not exist without a word: ask first, so as not to report it deleted.
    held = await backend.held(ids)
    missing = [key for key in ids if key not in held]
    present = [key for key in ids if key in held]
    if not present:
        raise missing_error(missing)
    if not args.yes and not _stdin_is_tty():
        raise UsageError(
            "Refusing to delete without confirmation: stdin is not a terminal. "
            f"Pass --yes to delete {bulk.plural(len(present))}"
        )
    also = f" ({len(missing)} not found: {format_keys(missing)})" if missing else ""
    question = f"Delete {bulk.plural(len(present))} (ids {format_keys(present)}){also}? [y/N] "
    if not args.yes and not _confirm(question, out):
        raise Declined("Nothing was deleted")
    deletion = await bulk.delete(backend, present)
    not_found = [key for key in ids if key in missing or key in deletion.vanished]
    if args.json:
        left = {"not_found": not_found, "unchanged": deletion.kept, "unknown": deletion.unknown}
        out.json(_result_json("deleted", deletion.deleted, **left))
    elif deletion.deleted:
        out.line(f"Deleted {bulk.plural(len(deletion.deleted))} ({format_keys(deletion.deleted)}).")
    if deletion.unknown:
        raise OutcomeUnknown(bulk.describe_deletion(deletion))
    failure = deletion.failure() if deletion.kept else missing_error(not_found) if not_found else None
    if failure is not None:
        raise failure
    return EXIT_OK


async def cmd_whoami(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    user = await backend.me()
    capabilities = await backend.capabilities()
    allowed = {
        "create": capabilities.can_create,
        "delete": capabilities.can_delete,
        "archive": capabilities.can_archive,
    }
    if args.json:
        out.json(
            {
                "user": {
                    "id": user.id,
                    "email": user.email,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                },
                "backend": backend_json(backend),
                "capabilities": allowed,
            }
        )
        return EXIT_OK
    words = {"create": "send", "delete": "delete", "archive": "archive"}
    may = ["read"] + [words[key] for key, ok in allowed.items() if ok]
    may_not = [words[key] for key, ok in allowed.items() if not ok]
    out.line(f"User:     {clean_line(user.label)}")
    out.line(f"Id:       {clean_line(user.id)}")
    out.line(f"Backend:  {backend.info.kind}, {clean_line(backend.info.location)}")
    out.line(f"May:      {', '.join(may)}" + (" (admin)" if capabilities.admin else ""))
    if may_not:
        out.line(f"May not:  {', '.join(may_not)} (a Directus admin can grant these)")
    return EXIT_OK


async def cmd_watch(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    from app.live.watch import watch

    return await watch(backend, out.out, out.note, as_json=args.json)


class _ProgressBar:
    """One line on a terminal's stderr, redrawn: ``[#######.......] 1,500/3,000 deleted``."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // total if total else self.WIDTH
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,} deleted")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _purge_json(plan: PurgePlan, deleted: int | None) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return (
            None if value is None else value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )

    criteria = plan.criteria
    return {
        "criteria": {
            "archived": criteria.archived,
            "older_than_seconds": None if criteria.older_than is None else int(criteria.older_than.total_seconds()),
            "all_users": criteria.all_users,
        },
        "cutoff": moment(plan.cutoff),
        "planned": plan.count,
        "oldest": moment(plan.oldest),
        "newest": moment(plan.newest),
        "deleted": deleted,
    }


PURGE_RECOUNT = 5.0
"""Seconds an interrupted purge waits for the server to say how many it deleted."""


async def _purged_so_far(backend: InboxBackend, plan: PurgePlan, reported: int) -> str:
    """What an interrupted purge deleted, as the server tells it (a chunk in flight may or may not
    have gone); as far as the answers went when the server does not say in time."""
    from app.purge import remaining

    try:
        left = await asyncio.wait_for(remaining(backend, plan), PURGE_RECOUNT)
    except (InboxError, TimeoutError):
        return f"{reported:,} of {plan.count:,} deleted, and perhaps a chunk more (the server could not be asked)"
    return f"{plan.count - left:,} of {plan.count:,} deleted (the server holds {left:,} of them)"


async def cmd_purge(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    from app.purge import PurgeCriteria, plan_purge, run_purge

    try:
        criteria = PurgeCriteria(archived=args.archived, older_than=args.older_than, all_users=args.all_users)
    except ValueError:
        raise UsageError("purge needs --archived, --older-than AGE, or both; it never deletes everything") from None
    plan = await plan_purge(backend, criteria)
    if not plan.count or args.dry_run:
        if args.json:
            out.json(_purge_json(plan, None))
        else:
            out.line(plan.describe() if not plan.count else f"Would delete {plan.describe()}.")
        return EXIT_OK
    if not args.yes and not _stdin_is_tty():
        raise UsageError(
            "Refusing to purge without confirmation: stdin is not a terminal. "
            f"Pass --yes to delete {bulk.plural(plan.count)} (--dry-run to see them first)"
        )
    if not args.yes and not _confirm(f"Delete {plan.describe()}? [y/N] ", out):
        raise Declined("Nothing was deleted")
    if args.yes:
        out.note(f"deleting {plan.describe()}")
    bar = _ProgressBar(out.err) if _stderr_is_tty() else None
    deleted = 0

    def report(done: int, total: int) -> None:
        nonlocal deleted
        deleted = done
        if bar is not None:
            bar(done, total)

    try:
        result = await run_purge(backend, plan, progress=report)
    except (asyncio.CancelledError, InboxError):
        if bar is not None:
            bar.finish()
        out.note(
            f"stopped: {await _purged_so_far(backend, plan, deleted)}; run the same command again to delete the rest."
        )
        raise
    if bar is not None:
        bar.finish()
    if args.json:
        out.json(_purge_json(plan, result.deleted))
    else:
        out.line(result.describe())
    if result.stopped is not None:
        if result.stopped.unknown:
            raise OutcomeUnknown(result.describe())
        failure = result.stopped.failure()
        if failure is not None:
            raise failure
    return EXIT_OK


async def cmd_snooze(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    ids = list(dict.fromkeys(args.ids))
    until: datetime = args.until_moment
    present = await in_inbox(backend, ids)
    snoozed = [key for key in ids if key in present]
    missing = [key for key in ids if key not in present]
    if snoozed:
        (await state_file(backend)).snooze(snoozed, until)
    if args.json:
        result: dict[str, Any] = {"snoozed": snoozed, "until": iso_utc(until)}
        if missing:
            result["not_in_inbox"] = missing
        out.json(result)
    elif snoozed:
        out.line(f"Snoozed {bulk.plural(len(snoozed))} until {local_time(until)} ({format_keys(snoozed)}).")
    if missing:
        noun = "Notification" if len(missing) == 1 else "Notifications"
        raise NotFoundError(
            f"{noun} {format_keys(missing)} not in your inbox: archived, deleted, or not yours to see.",
            code="FORBIDDEN",
            status=403,
        )
    return EXIT_OK


async def cmd_unsnooze(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    ids = list(dict.fromkeys(args.ids))
    state = await state_file(backend)
    before = state.load().snoozes
    state.unsnooze(ids)
    back = [key for key in ids if key in before]
    not_snoozed = [key for key in ids if key not in before]
    if args.json:
        result: dict[str, Any] = {"unsnoozed": back}
        if not_snoozed:
            result["not_snoozed"] = not_snoozed
        out.json(result)
        return EXIT_OK
    if back:
        out.line(f"Back in the inbox: {bulk.plural(len(back))} ({format_keys(back)}).")
    if not_snoozed:
        verb = "was" if len(not_snoozed) == 1 else "were"
        out.line(f"{format_keys(not_snoozed)} {verb} not snoozed.")
    return EXIT_OK


COMMANDS = {
    "watch": cmd_watch,
    "list": cmd_list,
    "show": cmd_show,
    "send": cmd_send,
    "archive": cmd_archive,
    "unarchive": cmd_unarchive,
    "delete": cmd_delete,
    "whoami": cmd_whoami,
    "purge": cmd_purge,
    "snooze": cmd_snooze,
    "unsnooze": cmd_unsnooze,
}


async def run_command(backend: InboxBackend, args: argparse.Namespace, out: Output) -> int:
    async with backend:
        return await COMMANDS[args.command](backend, args, out)


# --- errors --------------------------------------------------------------------------------------


def describe(error: InboxError) -> str:
    """The error's one line, with what to do where the error itself does not say."""
    text = str(error).strip()
    if isinstance(error, NotFoundError):
        return f"{text} Check the id with '{PROG} list --all'."
    if isinstance(error, ForbiddenError) and "admin" not in text:
        return f"{text} Run '{PROG} whoami' to see what your role may do."
    if isinstance(error, ServerError):
        return f"{text} Try again later, or tell the server's admin."
    return text


def _password_prompt(out: Output) -> PasswordPrompt | None:
    """``getpass`` when stdin is a terminal (else ``None``); what is typed is kept out of all output."""
    if not _stdin_is_tty():
        return None

    def prompt(text: str) -> str:
        password = getpass.getpass(text)
        out.secrets.append(password)
        return password

    return prompt


def _open_tui(settings: Settings, out: Output) -> int:
    if not (_stdin_is_tty() and _stdout_is_tty()):
        raise UsageError(f"The inbox needs a terminal. For scripts use a subcommand, like '{PROG} list'")
    backend = open_backend(settings, password_prompt=_password_prompt(out))
    if settings.is_embedded:
        out.note(f"using the embedded inbox at {backend.info.location} ({settings.embedded_reason})")
    prefetch = None
    if settings.is_embedded or settings.token is not None:
        # The first page is asked for while Textual is imported (a password login would make a
        # second session, so then the view asks once it is up).
        prefetch = Prefetch(lambda: open_backend(settings)).start()
    from app.ui.app import InboxApp  # Textual is imported only to open the TUI

    app = InboxApp(backend, settings, prefetch=prefetch)

    async def run_app() -> None:
        # What App.run() does, plus closing the backend on the loop its connections belong to.
        try:
            await app.run_async()
        finally:
            await backend.aclose()

    asyncio.run(run_app())
    return_code = getattr(app, "return_code", None)
    return int(return_code or 0)


def _references(args: argparse.Namespace) -> list[Reference]:
    given = list(getattr(args, "ids", None) or [getattr(args, "id", None)])
    return [ref for ref in given if isinstance(ref, Reference)]  # snooze's ids are this server's own


def _names_a_server(args: argparse.Namespace) -> bool:
    """Whether a flag or the environment chooses one server or profile (then the TUI opens it)."""
    flags = ("url", "token", "profile", "embedded", "demo_size")
    return any(getattr(args, flag, None) for flag in flags) or any(os.environ.get(name) for name in ONE_SERVER_ENV)


def _profile_set(args: argparse.Namespace) -> ProfileSet | None:
    """The profiles the command line asks for at once (``--profiles``, ``--unified``, ``PROFILE:ID``,
    or the TUI with the config's ``unified``), or ``None`` for one inbox."""
    explicit: list[str] | None = getattr(args, "profiles", None)
    unified = bool(getattr(args, "unified", False))
    named = list(dict.fromkeys(ref.profile for ref in _references(args) if ref.profile is not None))
    config, transport = getattr(args, "config", None), getattr(args, "transport", None)
    if explicit is None and not unified and not named:
        if args.command is None and not _names_a_server(args) and unified_profiles(config=config):
            return load_profile_set(None, config=config, transport=transport)
        return None
    if explicit is not None and unified:
        raise UsageError("--profiles and --unified both choose the profiles; give one of them")
    single = ("url", "token", "profile", "embedded", "demo_size", "ca_bundle", "insecure_http")
    clashing = [name for name in single if getattr(args, name, None)]
    if clashing:
        flag = "--" + clashing[0].replace("_", "-")
        raise UsageError(
            f"{flag} is for one server; with several profiles each takes its own settings from the config file"
        )
    if args.command is not None and args.command not in SET_COMMANDS:
        raise UsageError(f"{args.command} works on one server: choose it with --profile NAME")
    profiles = load_profile_set(explicit or (None if unified else named), config=config, transport=transport)
    stray = [name for name in named if name not in profiles.profiles]
    if stray:
        raise UsageError(f"'{stray[0]}' is not among the profiles chosen ({', '.join(profiles.names)})")
    return profiles


def _run_profiles(profiles: ProfileSet, args: argparse.Namespace, out: Output) -> int:
    from app import cli_unified

    out.secrets.extend(profiles.secrets())
    for warning in profiles.primary.warnings:
        out.note(f"warning: {warning}")
    if args.command is None:
        return _open_unified_tui(profiles, out)
    unified = open_unified(profiles, password_prompt=_password_prompt(out))
    return asyncio.run(cli_unified.run_command(unified, args, out))


def _open_unified_tui(profiles: ProfileSet, out: Output) -> int:
    """The TUI on the unified inbox of *profiles*; the app-wide settings are the first profile's."""
    if not (_stdin_is_tty() and _stdout_is_tty()):
        raise UsageError(f"The inbox needs a terminal. For scripts use a subcommand, like '{PROG} list --unified'")
    backend = open_unified(profiles, password_prompt=_password_prompt(out))
    from app.ui.app import InboxApp  # Textual is imported only to open the TUI

    app = InboxApp(backend, profiles.primary)

    async def run_app() -> None:
        try:
            await app.run_async()
        finally:
            await backend.aclose()

    asyncio.run(run_app())
    return int(getattr(app, "return_code", None) or 0)


def _run(argv: Sequence[str] | None, out: Output) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        out.error(f"{error}.")
        return EXIT_USAGE
    except SystemExit as done:  # --help, --version
        return int(done.code or 0) if not isinstance(done.code, str) else EXIT_USAGE

    token = getattr(args, "token", None)
    if token:
        out.secrets.append(token)
    try:
        if args.command == "send" and not args.to and not args.to_role:
            raise UsageError(f"send needs --to USER or --to-role ROLE. Run '{PROG} send --help' for usage")
        profiles = _profile_set(args)
        if profiles is not None:
            return _run_profiles(profiles, args, out)
        if hasattr(args, "ids"):
            args.ids = [ref.id if isinstance(ref, Reference) else ref for ref in args.ids]
        elif isinstance(getattr(args, "id", None), Reference):
            args.id = args.id.id
        settings = load_settings(
            config=getattr(args, "config", None),
            url=getattr(args, "url", None),
            token=token,
            profile=getattr(args, "profile", None),
            transport=getattr(args, "transport", None),
            demo_size=getattr(args, "demo_size", None),
            embedded=getattr(args, "embedded", False),
            ca_bundle=getattr(args, "ca_bundle", None),
            insecure_http=getattr(args, "insecure_http", False),
        )
        out.secrets.extend(settings.secrets())
        for warning in settings.warnings:
            out.note(f"warning: {warning}")
        if args.command is None:
            return _open_tui(settings, out)
        if args.command == "send":
            args.message_text = _read_message(args)
        if args.command == "list":
            args.view = list_view(args, settings)
        if args.command == "snooze":
            args.until_moment = _snooze_until(args.until)
        backend = open_backend(settings, password_prompt=_password_prompt(out))
        if settings.is_embedded:
            out.note(f"using the embedded inbox at {backend.info.location} ({settings.embedded_reason})")
        return asyncio.run(run_command(backend, args, out))
    except (ConfigError, ComposeError, FilterError) as error:
        out.error(str(error))
        return EXIT_USAGE
    except UsageError as error:
        out.error(f"{error}.")
        return EXIT_USAGE
    except Declined as error:
        out.error(f"{error}.")
        return EXIT_FAILED
    except OutcomeUnknown as error:
        out.error(str(error))
        return EXIT_UNKNOWN
    except InboxError as error:
        out.error(describe(error))
        return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    _safe_streams()
    out = Output()
    try:
        return _run(argv, out)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): say nothing more, and keep Python from complaining at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - a bug: one line, the traceback only on request
        if os.environ.get("DIRECTUS_INBOX_DEBUG"):
            traceback.print_exc()
        out.error(
            f"unexpected error ({type(error).__name__}: {error}). This is a bug; set "
            "DIRECTUS_INBOX_DEBUG=1 to see the traceback, and report it."
        )
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
