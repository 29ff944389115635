"""The one way tests wait for something: poll a condition until it holds, never sleep a fixed time.

It works for the TUI too: the app runs on the test's event loop, so while ``eventually`` waits,
the app handles its messages. (``tests.ui.support.settle`` waits for the app to be quiet instead.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL = 0.01


async def eventually(condition: Callable[[], object], what: str = "the condition", timeout: float = 30.0) -> float:
    """Seconds until *condition()* was true; ``AssertionError`` naming *what* after *timeout*."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        await asyncio.sleep(POLL)
    return time.monotonic() - started
