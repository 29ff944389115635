"""The subcommands over several profiles at once (``--profiles a,b``, ``--unified``, ``PROFILE:ID``).

``app.cli`` parses the command line and opens a ``UnifiedBackend`` over the profiles named; these
are ``list``, ``show``, ``archive``, ``unarchive``, ``delete``, ``whoami`` and ``watch`` over it.
Ids on the command line and in the output are ``PROFILE:ID`` (the id on that profile's server);
in JSON a notification is ``Notification.to_json()`` with its own server's ``id`` and ``"profile"``.

- ``list``: ``{"backend": {"kind": "unified", "location"}, "profiles": {NAME: {"kind", "location"}},
  "total_count", "filter_count", "profile_counts": {NAME: int}, "unreachable": {NAME: why},
  "items": [notification + "profile", ...]}``; text rows begin with ``PROFILE:ID``.
- ``archive``/``unarchive``/``delete``: as with one profile, the ids as ``"PROFILE:ID"`` strings.
- ``whoami``: ``{"profiles": {NAME: {"user", "backend", "capabilities"} or {"error": why}}}``.

A profile whose server cannot be reached does not stop the others: its part is missing, stderr
says which and why, and the exit code is 1 (the output is incomplete).
"""

from __future__ import annotations

import argparse
import copy
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from app import bulk
from app.cli import (
    EXIT_FAILED,
    EXIT_OK,
    SENDER_WIDTH,
    Declined,
    OutcomeUnknown,
    Output,
    Reference,
    UsageError,
    _confirm,
    _fit,
    _stdin_is_tty,
    _stdout_is_tty,
    person,
    status_mark,
    user_names,
)
from app.errors import ForbiddenError, InboxError, NotFoundError, ServerError
from app.models import ARCHIVED, INBOX, Folder, Notification, Query, User
from app.sanitize import clean_line
from app.timefmt import relative_time_in_words
from app.unified import UnifiedBackend, UnifiedNotification


def keys_of(unified: UnifiedBackend, references: Sequence[Reference]) -> list[int]:
    """Unified ids for *references*; a bare id is allowed only when there is one profile."""
    keys: list[int] = []
    for reference in references:
        profile = reference.profile
        if profile is None:
            if len(unified.profiles) != 1:
                raise UsageError(
                    f"'{reference.id}' does not say which profile it is on: write PROFILE:ID, like "
                    f"{unified.profiles[0]}:{reference.id} (profiles: {', '.join(unified.profiles)})"
                )
            profile = unified.profiles[0]
        if profile not in unified.members:
            raise UsageError(
                f"'{reference}' names no profile of this command (profiles: {', '.join(unified.profiles)})"
            )
        keys.append(unified.unified_id(profile, reference.id))
    return list(dict.fromkeys(keys))


def refs(unified: UnifiedBackend, keys: Sequence[int]) -> list[str]:
    """``PROFILE:ID`` for each unified key."""
    return [":".join(map(str, unified.locate(key))) for key in keys]


def ref_of(item: Notification) -> str:
    if isinstance(item, UnifiedNotification):
        return f"{item.profile}:{item.native_id}"
    return str(item.id)


def failure(story: str, cause: InboxError | None, *, only_missing: bool = False) -> InboxError:
    """The error for a batch left partly undone: its kind from *cause*, its words the whole *story*
    (told in ``PROFILE:ID``, where the batch's own error would name unified ids)."""
    if only_missing or cause is None:
        return NotFoundError(story, code="FORBIDDEN", status=403) if only_missing else ServerError(story)
    error = copy.copy(cause)
    error.message, error.args, error.failed_keys = story, (story,), None
    return error


def not_found(unified: UnifiedBackend, keys: Sequence[int]) -> NotFoundError:
    verb, them = ("was", "it") if len(keys) == 1 else ("were", "them")
    text = f"{unified.describe_keys(keys)} {verb} not found, or you are not allowed to see {them}."
    return NotFoundError(text, code="FORBIDDEN", status=403)


def _note_unreachable(unreachable: dict[str, str], out: Output) -> None:
    for reason in unreachable.values():
        out.note(f"left out: {clean_line(reason)}")


async def cmd_list(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    if args.status is not None or args.all:
        query = Query(mine=True, status=args.status, search=args.search or None, limit=args.limit, offset=args.offset)
    else:
        folder: Folder = ARCHIVED if args.archived else INBOX
        query = Query.of_folder(folder, search=args.search, limit=args.limit, offset=args.offset)
    page = await unified.list_notifications(query)
    if args.json:
        out.json(
            {
                "backend": {"kind": unified.info.kind, "location": unified.info.location},
                "profiles": {
                    name: {"kind": member.backend.info.kind, "location": member.backend.info.location}
                    for name, member in unified.members.items()
                },
                "total_count": page.total_count,
                "filter_count": page.filter_count,
                "profile_counts": page.profile_counts,
                "unreachable": page.unreachable,
                "items": [item.to_json() for item in page.items],
            }
        )
    else:
        users = await user_names(unified, (item.sender for item in page.items))
        width = shutil.get_terminal_size((10_000, 24)).columns if _stdout_is_tty() else None
        now = datetime.now(UTC)
        shown = [clean_line(ref_of(item)) for item in page.items]
        ref_width = max([len(text) for text in shown] + [2])
        for text, item in zip(shown, page.items, strict=True):
            sender = _fit(person(item.sender, users), SENDER_WIDTH)
            subject = clean_line(item.subject) or "(no subject)"
            line = (
                f"{text:<{ref_width}}  {status_mark(item.status):<8}  "
                f"{relative_time_in_words(item.timestamp, now):<10}  {sender:<{SENDER_WIDTH}}  {subject}"
            )
            out.line(_fit(line, width) if width else line)
        per_profile = ", ".join(f"{count:,} on {name}" for name, count in page.profile_counts.items())
        first = (
            f"{args.offset + 1}-{args.offset + len(page.items)}" if args.offset and page.items else str(len(page.items))
        )
        out.line(f"{first} of {page.filter_count}" + (f" ({per_profile})" if per_profile else ""))
    _note_unreachable(page.unreachable, out)
    return EXIT_FAILED if page.unreachable else EXIT_OK


async def cmd_show(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    from app.cli import cmd_show as show_one

    (key,) = keys_of(unified, [args.id])
    profile, native = unified.locate(key)
    if args.json:
        out.json((await unified.get(key)).to_json())
        return EXIT_OK
    out.line(f"Profile:  {clean_line(profile)}")
    shown = argparse.Namespace(**{**vars(args), "id": native})
    return await show_one(unified.member(profile), shown, out)


def _left_json(unified: UnifiedBackend, done_name: str, done: Sequence[int], **left: Sequence[int]) -> dict[str, Any]:
    result: dict[str, Any] = {done_name: refs(unified, done)}
    result.update({name: refs(unified, keys) for name, keys in left.items() if keys})
    return result


async def _set_status(unified: UnifiedBackend, args: argparse.Namespace, out: Output, status: str) -> int:
    keys = keys_of(unified, args.ids)
    capabilities = await unified.capabilities()
    if not capabilities.can_archive:
        raise ForbiddenError(
            capabilities.why_not("archive") or "You may not archive notifications.", code="FORBIDDEN", status=403
        )
    change = await bulk.change_status(unified, keys, status)
    where = "the archive" if status == ARCHIVED else "the inbox"
    if args.json:
        left = {"not_found": change.vanished, "unchanged": change.unchanged, "unknown": change.unknown}
        out.json(_left_json(unified, "updated", change.changed, **left))
    elif change.changed:
        out.line(f"Moved {bulk.plural(len(change.changed))} to {where} ({unified.describe_tally(change.changed)}).")
    if change.answer_lost and change.error is not None:
        out.note(f"an answer was lost ({change.error.message}); the servers, asked, hold every one in {where}.")
    story = bulk.describe_status_change(change, keys_text=unified.describe_keys)
    if change.unknown:
        raise OutcomeUnknown(story)
    if not change.complete:
        raise failure(story, change.error, only_missing=not change.unchanged)
    return EXIT_OK


async def cmd_archive(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    return await _set_status(unified, args, out, ARCHIVED)


async def cmd_unarchive(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    return await _set_status(unified, args, out, INBOX)


async def cmd_delete(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    keys = keys_of(unified, args.ids)
    capabilities = await unified.capabilities()
    if not capabilities.can_delete:
        raise ForbiddenError(
            capabilities.why_not("delete") or "You may not delete notifications.", code="FORBIDDEN", status=403
        )
    held = await unified.held(keys)
    missing = [key for key in keys if key not in held]
    present = [key for key in keys if key in held]
    if not present:
        raise not_found(unified, missing)
    if not args.yes and not _stdin_is_tty():
        raise UsageError(
            "Refusing to delete without confirmation: stdin is not a terminal. "
            f"Pass --yes to delete {bulk.plural(len(present))}"
        )
    also = f" ({len(missing)} not found: {', '.join(refs(unified, missing))})" if missing else ""
    question = f"Delete {bulk.plural(len(present))} ({', '.join(refs(unified, present))}){also}? [y/N] "
    if not args.yes and not _confirm(question, out):
        raise Declined("Nothing was deleted")
    deletion = await bulk.delete(unified, present)
    gone = [key for key in keys if key in missing or key in deletion.vanished]
    if args.json:
        left = {"not_found": gone, "unchanged": deletion.kept, "unknown": deletion.unknown}
        out.json(_left_json(unified, "deleted", deletion.deleted, **left))
    elif deletion.deleted:
        out.line(f"Deleted {bulk.plural(len(deletion.deleted))} ({unified.describe_tally(deletion.deleted)}).")
    if deletion.unknown:
        raise OutcomeUnknown(bulk.describe_deletion(deletion, keys_text=unified.describe_keys))
    if deletion.kept:
        raise failure(bulk.describe_deletion(deletion, keys_text=unified.describe_keys), deletion.error)
    if gone:
        raise not_found(unified, gone)
    return EXIT_OK


async def cmd_whoami(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    identities = await unified.identities()
    report: dict[str, Any] = {}
    for name, identity in identities.items():
        member = unified.member(name)
        if isinstance(identity, InboxError):
            report[name] = {"error": identity.message}
            continue
        try:
            capabilities = await member.capabilities()
        except InboxError as error:
            report[name] = {"error": f"{name}: {error.message}"}
            continue
        report[name] = {
            "user": _user_json(identity),
            "backend": {"kind": member.info.kind, "location": member.info.location},
            "capabilities": {
                "create": capabilities.can_create,
                "delete": capabilities.can_delete,
                "archive": capabilities.can_archive,
            },
        }
    if args.json:
        out.json({"profiles": report})
    else:
        for name, entry in report.items():
            if "error" in entry:
                out.line(f"{clean_line(name)}: {clean_line(entry['error'])}")
                continue
            may = [
                word
                for word, key in (("send", "create"), ("delete", "delete"), ("archive", "archive"))
                if entry["capabilities"][key]
            ]
            user = identities[name]
            assert isinstance(user, User)
            out.line(
                f"{clean_line(name)}: {clean_line(user.label)} at {clean_line(entry['backend']['location'])}; "
                f"may read{''.join(', ' + word for word in may)}"
            )
    failed = [entry["error"] for entry in report.values() if "error" in entry]
    for reason in failed:
        out.note(f"left out: {clean_line(reason)}")
    return EXIT_FAILED if failed else EXIT_OK


def _user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "first_name": user.first_name, "last_name": user.last_name}


async def cmd_watch(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    from app.live.watch import watch

    return await watch(unified, out.out, out.note, as_json=args.json)


COMMANDS = {
    "list": cmd_list,
    "show": cmd_show,
    "archive": cmd_archive,
    "unarchive": cmd_unarchive,
    "delete": cmd_delete,
    "whoami": cmd_whoami,
    "watch": cmd_watch,
}


async def run_command(unified: UnifiedBackend, args: argparse.Namespace, out: Output) -> int:
    async with unified:
        return await COMMANDS[args.command](unified, args, out)
