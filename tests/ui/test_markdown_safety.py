"""A hostile message in Textual's Markdown widget: the reader can click only http(s)/mailto links.

The widget turns each Markdown link into an ``@click`` action ``link('<href>')`` (and shows an
image as a clickable "🖼"); clicking posts ``Markdown.LinkClicked`` and the app opens the href.
The tiny app below records the URLs it is asked to open instead of starting a browser.
"""

from __future__ import annotations

import ast

from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.style import Style
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock

from app.message import to_markdown

HOSTILE = "\n\n".join(
    [
        "[@click=app.quit]Quit now[/]",
        "[link=file:///etc/passwd]passwords[/link] [bold red]loud[/]",
        '<a href="javascript:alert(document.cookie)">Click me</a>',
        "[Markdown click](javascript:alert(1)) [Relative](app.quit)",
        '<a href="http://ok.example/article">Safe article</a>',
        "![tracker](http://img.example/pixel.png) ![inline](data:image/png;base64,iVBORw0KGgo=)",
    ]
)
SIZE = (160, 30)


class MessageApp(App[None]):
    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown
        self.opened_urls: list[str] = []

    def compose(self) -> ComposeResult:
        yield Markdown(self.markdown)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.opened_urls.append(url)


def click_actions(app: App) -> list[tuple[MarkdownBlock, str, str]]:
    """Every clickable span shown: (block, the text the reader sees there, the action it runs)."""
    found = []
    for block in app.query(MarkdownBlock):
        content = block.render()
        if not isinstance(content, Text | Content):
            continue
        for span in content.spans:
            if isinstance(span.style, Style) and "@click" in span.style.meta:
                found.append((block, content.plain[span.start : span.end], span.style.meta["@click"]))
    return found


def block_showing(app: App, text: str) -> tuple[MarkdownBlock, int]:
    for block in app.query(MarkdownBlock):
        shown = getattr(block.render(), "plain", "")
        if text in shown and "\n" not in shown:
            return block, shown.index(text)
    raise AssertionError(f"{text!r} is not shown")


async def test_the_raw_message_would_have_been_dangerous():
    """Without to_markdown, the same message has a clickable link to "app.quit" (so the clicks
    in the tests below do land on the text they aim at)."""
    app = MessageApp(HOSTILE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        actions = [action for _block, _text, action in click_actions(app)]
        assert "link('app.quit')" in actions
        block, column = block_showing(app, "Relative")
        await pilot.click(block, offset=(column + 1, 0))
        await pilot.pause()
        assert app.opened_urls == ["app.quit"]


async def test_a_hostile_message_offers_only_http_links_and_markup_stays_text():
    app = MessageApp(to_markdown(HOSTILE))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = "\n".join(getattr(block.render(), "plain", "") for block in app.query(MarkdownBlock))
        assert "[@click=app.quit]Quit now[/]" in shown
        assert "[link=file:///etc/passwd]passwords[/link] [bold red]loud[/]" in shown
        assert "Safe article (http://ok.example/article)" in shown
        assert "[image: tracker] (http://img.example/pixel.png) [image: inline]" in shown
        assert "javascript" not in shown and "🖼" not in shown

        clickable = click_actions(app)
        targets = []
        for _block, _text, action in clickable:
            assert action.startswith("link(") and action.endswith(")")
            targets.append(ast.literal_eval(action[len("link(") : -1]))
        assert sorted(set(targets)) == ["http://img.example/pixel.png", "http://ok.example/article"]
        assert {text for _block, text, _action in clickable} == {
            "Safe article",
            "http://ok.example/article",
            "http://img.example/pixel.png",
        }


async def test_clicking_around_a_hostile_message_opens_only_the_http_links():
    app = MessageApp(to_markdown(HOSTILE))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for inert in ("Quit now", "passwords", "Click me", "Markdown click", "Relative", "tracker"):
            block, column = block_showing(app, inert)
            await pilot.click(block, offset=(column + 1, 0))
        await pilot.pause()
        assert app.is_running
        assert app.opened_urls == []

        block, column = block_showing(app, "Safe article")
        await pilot.click(block, offset=(column + 1, 0))
        await pilot.pause()
        assert app.opened_urls == ["http://ok.example/article"]
        assert app.is_running
