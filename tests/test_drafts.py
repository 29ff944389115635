"""Drafts on disk, and the subject and quote of a reply (``app/drafts.py``)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.drafts import (
    CorruptDraftError,
    Draft,
    DraftFile,
    DraftRecipient,
    drafts_dir,
    form_errors,
    quote_message,
    reply_draft,
    reply_slot,
    reply_subject,
)
from app.models import Notification, User
from app.timefmt import local_time_numeric

MAYA = DraftRecipient(id="09d4924b-c7dd-5e1a-b8e3-37132d57dd93", label="Maya Okafor")


def a_draft(**fields) -> Draft:
    values = {"recipients": [MAYA], "subject": "Release", "message": "Ship it on **Friday**."}
    return Draft(**(values | fields))


# --- saving and loading -------------------------------------------------------------------------


def test_drafts_live_in_the_user_data_dir(isolated_dirs: Path) -> None:
    assert drafts_dir() == isolated_dirs / "data" / "directus-inbox" / "drafts"
    file = DraftFile.for_account("http://127.0.0.1:8055", "user-1")
    assert file.path.parent == drafts_dir()
    assert file.path.name.endswith("-new.json")


def test_a_saved_draft_loads_back_with_the_time_it_was_saved(tmp_path: Path) -> None:
    file = DraftFile(tmp_path / "drafts" / "d.json")
    before = datetime.now(UTC)
    saved = file.save(a_draft(to_text="tom", collection="articles", item="7"))

    loaded = file.load()

    assert loaded == saved
    assert loaded.recipients == [MAYA] and loaded.to_text == "tom"
    assert (loaded.subject, loaded.message) == ("Release", "Ship it on **Friday**.")
    assert (loaded.collection, loaded.item) == ("articles", "7")
    assert loaded.saved_at is not None and loaded.saved_at >= before


def test_no_draft_is_none_and_removing_it_twice_is_fine(tmp_path: Path) -> None:
    file = DraftFile(tmp_path / "d.json")
    assert file.load() is None
    file.save(a_draft())
    file.remove()
    file.remove()
    assert not file.exists() and file.load() is None


def test_accounts_and_slots_have_separate_files(tmp_path: Path) -> None:
    paths = {
        DraftFile.for_account("http://a", "u1", directory=tmp_path).path,
        DraftFile.for_account("http://b", "u1", directory=tmp_path).path,
        DraftFile.for_account("http://a", "u2", directory=tmp_path).path,
        DraftFile.for_account("http://a", "u1", reply_slot(7), directory=tmp_path).path,
    }
    assert len(paths) == 4
    assert DraftFile.for_account("http://a", "u1", "../../etc/x", directory=tmp_path).path.parent == tmp_path


def test_the_write_is_atomic_a_failed_write_leaves_the_old_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = DraftFile(tmp_path / "drafts" / "d.json")
    file.save(a_draft(subject="First"))

    def crash(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", crash)
        with pytest.raises(OSError):
            file.save(a_draft(subject="Second"))

    kept = file.load()
    assert kept is not None and kept.subject == "First"
    assert [path.name for path in file.path.parent.iterdir()] == ["d.json"], "the temporary file is cleaned up"


def test_the_file_is_plain_json_with_a_version(tmp_path: Path) -> None:
    file = DraftFile(tmp_path / "d.json")
    file.save(a_draft(message="Grüße, 👋"))
    data = json.loads(file.path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["message"] == "Grüße, 👋"
    assert data["recipients"] == [{"id": MAYA.id, "label": "Maya Okafor"}]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"recipients": "nobody"}', b"\xff\xfe\x00"])
def test_a_corrupt_file_is_kept_aside_with_a_clear_message(tmp_path: Path, content) -> None:
    file = DraftFile(tmp_path / "d.json")
    if isinstance(content, bytes):
        file.path.write_bytes(content)
    else:
        file.path.write_text(content, encoding="utf-8")

    with pytest.raises(CorruptDraftError) as raised:
        file.load()

    error = raised.value
    assert error.message.startswith("The saved draft could not be restored: ")
    kept_as = error.kept_as
    assert kept_as is not None and str(kept_as) in error.message
    assert kept_as.read_bytes() == (content if isinstance(content, bytes) else content.encode())
    assert file.load() is None, "the next compose starts fresh"
    file.save(a_draft())
    assert kept_as.exists(), "a new draft does not overwrite the corrupt one"


def test_blank_and_same_content() -> None:
    assert Draft().is_blank()
    assert Draft(subject="  ", message="\n").is_blank()
    assert not Draft(to_text="maya").is_blank()
    stamped = a_draft().model_copy(update={"saved_at": datetime.now(UTC)})
    assert stamped.same_content(a_draft())
    assert not a_draft(subject="Other").same_content(a_draft())


# --- replies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Budget", "Re: Budget"),
        ("Re: Budget", "Re: Budget"),
        ("RE: Re: re:Budget", "Re: Budget"),
        ("Aw: AW: Re: Budget", "Re: Budget"),
        ("Re[2]: Budget", "Re: Budget"),
        ("  re :  Budget  ", "Re: Budget"),
        ("Regarding: Budget", "Re: Regarding: Budget"),
        ("Fwd: Budget", "Re: Fwd: Budget"),
        ("", "Re: (no subject)"),
        (None, "Re: (no subject)"),
        ("Re:", "Re: (no subject)"),
        ("Budget\x1b[31m red\nline", "Re: Budget red line"),
    ],
)
def test_reply_subject_never_stacks_prefixes(subject, expected) -> None:
    assert reply_subject(subject) == expected
    assert reply_subject(reply_subject(subject)) == expected


def test_quote_message_quotes_every_line_under_who_wrote_it() -> None:
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    quoted = quote_message("Hello **team**,\n\nsee <em>this</em>.\x1b]52;c;x\x07", author="Rijk van Zanten", when=when)
    assert quoted == (
        f"On {local_time_numeric(when)}, Rijk van Zanten wrote:\n\n> Hello **team**,\n>\n> see <em>this</em>.\n"
    )


def test_quote_of_an_empty_message_and_unknown_date() -> None:
    assert quote_message(None, author="\u202eevil\n", when=None) == "On an unknown date, evil wrote:\n\n>\n"


def test_reply_draft_answers_the_sender_about_the_same_item() -> None:
    original = Notification(
        id=42,
        timestamp="2024-05-01T12:30:00.000Z",
        sender=MAYA.id,
        recipient="me",
        subject="RE: Review",
        message="Please look.",
        collection="articles",
        item=7,
    )

    draft = reply_draft(original, author="Maya Okafor")

    assert draft.recipients == [MAYA]
    assert draft.subject == "Re: Review"
    assert draft.message == f"\n\nOn {local_time_numeric(original.timestamp)}, Maya Okafor wrote:\n\n> Please look.\n"
    assert (draft.collection, draft.item, draft.reply_to) == ("articles", "7", 42)


def test_reply_draft_names_an_expanded_sender_or_falls_back_to_the_id() -> None:
    expanded = Notification(id=1, sender={"id": MAYA.id, "first_name": "Maya", "last_name": "Okafor"})
    assert reply_draft(expanded).recipients == [MAYA]
    bare = Notification(id=2, sender=MAYA.id)
    assert reply_draft(bare).recipients == [DraftRecipient(id=MAYA.id, label="09d4924b")]
    anonymous = Notification(id=3, sender=None, subject="System")
    assert reply_draft(anonymous).recipients == []


# --- what compose.send would refuse -------------------------------------------------------------


def test_form_errors_lists_every_field_at_once() -> None:
    errors = form_errors([], "  ", None, "7")
    assert set(errors) == {"to", "subject", "collection"}
    assert errors["to"].startswith("There is no recipient")
    assert errors["subject"].startswith("The subject is empty")
    assert errors["collection"].startswith("An item needs its collection")
    assert form_errors([User(id=MAYA.id), "tom"], "Hi", "articles", "7") == {}
