"""A notification's message reads naturally, and nothing in it can act on the reader's behalf."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app.message import MAX_MESSAGE_CHARS, summary, to_markdown, to_plain_text

# The "mention example" of the Directus API reference (seeds/notifications-api.md).
MENTION = (
    "\nHello admin@example.com,\n\rijk@directus.io has mentioned you in a comment:\n\n"
    "> Hello <em>admin@example.com</em>!\n\n"
    '<a href="http://localhost:8080/admin/content/articles/1">Click here to view.</a>\n'
)
ARTICLE_URL = "http://localhost:8080/admin/content/articles/1"


@dataclass
class WidgetView:
    """What Textual's Markdown widget makes of some Markdown (it parses with markdown-it "gfm-like")."""

    text: str = ""
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    raw_html: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


def widget_view(markdown: str) -> WidgetView:
    view = WidgetView()
    texts: list[str] = []
    in_quote = 0

    def walk(tokens):
        nonlocal in_quote
        for token in tokens:
            if token.type == "blockquote_open":
                in_quote += 1
            elif token.type == "blockquote_close":
                in_quote -= 1
            elif token.type == "link_open":
                view.links.append(token.attrs["href"])
            elif token.type == "image":
                view.images.append(token.attrs["src"])
            elif token.type in ("html_inline", "html_block"):
                view.raw_html.append(token.content)
            elif token.type in ("text", "code_inline", "fence", "code_block"):
                texts.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                texts.append("\n")
            elif token.type == "inline" and in_quote:
                view.quotes.append(token.content)
            if token.children:
                walk(token.children)

    walk(MarkdownIt("gfm-like").parse(markdown))
    view.text = "".join(texts)
    return view


def assert_safe_for_the_widget(markdown: str) -> WidgetView:
    view = widget_view(markdown)
    assert view.raw_html == []
    assert view.images == []
    assert all(link.split(":", 1)[0] in ("http", "https", "mailto") for link in view.links), view.links
    assert_no_hidden_characters(view.text)
    return view


def assert_no_hidden_characters(text: str) -> None:
    assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t"]
    assert not [
        ch
        for ch in text
        if ch in "\u061c\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
    ]


# --- The mention example --------------------------------------------------------------------


def test_the_mention_example_reads_as_markdown_with_a_quote_and_a_visible_link():
    markdown = to_markdown(MENTION)
    assert markdown == (
        "Hello admin@example.com,\n\n"
        "ijk@directus.io has mentioned you in a comment:\n\n"
        "> Hello *admin@example.com*!\n\n"
        f"[Click here to view.]({ARTICLE_URL}) (<{ARTICLE_URL}>)"
    )
    view = assert_safe_for_the_widget(markdown)
    assert view.quotes == ["Hello *admin@example.com*!"]
    assert f"Click here to view. ({ARTICLE_URL})" in view.text
    assert set(view.links) == {ARTICLE_URL, "mailto:admin@example.com", "mailto:ijk@directus.io"}


def test_the_mention_example_as_plain_text_for_the_cli():
    assert to_plain_text(MENTION) == (
        "Hello admin@example.com,\n\n"
        "ijk@directus.io has mentioned you in a comment:\n\n"
        "> Hello admin@example.com!\n\n"
        f"Click here to view. <{ARTICLE_URL}>"
    )


def test_the_mention_example_as_a_list_row():
    assert summary(MENTION) == ("Hello admin@example.com, ijk@directus.io has mentioned you in a comment: Hello…")
    assert summary(MENTION, width=200) == (
        "Hello admin@example.com, ijk@directus.io has mentioned you in a comment: "
        "Hello admin@example.com! Click here to view."
    )


# --- Markdown already in the message is kept ------------------------------------------------


def test_markdown_around_html_is_kept_as_written():
    message = (
        "# Weekly report\n\n"
        "Some **bold**, _italic_ and `inline <b>code</b>` with a snake_case_name and 2*3*4.\n"
        "A second line.  \nA hard break.\n\n"
        "> quoted line one\n> quoted <strong>two</strong>\n\n"
        "- first\n  - nested <em>item</em>\n- second\n\n"
        "1. one\n2. two\n\n"
        "```html\n<script>alert(1)</script> [x](javascript:y)\n    indented\n```\n\n"
        "| a | b |\n|---|---|\n| <i>1</i> | 2 |\n"
    )
    markdown = to_markdown(message)
    assert markdown == (
        "# Weekly report\n\n"
        "Some **bold**, _italic_ and `inline <b>code</b>` with a snake_case_name and 2*3*4.\n"
        "A second line.  \nA hard break.\n\n"
        "> quoted line one\n> quoted **two**\n\n"
        "- first\n  - nested *item*\n- second\n\n"
        "1. one\n2. two\n\n"
        "```html\n<script>alert(1)</script> [x](javascript:y)\n    indented\n```\n\n"
        "| a | b |\n|---|---|\n| *1* | 2 |"
    )
    for escaped in ("\\*", "\\_", "\\>", "\\#"):
        assert escaped not in markdown
    assert_safe_for_the_widget(markdown)


def test_html_is_converted_with_atx_headings_dash_bullets_and_line_breaks():
    markdown = to_markdown("<h2>Release</h2>\n<ul><li>one</li><li><b>two</b></li></ul>\n<p>a<br>b</p>")
    assert markdown == "## Release\n\n- one\n- **two**\n\na\\\nb"
    assert widget_view(markdown).text == "Releaseonetwoa\nb"


def test_paragraphs_in_html_stay_paragraphs():
    assert to_markdown("<p>First</p>\n<p>Second</p>") == "First\n\nSecond"


def test_code_in_html_is_kept_as_code():
    markdown = to_markdown("<pre>if a < b:\n    go()</pre> and <code>x &lt; y</code>")
    assert "if a < b:\n    go()" in widget_view(markdown).text
    assert "x < y" in widget_view(markdown).text


def test_html_entities_show_as_text_never_as_tags():
    markdown = to_markdown("5 &lt; 6 &amp;&amp; <em>&lt;em&gt;not a tag&lt;/em&gt;</em> AT&amp;T")
    view = assert_safe_for_the_widget(markdown)
    assert view.text == "5 < 6 && <em>not a tag</em> AT&T"


# --- Links and images -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        '<a href="http://x.example/y">Open</a>',
        "[Open](http://x.example/y)",
        '[Open](<http://x.example/y> "a title")',
        "[Open][ref]\n\n[ref]: http://x.example/y",
    ],
)
def test_a_safe_link_stays_a_link_and_shows_where_it_goes(message):
    markdown = to_markdown(message)
    view = assert_safe_for_the_widget(markdown)
    assert view.links == ["http://x.example/y", "http://x.example/y"]
    assert view.text.startswith("Open (http://x.example/y)")
    assert to_plain_text(message) == "Open <http://x.example/y>"


def test_a_link_whose_text_is_its_url_is_shown_once():
    for message in ('<a href="https://x.example/">https://x.example/</a>', "<https://x.example/>"):
        markdown = to_markdown(message)
        assert markdown == "<https://x.example/>"
        assert to_plain_text(message) == "<https://x.example/>"


def test_a_deceptive_link_text_cannot_hide_the_real_target():
    markdown = to_markdown('<a href="http://evil.example/login">https://bank.example/login</a>')
    assert widget_view(markdown).text == "https://bank.example/login (http://evil.example/login)"


UNSAFE_TARGETS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "jav&#x61;script:alert(1)",
    "data:text/html,<script>x</script>",
    "vbscript:msgbox",
    "file:///etc/passwd",
    "ssh://host",
    "app.quit",
    "@click=app.quit",
    "/relative/path",
    "//evil.example/x",
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_a_link_to_anything_but_http_https_or_mailto_is_just_its_text(target):
    for message in (f'<a href="{target}">Click me</a>', f"[Click me]({target})"):
        view = assert_safe_for_the_widget(to_markdown(message))
        assert view.links == []
        assert view.text == "Click me"
        assert to_plain_text(message) == "Click me"


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_a_reference_link_to_an_unsafe_target_is_never_clickable(target):
    # markdown-it refuses javascript:, vbscript:, file: and data: definitions outright, so
    # those messages show their brackets and the definition as written: still inert text.
    message = f"[Click me][r]\n\n[r]: {target}"
    view = assert_safe_for_the_widget(to_markdown(message))
    assert view.links == []
    assert "Click me" in view.text
    assert "Click me" in to_plain_text(message)


def test_autolinks_and_bare_urls_are_only_clickable_when_http_https_or_mailto():
    markdown = to_markdown(
        "<https://ok.example/a> <ssh://host/x> ftp://files.example/f //evil.example/p www.example.com "
        "<admin@example.com>"
    )
    view = assert_safe_for_the_widget(markdown)
    assert view.links == ["https://ok.example/a", "http://www.example.com", "mailto:admin@example.com"]
    assert view.text == (
        "https://ok.example/a ssh://host/x ftp://files.example/f //evil.example/p www.example.com admin@example.com"
    )


@pytest.mark.parametrize(
    ("message", "shown", "plain"),
    [
        (
            '<img src="http://img.example/cat.png" alt="A cat">',
            "[image: A cat] (http://img.example/cat.png)",
            "[image: A cat] <http://img.example/cat.png>",
        ),
        (
            "![A cat](http://img.example/cat.png)",
            "[image: A cat] (http://img.example/cat.png)",
            "[image: A cat] <http://img.example/cat.png>",
        ),
        ("![tracker](data:image/png;base64,iVBORw0KGgo=)", "[image: tracker]", "[image: tracker]"),
        ('<img src="javascript:alert(1)">', "[image]", "[image]"),
    ],
)
def test_images_become_text_with_their_url(message, shown, plain):
    markdown = to_markdown(message)
    view = assert_safe_for_the_widget(markdown)
    assert view.text == shown
    assert to_plain_text(message) == plain


# --- Hostile messages -----------------------------------------------------------------------


def test_script_style_and_iframe_go_with_their_content():
    markdown = to_markdown(
        "Hi<script>alert('x')</script><style>body{display:none}</style>"
        '<iframe src="http://evil.example">fallback</iframe> there'
    )
    assert markdown == "Hi there"


def test_an_unclosed_script_hides_the_rest_as_a_browser_would():
    assert to_markdown("Visible\n\n<script>alert(1)\n\nstill script") == "Visible"


HOSTILE_MESSAGES = [
    "\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07Hello\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "\x9b31mred\x9d8;;http://evil.example\x9c \x07\x00\x08\x08\x08xxx",
    "rm -rf ~/\rls -l",
    "\u202etxt.exe \u200bpay\u200cpal &#x202E;evil &rlm; &#27;[2J &#x9b;",
    "[bold red]x[/] [@click=app.quit]q[/] [link=file:///etc/passwd]x[/link]",
    '<a href="javascript:alert(1)"><img src="x" onerror="alert(1)">Click</a>',
    "<svg onload=alert(1)><text>svg text</text></svg> <object data=x>obj</object>",
    "<div\n[x](ssh://h)",
    "<!-- hidden --> <?php echo 1; ?> <![CDATA[ cdata ]]> <!DOCTYPE html>",
    "[a [b](javascript:x) c](http://ok.example) [[nested]](file:///x)",
    "`code` ``x`` [`x`](javascript:y) <`x`>",
    "日本語のテキスト 👨‍👩‍👧 <em>強調</em> 🏳️‍🌈",
]


@pytest.mark.parametrize("message", HOSTILE_MESSAGES)
def test_hostile_messages_render_safely_everywhere(message):
    view = assert_safe_for_the_widget(to_markdown(message))
    assert "[@click" not in "".join(view.links)
    plain = to_plain_text(message)
    assert_no_hidden_characters(plain)
    assert "<a" not in plain and "<img" not in plain and "<script" not in plain
    line = summary(message, width=40)
    assert "\n" not in line
    assert_no_hidden_characters(line)


def test_rich_and_textual_markup_in_a_message_is_shown_literally():
    message = "[bold red]x[/] [@click=app.quit]q[/] [link=file:///etc/passwd]x[/link]"
    assert widget_view(to_markdown(message)).text == message
    assert to_plain_text(message) == message
    assert summary(message) == message


def test_emoji_and_cjk_survive_rendering():
    message = "日本語のテキスト 👨‍👩‍👧 <em>強調</em> 🏳️‍🌈"
    assert to_markdown(message) == "日本語のテキスト 👨‍👩‍👧 *強調* 🏳️‍🌈"
    assert to_plain_text(message) == "日本語のテキスト 👨‍👩‍👧 強調 🏳️‍🌈"


@pytest.mark.parametrize(
    "message",
    [
        "![" * 20_000,
        "[a](" * 10_000,
        "<em>x</em>" * 3_000,
        "<a" + " b=c" * 10_000,
        "&#x202E;" * 10_000,
        "\x1b]52;c;" * 10_000,
        "`" * 20_000,
    ],
    ids=["open-images", "open-links", "many-tags", "endless-tag", "many-entities", "many-osc", "backticks"],
)
def test_long_hostile_messages_render_safely(message):
    assert_safe_for_the_widget(to_markdown(message))
    assert_no_hidden_characters(to_plain_text(message))


def test_a_huge_message_is_cut_with_a_note():
    message = "line of text\n" * 10_000
    markdown = to_markdown(message)
    assert len(markdown) <= MAX_MESSAGE_CHARS + 200
    assert markdown.endswith("characters\\]")
    assert "of 130,000 characters]" in to_plain_text(message)


@pytest.mark.parametrize("message", [None, "", "\n\r\n"])
def test_an_empty_message_renders_as_nothing(message):
    assert to_markdown(message) == ""
    assert to_plain_text(message) == ""
    assert summary(message) == ""


def test_summary_fits_the_width_in_terminal_cells():
    assert summary("日本語" * 20, width=10) == "日本語日…"
    assert summary("word " * 40, width=20) == "word word word word…"
    assert summary("short", width=20) == "short"
    assert summary("anything", width=0) == ""


# --- Properties -----------------------------------------------------------------------------

# Messages assembled from the pieces hostile messages are made of.
PIECES = [
    '<a href="javascript:alert(1)">',
    "<a href='http://ok.example/a'>",
    "<a href=ssh://h>",
    "</a>",
    "<em>",
    "</em>",
    "<p>",
    "</p>",
    "<br>",
    "<img src=x alt=y>",
    "<script>",
    "</script>",
    "<div",
    ">",
    "<",
    "&lt;",
    "&#x202E;",
    "&amp;",
    "[",
    "]",
    "(",
    ")",
    "![",
    "](",
    "javascript:alert(1)",
    "http://ok.example/p",
    "ftp://x.example/f",
    "//evil.example",
    "www.ok.example",
    "a@b.example",
    "<http://ok.example>",
    "<ssh://h>",
    "`",
    "```",
    "\n",
    "\n\n",
    "    ",
    "> ",
    "- ",
    "1. ",
    "*",
    "_",
    "[r]: ssh://h\n",
    "[r]",
    "\x1b[2J",
    "\x9b",
    "\u202e",
    "\u200b",
    "\r",
    "日本",
    "👨‍👩‍👧",
    "text ",
    "[@click=app.quit]",
    "[/]",
    "\\",
]
messages = st.one_of(st.lists(st.sampled_from(PIECES), max_size=40).map("".join), st.text(max_size=200))


@settings(deadline=None, max_examples=300)
@given(messages)
def test_any_message_renders_safely_for_the_widget_the_cli_and_the_list(message):
    markdown = to_markdown(message)
    assert_safe_for_the_widget(markdown)
    assert "\r" not in markdown
    plain = to_plain_text(message)
    assert_no_hidden_characters(plain)
    line = summary(message, width=30)
    assert "\n" not in line and "\t" not in line
    assert_no_hidden_characters(line)
