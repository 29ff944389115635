"""A loopback TCP proxy between the app and the real server: the network, under the test's control.

``cut()`` is a dropped network: every open connection is closed and new ones are closed as soon
as they are accepted (a client sees resets, as when a route disappears). ``freeze()`` is a
network that silently stops carrying data: connections stay open, nothing passes either way
(what a laptop lid or a dead NAT entry does; only a keepalive can tell). ``restore()`` is the
network back. The server itself never notices anything but its clients going away.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

State = Literal["up", "cut", "frozen"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.state: State = "up"
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thawed = asyncio.Event()
        self._thawed.set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop_all()
        if self._server is not None:
            await self._server.wait_closed()

    async def cut(self) -> None:
        self.state = "cut"
        self._thawed.set()
        await self._drop_all()

    def freeze(self) -> None:
        self.state = "frozen"
        self._thawed.clear()

    async def restore(self) -> None:
        """The network is back; connections held while frozen are dropped (their state is lost)."""
        was_frozen = self.state == "frozen"
        self.state = "up"
        if was_frozen:
            await self._drop_all()
        self._thawed.set()

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.state == "cut":
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, upstream_writer))
        pipes = [
            asyncio.create_task(self._pipe(reader, upstream_writer)),
            asyncio.create_task(self._pipe(upstream_reader, writer)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pipes:
                task.cancel()
            for end in (writer, upstream_writer):
                end.close()
                self._writers.discard(end)
            self._pipes.difference_update(pipes)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                await self._thawed.wait()  # frozen: hold the data, as a dead route would
                writer.write(data)
                await writer.drain()
