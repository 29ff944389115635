"""Make text from the server safe to put on a terminal.

Subjects, messages, user names and URLs are written by other people. Everything shown by the TUI
or printed by the CLI goes through :func:`clean` (or :func:`clean_line`), and every URL that may
become clickable goes through :func:`safe_url`.

Nothing here escapes Rich/Textual markup: the UI builds ``rich.text.Text`` /
``textual.content.Content`` objects from plain strings and never parses markup, so a ``[bold]``
typed by a sender is shown as the literal brackets. Escaping here would show backslashes instead.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

__all__ = ["clean", "clean_line", "safe_url"]

# Escape sequences are removed whole, so no parameter bytes are left behind as visible junk.
# An OSC/DCS/SOS/PM/APC string that is never terminated loses only its introducer: the rest is
# inert text once that is gone, and dropping it would let a stray ESC hide the rest of a message.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                    # CSI, 7-bit or 8-bit
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])                 # OSC, DCS, SOS, PM, APC ...
      [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)                   # ... up to BEL or ST
    | \x1b [ -/]* [0-~]                                       # any other ESC sequence
    | \x1b
    """,
    re.VERBOSE,
)

# Bidi embeddings/overrides/isolates/marks: they reorder what follows ("\u202etxt.exe").
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Invisible characters that hide or split words. ZWJ (U+200D) is handled separately.
_ZERO_WIDTH = "\u200b\u200c\u2060\ufeff"
# C0 controls except \t and \n, DEL, and the C1 controls (U+0080-U+009F).
_C0_C1 = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_REMOVED = re.compile(f"[{_C0_C1}{_BIDI}{_ZERO_WIDTH}]")
# A str can hold lone surrogates (JSON "\ud800" decodes to one); writing one to a UTF-8
# terminal raises UnicodeEncodeError, so each becomes U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS_MULTILINE = re.compile("\r\n|[\r\u2028\u2029]")
_LINE_BREAKS_SINGLE = re.compile("\r\n|[\r\n\t\u2028\u2029]")
_ZWJ = re.compile("\u200d")
_WHITESPACE_RUN = re.compile(r"\s+")

_SKIN_TONES = range(0x1F3FB, 0x1F400)


def _joins_emoji(match: re.Match[str]) -> str:
    """Keep a zero-width joiner only inside an emoji sequence such as a family or a rainbow flag."""
    text, at = match.string, match.start()
    before = text[at - 1] if at else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    before_is_emoji = bool(before) and (
        unicodedata.category(before) == "So" or ord(before) in _SKIN_TONES or before == "\ufe0f"
    )
    after_is_emoji = bool(after) and unicodedata.category(after) == "So"
    return match.group() if before_is_emoji and after_is_emoji else ""


def clean(text: str | None, *, multiline: bool = False) -> str:
    """Return ``text`` with nothing a terminal would act on, and nothing that hides or reorders text.

    - ESC-based and 8-bit (C1) escape sequences are removed whole: CSI (``ESC [``, U+009B),
      OSC including clipboard (OSC 52) and hyperlinks (OSC 8), DCS, SOS, PM, APC and two-char
      ESC sequences. Every other C0/C1 control and DEL is removed.
    - ``multiline=True``: ``\\n`` and ``\\t`` stay; CRLF, a lone CR and U+2028/U+2029 become
      ``\\n``, so a CR can never overwrite what came before on the same line.
      ``multiline=False``: CR, LF, tab and U+2028/U+2029 become a space.
    - Bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) and zero-width
      characters (U+200B, U+200C, U+2060, U+FEFF) are removed. A zero-width joiner (U+200D) is
      kept only between two emoji (so family and flag emoji stay whole) and removed elsewhere.
    - A lone surrogate (which cannot be written to a UTF-8 terminal) becomes U+FFFD.
    - ``None`` gives ``""``; anything else not a ``str`` goes through ``str()`` first.
      Never raises on a ``str``; idempotent.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = _ESCAPE_SEQUENCE.sub("", text)
    if multiline:
        text = _LINE_BREAKS_MULTILINE.sub("\n", text)
    else:
        text = _LINE_BREAKS_SINGLE.sub(" ", text)
    text = _REMOVED.sub("", text)
    text = _SURROGATE.sub("\ufffd", text)
    if "\u200d" in text:
        text = _ZWJ.sub(_joins_emoji, text)
    return text


def clean_line(text: str | None) -> str:
    """:func:`clean` for one line: runs of whitespace become one space, and the ends are stripped."""
    return _WHITESPACE_RUN.sub(" ", clean(text)).strip()


_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# What a browser silently drops from a URL: leading/trailing C0 controls and spaces anywhere
# and ASCII tab/newline inside (WHATWG URL standard). Dropping them the same way means the
# scheme checked here is the scheme a browser would see ("java\tscript:" is "javascript:").
_URL_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_TAB_NEWLINE = re.compile("[\t\n\r]")
# Characters that could end a Markdown link, a markup attribute or a quoted string, or that a
# reader cannot see: they are percent-encoded, which keeps the URL pointing at the same place.
_URL_ENCODE = {ch: f"%{ord(ch):02X}" for ch in " \"'<>\\`()[]{}|^"}


def _percent_encode_unsafe(url: str) -> str:
    out = []
    for ch in url:
        if ch in _URL_ENCODE:
            out.append(_URL_ENCODE[ch])
        elif ch.isspace():
            out.append("".join(f"%{byte:02X}" for byte in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _ascii_host(netloc: str) -> str | None:
    """The netloc with an internationalised host in punycode (so look-alike letters show)."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    if not host or (port and not (port.isascii() and port.isdigit())):
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return f"{userinfo}{at}{host}{colon}{port}"


def safe_url(url: str | None) -> str | None:
    """Return ``url`` cleaned if it is an http, https or mailto URL, else ``None``.

    - The scheme is read after removing what a browser ignores (surrounding whitespace and
      controls, tabs/newlines inside) and every control/bidi/zero-width character; it is
      matched case-insensitively and returned lowercase. ``javascript:``, ``data:``,
      ``file:``, ``ssh:``, protocol-relative (``//host``) and relative URLs give ``None``.
    - http(s) URLs need a host; a non-ASCII host is returned in punycode (``xn--...``).
      Bracketed IPv6 hosts are refused, because the returned URL never holds ``[`` or ``]``.
    - The returned URL holds no whitespace, control character, quote, backslash, backtick,
      ``<>()[]{}|^``: those are percent-encoded. It can be put in a Markdown link
      ``[text](url)`` or a markup attribute without breaking out of it.
    - ``safe_url(safe_url(u)) == safe_url(u)``. Never raises on a ``str``.
    """
    if url is None:
        return None
    if not isinstance(url, str):
        url = str(url)
    url = _URL_EDGES.sub("", url)
    url = _URL_TAB_NEWLINE.sub("", url)
    url = clean(url)
    url = _percent_encode_unsafe(url)
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        return None
    scheme = scheme_match.group(1).lower()
    if scheme not in _SAFE_SCHEMES:
        return None
    rest = url[scheme_match.end() :]
    if scheme == "mailto":
        return f"mailto:{rest}" if rest else None
    try:
        parts = urlsplit(f"{scheme}:{rest}")
    except ValueError:
        return None
    if not rest.startswith("//") or not parts.netloc:
        return None
    netloc = _ascii_host(parts.netloc)
    if netloc is None:
        return None
    return str(urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment)))
