"""Text from the server cannot drive the terminal, hide or reorder text, or pass as markup."""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from app.sanitize import clean, clean_line, safe_url

ESC = "\x1b"
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = set("\u200b\u200c\u2060\ufeff")

# (what the server sent, what the user sees)
HOSTILE_TEXT = [
    pytest.param(f"before{ESC}[2Jafter", "beforeafter", id="clear-screen"),
    pytest.param(f"{ESC}[?1049h{ESC}[H{ESC}[31mred{ESC}[0m", "red", id="alt-screen-and-colour"),
    pytest.param(f"copy{ESC}]52;c;cm0gLXJmIH4=\x07me", "copyme", id="osc52-clipboard-bel"),
    pytest.param(f"copy{ESC}]52;c;cm0gLXJmIH4={ESC}\\me", "copyme", id="osc52-clipboard-st"),
    pytest.param(f"{ESC}]8;;http://evil.example{ESC}\\Your bank{ESC}]8;;{ESC}\\", "Your bank", id="osc8-hyperlink"),
    pytest.param(f"{ESC}]0;pwned title\x07hi", "hi", id="osc-window-title"),
    pytest.param(f"{ESC}P+q544e{ESC}\\x", "x", id="dcs-query"),
    pytest.param(f"{ESC}_apc payload{ESC}\\x", "x", id="apc"),
    pytest.param(f"{ESC}^pm payload\x07x", "x", id="pm"),
    pytest.param(f"{ESC}Xsos payload{ESC}\\x", "x", id="sos"),
    pytest.param(f"{ESC}(0x{ESC}(B", "x", id="charset-switch"),
    pytest.param(f"{ESC}cx{ESC}7{ESC}8", "x", id="reset-and-cursor-save"),
    pytest.param("\x9b31mred\x9b0m", "red", id="c1-csi"),
    pytest.param("\x9d8;;http://evil.example\x9clink", "link", id="c1-osc-hyperlink"),
    pytest.param("\x9052;payload\x9cx", "x", id="c1-dcs"),
    pytest.param("ding\x07dong", "dingdong", id="bel"),
    pytest.param("nul\x00l", "null", id="nul"),
    pytest.param("delete\x7dme\x7f", "delete}me", id="del"),
    pytest.param("next\x85line", "nextline", id="c1-nel"),
    pytest.param("vertical\x0btab\x0cfeed", "verticaltabfeed", id="vt-ff"),
    pytest.param("password\x08\x08\x08\x08\x08\x08\x08\x08********", "password********", id="backspace-overwrite"),
    pytest.param("\u202etxt.exe", "txt.exe", id="bidi-override"),
    pytest.param(
        "invoice\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u200e\u200f\u061c.pdf", "invoice.pdf", id="bidi-all"
    ),
    pytest.param("pay\u200bpal\u200c\u2060\ufeff", "paypal", id="zero-width"),
    pytest.param("a\u200db", "ab", id="zwj-outside-emoji"),
    pytest.param("[bold red]x[/]", "[bold red]x[/]", id="rich-markup-kept-literal"),
    pytest.param("[@click=app.quit]q[/]", "[@click=app.quit]q[/]", id="textual-action-kept-literal"),
    pytest.param("[link=file:///etc/passwd]x[/link]", "[link=file:///etc/passwd]x[/link]", id="rich-link-kept-literal"),
    pytest.param(
        "日本語のテキスト 👨‍👩‍👧 🏳️‍🌈 👩🏽‍💻 ❤️‍🔥 café ñ",
        "日本語のテキスト 👨‍👩‍👧 🏳️‍🌈 👩🏽‍💻 ❤️‍🔥 café ñ",
        id="cjk-emoji-intact",
    ),
    pytest.param("broken\ud800json\udfff", "broken\ufffdjson\ufffd", id="lone-surrogates"),
    pytest.param(None, "", id="none"),
]


@pytest.mark.parametrize(("sent", "seen"), HOSTILE_TEXT)
def test_hostile_text_is_shown_without_its_control_sequences(sent, seen):
    assert clean(sent) == seen
    assert clean(sent, multiline=True) == seen


def test_an_unterminated_osc_loses_its_introducer_and_the_rest_stays_readable():
    assert clean(f"{ESC}]52;c;cm0gLXJmIH4= and more") == "52;c;cm0gLXJmIH4= and more"


def test_carriage_return_cannot_overwrite_what_came_before():
    spoof = "rm -rf ~/\rls -l   "
    assert clean(spoof, multiline=True) == "rm -rf ~/\nls -l   "
    assert clean(spoof) == "rm -rf ~/ ls -l   "


def test_line_endings_are_normalised_in_multiline_text():
    assert clean("a\r\nb\rc\nd\u2028e\u2029f", multiline=True) == "a\nb\nc\nd\ne\nf"
    assert clean("\nHello,\n\rworld", multiline=True) == "\nHello,\n\nworld"


def test_single_line_text_turns_line_breaks_and_tabs_into_spaces():
    assert clean("a\r\nb\nc\td") == "a b c d"
    assert clean("a\tb", multiline=True) == "a\tb"


def test_clean_line_collapses_whitespace_and_strips():
    assert clean_line("  Re:\t\tYour\n\n  invoice \u3000 ") == "Re: Your invoice"
    assert clean_line(None) == ""


def test_very_long_hostile_text_is_cleaned_whole():
    sent = ("A" * 100_000 + f"{ESC}[2J" + "\u202e" + "日本" + "\x9b31m") * 10
    assert clean(sent) == ("A" * 100_000 + "日本") * 10


def render_with_rich(text: Text) -> tuple[str, list]:
    """What a truecolor terminal receives, and the styled segments Rich produced."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, color_system="truecolor", width=200)
    segments = list(console.render(text))
    console.print(text)
    return screen.getvalue(), segments


@pytest.mark.parametrize(
    "sent",
    [
        "[bold red]x[/]",
        "[@click=app.quit]q[/]",
        "[link=file:///etc/passwd]x[/link]",
        f"{ESC}]8;;http://evil.example{ESC}\\[b]x[/b]{ESC}]8;;{ESC}\\",
    ],
)
def test_rich_shows_server_text_as_literal_brackets_never_as_style_or_link(sent):
    output, segments = render_with_rich(Text(clean(sent)))
    shown = output.strip()
    assert shown == clean(sent)
    assert "[" in shown and "]" in shown
    assert ESC not in output
    for segment in segments:
        assert segment.style is None or (not segment.style.link and not segment.style.meta and not segment.style.bold)


def test_the_markup_check_above_would_catch_markup_being_parsed():
    _, segments = render_with_rich(Text.from_markup("[link=file:///etc/passwd]x[/link]"))
    assert any(segment.style is not None and segment.style.link for segment in segments)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("http://localhost:8080/admin/content/articles/1", "http://localhost:8080/admin/content/articles/1"),
        ("  HTTPS://Example.com/a?b=c#d  ", "https://Example.com/a?b=c#d"),
        ("mailto:admin@example.com", "mailto:admin@example.com"),
        ("MailTo:admin@example.com?subject=Hi there", "mailto:admin@example.com?subject=Hi%20there"),
        (
            "http://x.example/a b\"c'd<e>f(g)h[i]j`k\\l{m}n|o^p",
            "http://x.example/a%20b%22c%27d%3Ce%3Ef%28g%29h%5Bi%5Dj%60k%5Cl%7Bm%7Dn%7Co%5Ep",
        ),
        ("http://x.example/\u202etxt.exe", "http://x.example/txt.exe"),
        (f"http://x.example/{ESC}[2Jpage", "http://x.example/page"),
        ("http://ex\u00e4mple.com/", "http://xn--exmple-cua.com/"),
        ("http://evil.example\\@good.example/", "http://evil.example%5C@good.example/"),
    ],
)
def test_safe_url_keeps_http_https_mailto_cleaned(sent, expected):
    assert safe_url(sent) == expected


@pytest.mark.parametrize(
    "sent",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "jav\u200bascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "ssh://host",
        "ftp://host/x",
        "app.quit",
        "@click=app.quit",
        "/admin/content",
        "//evil.example/x",
        "http:evil.example",
        "http://",
        "mailto:",
        "http://[::1]:8055/",
        "http://x.example:80a/",
        "\uff4aavascript:alert(1)",
    ],
)
def test_safe_url_refuses_everything_else(sent):
    assert safe_url(sent) is None


ALLOWED_IN_MULTILINE = {"\n", "\t"}


def assert_terminal_safe(text: str, *, multiline: bool) -> None:
    allowed = ALLOWED_IN_MULTILINE if multiline else set()
    assert ESC not in text
    assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in allowed]
    assert not BIDI_CONTROLS & set(text)
    assert not INVISIBLE & set(text)
    text.encode("utf-8")  # no lone surrogate: the terminal can be written to


# Text that is mostly escape-sequence material, so hypothesis explores the sequence parser.
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            [
                ESC,
                "[",
                "]",
                "\\",
                "\x07",
                "\x9b",
                "\x9c",
                "\x9d",
                "\x90",
                "P",
                "_",
                "^",
                "X",
                ";",
                "0",
                "2",
                "J",
                "m",
                "\r",
                "\n",
                "\t",
                "\u202e",
                "\u200d",
                "\u200b",
                "👩",
                "\ufe0f",
                "\U0001f3fd",
                "\ud800",
                "a",
                " ",
            ]
        ),
        st.characters(),
    )
)


@given(st.one_of(st.text(), hostile_text), st.booleans())
def test_clean_output_is_always_terminal_safe_and_idempotent(text, multiline):
    cleaned = clean(text, multiline=multiline)
    assert_terminal_safe(cleaned, multiline=multiline)
    assert clean(cleaned, multiline=multiline) == cleaned


@given(st.one_of(st.text(), hostile_text))
def test_clean_line_is_one_trimmed_line(text):
    line = clean_line(text)
    assert_terminal_safe(line, multiline=False)
    assert line == line.strip()
    assert "  " not in line
    assert clean_line(line) == line


printable_text = st.lists(
    st.one_of(
        st.characters(categories=("L", "M", "N", "P", "S", "Zs")),
        st.sampled_from(["\n", "\t", "日本語", "😀", "👍🏽", "🏳️‍🌈", "👨‍👩‍👧", "❤️‍🔥", "[bold]", "[/]"]),
    )
).map("".join)


@given(printable_text)
def test_printable_text_letters_cjk_and_emoji_come_back_unchanged(text):
    assert clean(text, multiline=True) == text


@given(
    st.one_of(
        st.text(), hostile_text, st.from_regex(r"\A(?i:https?|mailto|javascript|data)?:?/{0,2}.*", fullmatch=True)
    )
)
def test_safe_url_only_ever_returns_a_clean_http_https_or_mailto_url(text):
    url = safe_url(text)
    if url is None:
        return
    assert url.split(":", 1)[0] in {"http", "https", "mailto"}
    assert_terminal_safe(url, multiline=False)
    assert not set(url) & set(" \"'<>()[]{}`\\|^\t\n")
    assert safe_url(url) == url


@given(st.from_regex(r"[a-z]{1,12}\.example", fullmatch=True), st.one_of(st.text(), hostile_text))
def test_an_http_url_with_any_path_is_kept_with_its_path_encoded_not_dropped(host, path):
    url = safe_url(f"http://{host}/{path}")
    assert url is not None and url.startswith(f"http://{host}/")
    assert_terminal_safe(url, multiline=False)
    assert not set(url) & set(" \"'<>()[]{}`\\|^")
