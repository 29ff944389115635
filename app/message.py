"""Render a notification's ``message``: Markdown that may hold inline HTML, written by others.

The mention messages Directus itself writes mix Markdown (``> quote``) with HTML (``<em>``,
``<a href>``). Converting the whole message with markdownify would wreck the Markdown (it joins
paragraphs into quotes, flattens nested lists, rewrites code and swallows ``x<y``), so only the
HTML fragments go through markdownify and the Markdown around them is left as written. Code
blocks and code spans are never touched.

Every link is rewritten: a target :func:`~app.sanitize.safe_url` accepts stays a link *and* is
shown next to its text (a reader on SSH must be able to read where a link goes); any other
target leaves only the link text. Images become ``[image: alt]`` text. The result is then parsed
with the same Markdown parser Textual's ``Markdown`` widget uses, and is only returned if every
link in it is http(s)/mailto, no raw HTML or image is left, and no text holds a control
character; otherwise the message is returned as inert, escaped plain text.

(Long because each of those steps has to hold for hostile input; they share the parking of HTML
fragments and the link rules, so they stay in one module.)
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.common.html_re import attribute
from markdown_it.common.utils import normalizeReference
from markdown_it.helpers import parseLinkDestination, parseLinkTitle
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from app.sanitize import clean, clean_line, safe_url

if TYPE_CHECKING:
    from bs4 import Tag

__all__ = ["summary", "to_markdown", "to_plain_text"]


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """The parser Textual's ``Markdown`` widget uses by default (with linkify)."""
    return MarkdownIt("gfm-like")


@lru_cache(maxsize=1)
def _plain_parser() -> MarkdownIt:
    """The same parser without the linkifier, which plain text has no use for (and is slow)."""
    return MarkdownIt("gfm-like").disable("linkify")


@lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    """The same parser, blocks only: where the code blocks and link definitions are."""
    return MarkdownIt("gfm-like").disable(["inline", "linkify", "text_join"])


# Rewritten pieces are parked in a store and replaced by a placeholder, so later passes cannot
# rewrite them again. STX/ETX cannot occur in the text: clean() has removed every C0 control.
_PLACEHOLDER = re.compile("\x02([0-9]+)\x03")


class _Rewrite:
    """The state of one message's rewrite: parked pieces, link definitions, link style."""

    def __init__(self, *, visible_urls: bool, references: dict[str, dict[str, str]]) -> None:
        self.visible_urls = visible_urls
        self.references = references
        self._parked: list[str] = []

    def park(self, markdown: str) -> str:
        self._parked.append(markdown)
        return f"\x02{len(self._parked) - 1}\x03"

    def unpark(self, text: str) -> str:
        def piece(match: re.Match[str]) -> str:
            index = int(match.group(1))
            return self._parked[index] if index < len(self._parked) else ""

        for _ in range(len(self._parked) + 1):
            unparked = _PLACEHOLDER.sub(piece, text)
            if unparked == text:
                break
            text = unparked
        return text

    def link(self, label: str, href: str | None) -> str:
        """A link to ``href`` whose text is the Markdown ``label``, parked."""
        url = safe_url(href)
        label = _defang_bare_links(label.strip())
        if url is None:
            return self.park(label)
        shown = clean_line(self.unpark(label))
        if not shown or shown in (url, (href or "").strip()):
            return self.park(f"<{url}>")
        link = f"[{_escape_brackets(label)}]({url})"
        return self.park(f"{link} (<{url}>)" if self.visible_urls else link)

    def media(self, kind: str, alt: str | None, src: str | None) -> str:
        """An image (or video/audio) as ``[image: alt]`` text, followed by its URL if safe."""
        alt = clean_line(self.unpark(alt or ""))
        text = _escape_markdown(f"[{kind}: {alt}]" if alt else f"[{kind}]")
        url = safe_url(src)
        if url is not None:
            text += f" (<{url}>)" if self.visible_urls else f" <{url}>"
        return self.park(text)


# --- HTML fragments -------------------------------------------------------------------------

# Left open, these hide the rest of the document from a browser: they hide the rest here too.
_RAW_TEXT_ELEMENTS = frozenset({"script", "style", "iframe"})
_VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
# markdown-it's own grammar for inline HTML, with names captured. The comment/processing/CDATA
# forms are bounded so that thousands of unterminated "<?" cannot make the scan slow.
_TAG = re.compile(
    rf"<(?P<open>[A-Za-z][A-Za-z0-9\-]*){attribute}*\s*(?P<self_closing>/?)>"
    r"|</(?P<close>[A-Za-z][A-Za-z0-9\-]*)\s*>"
    r"|<!---?>|<!--(?:[^-]|-[^-]|--[^>]){0,1000}-->"
    r"|<\?[\s\S]{0,1000}?\?>"
    r"|<![A-Za-z][^>]{0,1000}>"
    r"|<!\[CDATA\[[\s\S]{0,1000}?\]\]>"
)


@lru_cache(maxsize=1)
def _html_to_markdown() -> type[Any]:
    """The HTML converter class, made on first use: markdownify and BeautifulSoup take a third of
    a second to import (soupsieve compiles its selectors), and most messages hold no HTML. Until
    then, starting the app and rendering plain Markdown do not pay for them."""
    from bs4 import Tag
    from markdownify import ATX, BACKSLASH, MarkdownConverter, chomp  # type: ignore[attr-defined]

    class _HtmlToMarkdown(MarkdownConverter):
        """markdownify, told not to escape the Markdown around and inside the HTML."""

        def __init__(self, rewrite: _Rewrite) -> None:
            super().__init__(
                escape_asterisks=False,
                escape_underscores=False,
                escape_misc=False,
                heading_style=ATX,
                bullets="-",
                newline_style=BACKSLASH,
                strip_document=None,
            )
            self._rewrite = rewrite

        def escape(self, text: str, parent_tags: set[str]) -> str:
            # HTML text is text: "&lt;b&gt;" was decoded to "<b>" and must not become a tag again.
            return str(text).replace("&", "&amp;").replace("<", "&lt;")

        def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
            if "_noformat" in parent_tags:
                return text
            prefix, suffix, text = chomp(text)
            return f"{prefix}{self._rewrite.link(text, _attribute(el, 'href'))}{suffix}"

        def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
            return self._rewrite.media("image", _attribute(el, "alt"), _attribute(el, "src"))

        def convert_video(self, el: Tag, text: str, parent_tags: set[str]) -> str:
            source = el.find("source", attrs={"src": True})
            src = _attribute(el, "src") or (_attribute(source, "src") if isinstance(source, Tag) else None)
            return self._rewrite.media(el.name, text, src)

        convert_audio = convert_video

        def _hidden(self, el: Tag, text: str, parent_tags: set[str]) -> str:
            return ""

        convert_script = convert_style = convert_iframe = convert_frame = convert_frameset = _hidden
        convert_noscript = convert_template = convert_object = convert_embed = convert_applet = _hidden
        convert_svg = convert_math = convert_head = convert_title = _hidden

    return _HtmlToMarkdown


def _attribute(el: Tag, name: str) -> str | None:
    """An attribute as text (BeautifulSoup gives a list for attributes such as ``class``)."""
    value = el.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return value


def _html_fragments(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of each top-level HTML element or lone tag.

    An element runs from its opening tag to the matching closing tag (tags are matched per
    name). A tag with no partner is a lone fragment of its own, except an unclosed script,
    style or iframe, which (as in a browser) hides everything after it.
    """
    tags = [m for m in _TAG.finditer(text) if not _is_escaped(text, m.start())]
    partner: dict[int, int] = {}
    open_by_name: dict[str, list[int]] = defaultdict(list)
    for index, tag in enumerate(tags):
        opened, closed = tag.group("open"), tag.group("close")
        if opened and not tag.group("self_closing") and opened.lower() not in _VOID_ELEMENTS:
            open_by_name[opened.lower()].append(index)
        elif closed and open_by_name[closed.lower()]:
            partner[open_by_name[closed.lower()].pop()] = index
    index = 0
    while index < len(tags):
        tag = tags[index]
        name = (tag.group("open") or "").lower()
        if index in partner:
            closing = partner[index]
            yield tag.start(), tags[closing].end()
            index = closing + 1
        elif tag.group("open") and name in _RAW_TEXT_ELEMENTS and not tag.group("self_closing"):
            yield tag.start(), len(text)
            return
        else:
            yield tag.start(), tag.end()
            index += 1


_REST_OF_LINE_BLANK = re.compile(r"[ \t]*(?:\n|\Z)")


def _convert_html(text: str, rewrite: _Rewrite) -> str:
    converter = _html_to_markdown()(rewrite)
    converted: dict[str, str] = {}
    out: list[str] = []
    last = 0
    for start, end in _html_fragments(text):
        out.append(text[last:start])
        fragment = text[start:end]
        if fragment not in converted:
            try:
                converted[fragment] = converter.convert(fragment)
            except Exception:  # noqa: BLE001 - a parser crash on hostile HTML must not stop rendering
                converted[fragment] = _escape_markdown(_strip_tags(fragment))
        markdown = converted[fragment]
        newline = text.rfind("\n", last, start)
        if newline >= 0:
            before = text[newline + 1 : start]
        else:
            before = text[:start] if last == 0 else "another fragment"
        alone_on_its_lines = not before.strip() and _REST_OF_LINE_BLANK.match(text, end)
        if alone_on_its_lines:
            # A <br> on a line of its own: the line break is already there.
            out.append("" if markdown == "\\\n" else markdown)
        else:
            # Inside a line, block elements lose the blank lines around them; a hard line break
            # ("\\" + newline) keeps its newline, or the backslash would escape what follows.
            markdown = markdown.lstrip("\n")
            out.append(markdown if markdown.endswith("\\\n") else markdown.rstrip("\n"))
        last = end
    out.append(text[last:])
    return "".join(out)


def _strip_tags(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


# --- Markdown syntax ------------------------------------------------------------------------


def _is_escaped(text: str, at: int) -> bool:
    """Whether ``text[at]`` is preceded by an odd number of backslashes."""
    backslashes = 0
    while at - backslashes - 1 >= 0 and text[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


_ASCII_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def _escape_markdown(text: str) -> str:
    """``text`` that Markdown shows as written: every ASCII punctuation mark backslash-escaped.

    That also stops the linkifier: ``ftp\\://x`` and ``evil\\.com`` are not links.
    """
    return _ASCII_PUNCTUATION.sub(r"\\\1", text)


def _escape_brackets(label: str) -> str:
    return re.sub(r"\\*[\[\]]", lambda m: m.group() if len(m.group()) % 2 == 0 else "\\" + m.group(), label)


_BACKTICKS = re.compile("`+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _park_code_spans(text: str, rewrite: _Rewrite) -> str:
    """Park each code span verbatim: a run of backticks up to the next run of the same length."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    runs_by_length: dict[int, list[int]] = defaultdict(list)
    for index, (start, end) in enumerate(runs):
        runs_by_length[end - start].append(index)
    out: list[str] = []
    last = 0
    index = 0
    while index < len(runs):
        start, end = runs[index]
        if not _is_escaped(text, start):
            same_length = runs_by_length[end - start]
            position = bisect_right(same_length, index)
            if position < len(same_length):
                closing = same_length[position]
                closing_start, closing_end = runs[closing]
                if not _BLANK_LINE.search(text, end, closing_start):
                    out.append(text[last:start])
                    out.append(rewrite.park(text[start:closing_end]))
                    last = closing_end
                    index = closing + 1
                    continue
        index += 1
    out.append(text[last:])
    return "".join(out)


_AUTOLINK = re.compile(
    r"<(?P<url>[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\x00-\x20]*)>"
    r"|<(?P<email>[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*)>"
)


def _park_autolinks(text: str, rewrite: _Rewrite) -> str:
    def replace(match: re.Match[str]) -> str:
        if _is_escaped(text, match.start()):
            return match.group()
        if match.group("email"):
            address = match.group("email")
            url = safe_url(f"mailto:{address}")
            return rewrite.park(f"<{address}>" if url == f"mailto:{address}" else _escape_markdown(address))
        url = safe_url(match.group("url"))
        return rewrite.park(f"<{url}>" if url else _escape_markdown(match.group("url")))

    return _AUTOLINK.sub(replace, text)


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _drop_hidden_entities(text: str) -> str:
    """Drop character references to what clean() removes (``&#x202E;``, ``&rlm;``, ``&#27;``)."""

    def replace(match: re.Match[str]) -> str:
        decoded = html.unescape(match.group())
        return "" if clean(decoded, multiline=True) != decoded or decoded == "\ufffd" else match.group()

    return _ENTITY.sub(replace, text)


def _bracket_pairs(text: str) -> dict[int, int]:
    """Map the index of each ``[`` to its matching ``]`` (brackets nest; a blank line ends all)."""
    pairs: dict[int, int] = {}
    open_brackets: list[int] = []
    for match in _BRACKET_OR_BLANK_LINE.finditer(text):
        at = match.start()
        char = match.group()
        if char == "[" and not _is_escaped(text, at):
            open_brackets.append(at)
        elif char == "]" and open_brackets and not _is_escaped(text, at):
            pairs[open_brackets.pop()] = at
        elif char.startswith("\n"):
            open_brackets.clear()
    return pairs


_BRACKET_OR_BLANK_LINE = re.compile(r"[\[\]]|\n[ \t]*\n")
_TITLE_LIMIT = 2000


def _skip_space(text: str, position: int) -> int:
    """Skip spaces and tabs and at most one line break."""
    newlines = 0
    while position < len(text) and text[position] in " \t\n":
        if text[position] == "\n":
            newlines += 1
            if newlines > 1:
                break
        position += 1
    return position


def _link_target(
    text: str, position: int, label: str, pairs: dict[int, int], rewrite: _Rewrite
) -> tuple[str, int] | None:
    """``(href, end)`` of the link whose label ends just before ``position``, if it is one.

    Inline (``[t](href "title")``) or by reference (``[t][ref]``, ``[ref][]``, ``[ref]``) to a
    definition markdown-it found in the message.
    """
    if text.startswith("(", position):
        inside = _skip_space(text, position + 1)
        if text.startswith(")", inside):
            return "", inside + 1
        destination = parseLinkDestination(text, inside, len(text))
        if destination.ok:
            after = _skip_space(text, destination.pos)
            if destination.pos < after < len(text) and text[after] in "\"'(":
                title = parseLinkTitle(text, after, min(len(text), after + _TITLE_LIMIT))
                if title.ok:
                    after = _skip_space(text, title.pos)
            if text.startswith(")", after):
                return destination.str, after + 1
    end = position
    if position in pairs:
        closing = pairs[position]
        if closing > position + 1:
            label = text[position + 1 : closing]
        end = closing + 1
    reference = rewrite.references.get(normalizeReference(label))
    return (reference["href"], end) if reference else None


# Links cannot hold links; a deeper nest of labels is left for the final check to judge.
_NESTING_LIMIT = 8


def _rewrite_links(text: str, rewrite: _Rewrite, depth: int = 0) -> str:
    """Rewrite Markdown links and images (inline and by reference) through the ``_Rewrite``."""
    if "[" not in text or depth > _NESTING_LIMIT:
        return text
    pairs = _bracket_pairs(text)
    out: list[str] = []
    last = 0
    for position in sorted(pairs):
        if position < last:
            continue
        closing = pairs[position]
        label = text[position + 1 : closing]
        target = _link_target(text, closing + 1, label, pairs, rewrite)
        if target is None:
            continue
        href, end = target
        is_image = position > last and text[position - 1] == "!" and not _is_escaped(text, position - 1)
        out.append(text[last : position - 1 if is_image else position])
        if is_image:
            out.append(rewrite.media("image", label, href))
        else:
            out.append(rewrite.link(_rewrite_links(label, rewrite, depth + 1), href))
        last = end
    out.append(text[last:])
    return "".join(out)


# Bare text the widget's linkifier turns into a link to something other than http(s)/mailto:
# "ftp://..." and protocol-relative "//host/..." (its fuzzy links are http:// or mailto:).
_UNSAFE_BARE_LINK = re.compile(r"(?i:ftp):[^\s<>]*|(?<!:)//[^\s<>]*")


def _defang_bare_links(text: str) -> str:
    """Escape bare ``ftp://`` and ``//host`` URLs so that they show as text, not as links."""
    return _UNSAFE_BARE_LINK.sub(lambda m: _escape_markdown(m.group()), text)


_STRAY_SYNTAX = re.compile(r"<(?=[A-Za-z/!?])|\[")


def _escape_stray_syntax(text: str) -> str:
    """Escape what is left of link and HTML syntax once links and tags have been rewritten.

    A ``<`` that could still open raw HTML (an unfinished ``<div``) and a ``[`` that opened no
    link show as themselves. That also spares the widget's parser: it takes quadratic time
    trying to close thousands of ``![`` or ``[``.
    """
    return _STRAY_SYNTAX.sub(lambda m: m.group() if _is_escaped(text, m.start()) else "\\" + m.group(), text)


_EXTRA_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _rewrite_prose(text: str, rewrite: _Rewrite) -> str:
    text = _park_code_spans(text, rewrite)
    text = _drop_hidden_entities(text)
    text = _convert_html(text, rewrite)
    text = _rewrite_links(text, rewrite)
    text = _park_autolinks(text, rewrite)
    text = _defang_bare_links(text)
    text = _escape_stray_syntax(text)
    return _EXTRA_BLANK_LINES.sub("\n\n", text)


def _rewrite_prose_around_code(prose: str, rewrite: _Rewrite) -> str:
    """:func:`_rewrite_prose`, keeping the blank lines that make the code beside it a block."""
    rewritten = _rewrite_prose(prose, rewrite)
    if prose.startswith("\n") and not rewritten.startswith("\n"):
        rewritten = "\n" + rewritten
    if prose.endswith("\n") and not rewritten.endswith("\n"):
        rewritten += "\n"
    return rewritten


def _rewrite_message(message: str | None, *, visible_urls: bool) -> str:
    """The message as Markdown with every link, image and HTML fragment rewritten."""
    text = clean(message, multiline=True)
    env: dict[str, Any] = {}
    tokens = _block_parser().parse(text, env)
    references = env.get("references", {})
    rewrite = _Rewrite(visible_urls=visible_urls, references=references)
    lines = text.split("\n")
    # Every reference link is rewritten as an inline one, so the definitions can go. Left in,
    # a definition that markdown-it took as paragraph text would read as a link once rewritten.
    for reference in references.values():
        first, end = reference.get("map") or (0, 0)
        lines[first:end] = [""] * (end - first)
    code_blocks = sorted(tuple(token.map) for token in tokens if token.type in ("fence", "code_block") and token.map)
    pieces: list[str] = []
    line = 0
    for first, end in code_blocks:
        if first < line:
            continue
        pieces.append(_rewrite_prose_around_code("\n".join(lines[line:first]), rewrite))
        pieces.append("\n".join(lines[first:end]))
        line = end
    pieces.append(_rewrite_prose_around_code("\n".join(lines[line:]), rewrite))
    return clean(rewrite.unpark("\n".join(pieces)), multiline=True)


# --- Checking what the widget will see ------------------------------------------------------


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _is_safe_markdown(markdown: str) -> bool:
    """Whether the widget would show no raw HTML, no image, no link other than http(s)/mailto,
    and no text holding a control, bidi or zero-width character (entities included)."""
    for token in _walk(_parser().parse(markdown)):
        if token.type in ("html_block", "html_inline", "image"):
            return False
        if token.type == "link_open" and safe_url(str(token.attrs.get("href", ""))) is None:
            return False
        if token.content and clean(token.content, multiline=True) != token.content:
            return False
    return True


def _inert_markdown(plain: str) -> str:
    """Markdown that shows ``plain`` line by line and interprets nothing in it."""
    blocks = re.split(r"\n[ \t]*\n", plain.strip("\n"))
    return "\n\n".join(
        "\\\n".join(_escape_markdown(line.strip()) for line in block.split("\n") if line.strip()) for block in blocks
    )


def _code_block(plain: str) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(plain)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{plain}\n{fence}"


# --- Plain text -----------------------------------------------------------------------------


def _plain_inline(node: SyntaxTreeNode, *, show_urls: bool, markers: bool) -> str:
    parts: list[str] = []
    for child in node.children:
        kind = child.type
        if kind == "text":
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "code_inline":
            parts.append(f"`{child.content}`" if markers else child.content)
        elif kind == "link":
            text = _plain_inline(child, show_urls=show_urls, markers=markers)
            url = safe_url(str(child.attrs.get("href", "")))
            if child.markup == "autolink" and show_urls:
                parts.append(f"<{text}>")
            elif child.markup == "linkify" or not show_urls or url is None:
                parts.append(text)
            elif not text.strip() or text.strip() == url:
                parts.append(f"<{url}>")
            else:
                parts.append(f"{text} <{url}>")
        elif kind == "image":
            alt = _plain_inline(child, show_urls=show_urls, markers=markers)
            url = safe_url(str(child.attrs.get("src", "")))
            parts.append(f"[image: {alt}]" if alt else "[image]")
            if url and show_urls:
                parts.append(f" <{url}>")
        elif child.children:
            parts.append(_plain_inline(child, show_urls=show_urls, markers=markers))
    return "".join(parts)


def _prefix_lines(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0]] + [(rest + line) if line else rest.rstrip() for line in lines[1:]])


def _plain_blocks(nodes: list[SyntaxTreeNode], *, show_urls: bool, markers: bool, tight: bool = False) -> str:
    rendered = (_plain_block(node, show_urls=show_urls, markers=markers) for node in nodes)
    return ("\n" if tight else "\n\n").join(block for block in rendered if block)


def _plain_block(node: SyntaxTreeNode, *, show_urls: bool, markers: bool) -> str:
    kind = node.type
    options = {"show_urls": show_urls, "markers": markers}
    if kind == "inline":
        return _plain_inline(node, **options)
    if kind in ("paragraph", "heading"):
        return _plain_blocks(node.children, **options)
    if kind == "blockquote":
        inner = _plain_blocks(node.children, **options)
        return _prefix_lines(inner, "> ", "> ") if markers else inner
    if kind in ("bullet_list", "ordered_list"):
        tight = all(
            grandchild.hidden
            for item in node.children
            for grandchild in item.children
            if grandchild.type == "paragraph"
        )
        number = int(node.attrs.get("start", 1) or 1)
        items = []
        for offset, item in enumerate(node.children):
            inner = _plain_blocks(item.children, tight=tight, **options)
            if markers:
                marker = "- " if kind == "bullet_list" else f"{number + offset}. "
                inner = _prefix_lines(inner, marker, " " * len(marker))
            items.append(inner)
        return ("\n" if tight else "\n\n").join(items)
    if kind in ("fence", "code_block"):
        code = node.content.rstrip("\n")
        return _prefix_lines(code, "    ", "    ") if markers else code
    if kind == "hr":
        return "---" if markers else ""
    if kind == "html_block":
        return _strip_tags(node.content).strip()
    if kind in ("thead", "tbody", "table"):
        return "\n".join(_plain_block(child, **options) for child in node.children)
    if kind == "tr":
        return " | ".join(_plain_blocks(cell.children, **options) for cell in node.children)
    return _plain_blocks(node.children, **options)


def _render_plain(markdown: str, *, show_urls: bool, markers: bool) -> str:
    tree = SyntaxTreeNode(_plain_parser().parse(markdown))
    return _plain_blocks(tree.children, show_urls=show_urls, markers=markers)


# --- Public API -----------------------------------------------------------------------------

MAX_MESSAGE_CHARS = 50_000
"""Longer messages are cut (with a note saying so): parsing hostile Markdown of megabytes takes
Textual's Markdown widget, and this module, seconds to minutes."""
_SUMMARY_CHARS = 2_000


def _cut(message: str | None, limit: int) -> tuple[str, str | None]:
    """The cleaned message, cut at a line break near ``limit`` characters, and a note if cut."""
    text = clean(message, multiline=True)
    if len(text) <= limit:
        return text, None
    line_break = text.rfind("\n", limit // 2, limit)
    note = f"[message cut: showing {line_break if line_break > 0 else limit:,} of {len(text):,} characters]"
    return text[: line_break if line_break > 0 else limit], note


@lru_cache(maxsize=512)
def to_markdown(message: str | None) -> str:
    """The message as Markdown for Textual's ``Markdown`` widget.

    HTML becomes Markdown (``<em>x</em>`` -> ``*x*``); the Markdown already there is kept as
    written (no ``\\*``, ``\\_`` or ``\\>`` added; only a ``[`` that opens no link, or a
    ``<`` that could open HTML, is escaped). A link whose target is http(s)/mailto stays
    a link and is followed by its target: ``[Click here](http://x/y) (<http://x/y>)``; a link to
    anything else becomes its text; ``![alt](src)`` becomes ``[image: alt] (src)`` text.
    ``<script>``, ``<style>``, ``<iframe>`` go with their content. No raw HTML, no escape
    sequence, control, bidi or zero-width character is left; code spans and blocks are kept
    verbatim (cleaned), so HTML *shown as code* stays. If the result could still hold something
    unsafe, the message is returned as escaped plain text instead. Messages longer than
    :data:`MAX_MESSAGE_CHARS` are cut, with a note at the end.
    """
    text, note = _cut(message, MAX_MESSAGE_CHARS)
    markdown = _rewrite_message(text, visible_urls=True).strip("\n")
    if not _is_safe_markdown(markdown):
        plain = to_plain_text(text)
        markdown = _inert_markdown(plain)
        if not _is_safe_markdown(markdown):
            markdown = _code_block(plain)
    return "\n\n".join(part for part in (markdown, _escape_markdown(note or "")) if part)


@lru_cache(maxsize=512)
def to_plain_text(message: str | None) -> str:
    """The message as readable plain text for a terminal (the CLI's ``show``).

    Block quotes keep ``> ``, lists keep ``- `` / ``1. ``, code is indented four spaces,
    emphasis markers go, and a link reads ``text <url>`` (``<url>`` alone when the text is the
    URL; only the text when the target is not http(s)/mailto). Images read
    ``[image: alt] <url>``. Cleaned with ``clean(..., multiline=True)``. Messages longer than
    :data:`MAX_MESSAGE_CHARS` are cut, with a note at the end.
    """
    text, note = _cut(message, MAX_MESSAGE_CHARS)
    markdown = _rewrite_message(text, visible_urls=False)
    plain = clean(_render_plain(markdown, show_urls=True, markers=True), multiline=True).strip("\n")
    return "\n\n".join(part for part in (plain, note or "") if part)


@lru_cache(maxsize=4096)
def summary(message: str | None, width: int = 80) -> str:
    """The message on one line of at most ``width`` terminal cells, for list rows.

    No URLs and no Markdown markers; whitespace collapsed; cut with ``…`` when too long.
    """
    if width <= 0:
        return ""
    text, _note = _cut(message, _SUMMARY_CHARS)
    markdown = _rewrite_message(text, visible_urls=False)
    line = clean_line(_render_plain(markdown, show_urls=False, markers=False))
    if _cells(line) <= width:
        return line
    kept: list[str] = []
    used = 0
    for char in line:
        used += _cells(char)
        if used > width - 1:
            break
        kept.append(char)
    return clean("".join(kept).rstrip()) + "…"


def _cells(text: str) -> int:
    """Terminal cells ``text`` takes (East Asian wide/full-width: 2; combining/format: 0)."""
    total = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total
