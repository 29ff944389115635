"""The first page, asked for while the app is still starting.

Starting the TUI spends most of a second importing Textual and laying the screen out; the first
page of a big inbox costs the server about half a second too (100,000 notifications). Done one
after the other they add up; ``Prefetch`` asks in a thread of its own, on a connection of its
own, from the moment the settings are known, and the inbox view takes the answers instead of
asking again. Only where asking twice does no harm: a static token or the embedded file (a
password login would make a second session).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.backend import InboxBackend
from app.errors import InboxError
from app.models import INBOX, Capabilities, Page, Query, User


@dataclass
class Prefetched:
    """What the thread got: each part, or ``None`` where it failed (the view asks again)."""

    page: Page | None = None
    me: User | None = None
    capabilities: Capabilities | None = None


class Prefetch:
    """Asks for the Inbox's first page, the user and their permissions, in a thread."""

    QUERY = Query.of_folder(INBOX)
    """What is asked for: the Inbox's first page, newest first, no search."""

    def __init__(self, open_backend: Callable[[], InboxBackend]) -> None:
        self._open_backend = open_backend
        self._done = threading.Event()
        self._page_done = threading.Event()
        self.result = Prefetched()
        self._thread = threading.Thread(target=self._run, name="directus-inbox-prefetch", daemon=True)

    def start(self) -> Prefetch:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._fetch())
        except Exception:  # noqa: BLE001 - a failed prefetch is asked again by the view, which reports it
            pass
        finally:
            self._page_done.set()
            self._done.set()

    async def _fetch(self) -> None:
        backend = self._open_backend()
        try:
            try:
                self.result.page = await backend.list_notifications(self.QUERY)
            except InboxError:
                return  # the view asks itself, and says what went wrong
            finally:
                self._page_done.set()
            self.result.me = await backend.me()
            self.result.capabilities = await backend.capabilities()
        except InboxError:
            pass
        finally:
            await backend.aclose()

    async def page(self) -> Page | None:
        """The first page, once the thread has it (``None``: it failed, ask again)."""
        await asyncio.to_thread(self._page_done.wait)
        return self.result.page

    async def session(self) -> tuple[User, Capabilities] | None:
        """The user and their permissions, once the thread has them (``None``: ask again)."""
        await asyncio.to_thread(self._done.wait)
        if self.result.me is None or self.result.capabilities is None:
            return None
        return self.result.me, self.result.capabilities
