"""client.aio against the session daemon: awaitable sockets, loop.sock_*-style
calls, cancellation, and asyncio streams (open_unix_connection /
start_unix_server return asyncio's own StreamReader / StreamWriter).

AF_UNIX only: the emulated kernel has no AF_INET yet (TCP is issue #4).
"""
from __future__ import annotations

import asyncio
import errno
import importlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

import client.aio


def _path() -> str:
    return f"/tmp/aio-{uuid.uuid4().hex[:16]}.sock"


@pytest.fixture
async def anet(daemon: str) -> AsyncIterator[client.aio.AioNet]:
    net = await client.aio.connect(daemon)
    yield net
    await net.close()


async def test_echo_and_eof(anet: client.aio.AioNet) -> None:
    path = _path()
    srv = await anet.socket(anet.AF_UNIX, anet.SOCK_STREAM)
    await srv.bind(path)
    await srv.listen()
    assert await srv.getsockname() == path
    cli = await anet.socket(anet.AF_UNIX, anet.SOCK_STREAM)
    await cli.connect(path)
    conn, addr = await srv.accept()
    assert addr == ""  # an unnamed AF_UNIX peer, as CPython reports it
    await cli.sendall(b"ping")
    assert await conn.recv(100) == b"ping"
    await conn.close()
    assert await cli.recv(100) == b""
    for s in (cli, srv):
        await s.close()
    assert cli.fileno() == -1


async def test_blocking_recv_lets_the_loop_run(anet: client.aio.AioNet) -> None:
    a, b = await anet.socketpair()
    waiting = asyncio.create_task(b.recv(10))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # waits in the kernel; the loop keeps going
    await a.send(b"late")
    assert await asyncio.wait_for(waiting, 5) == b"late"
    await a.close()
    await b.close()


async def test_errnos(anet: client.aio.AioNet) -> None:
    path, quiet = _path(), _path()
    srv = await anet.create_server(path, family=anet.AF_UNIX)
    other = await anet.socket(anet.AF_UNIX, anet.SOCK_STREAM)
    with pytest.raises(OSError) as info:
        await other.bind(path)
    assert info.value.errno == errno.EADDRINUSE
    await other.bind(quiet)  # bound, not listening
    probe = await anet.socket(anet.AF_UNIX, anet.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError):
        await probe.connect(quiet)
    assert await probe.connect_ex("/tmp/nowhere-" + uuid.uuid4().hex) == errno.ENOENT
    a, b = await anet.socketpair()
    await a.setblocking(False)
    assert not a.getblocking()
    with pytest.raises(BlockingIOError):
        await a.recv(10)
    await b.settimeout(0.05)
    with pytest.raises(TimeoutError):
        await b.recv(10)
    for s in (srv, other, probe, a, b):
        await s.close()
    with pytest.raises(OSError) as info:
        await a.recv(1)
    assert info.value.errno == errno.EBADF


async def test_cancelled_recv_consumes_nothing(anet: client.aio.AioNet) -> None:
    a, b = await anet.socketpair()
    waiting = asyncio.create_task(b.recv(10))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await a.sendall(b"kept")
    assert await b.recv(10) == b"kept"
    await a.close()
    await b.close()


async def test_sock_methods_and_select(anet: client.aio.AioNet) -> None:
    path = _path()
    srv = await anet.create_server(path, family=anet.AF_UNIX)
    cli = await anet.socket(anet.AF_UNIX, anet.SOCK_STREAM)
    await anet.sock_connect(cli, path)
    conn, _ = await anet.sock_accept(srv)
    r, w, x = await anet.select([conn], [cli], [], 0)
    assert (r, w, x) == ([], [cli], [])
    await anet.sock_sendall(cli, b"x" * 3000)
    r, _, _ = await anet.select([conn], [], [], 1.0)
    assert r == [conn]
    buf = bytearray(4096)
    got = 0
    while got < 3000:
        got += await anet.sock_recv_into(conn, memoryview(buf)[got:])
    assert bytes(buf[:3000]) == b"x" * 3000
    await anet.sock_sendall(conn, b"back")
    assert await anet.sock_recv(cli, 10) == b"back"
    for s in (srv, cli, conn):
        await s.close()


async def test_dgram_sendto_recvfrom(anet: client.aio.AioNet) -> None:
    p1, p2 = _path(), _path()
    s1 = await anet.socket(anet.AF_UNIX, anet.SOCK_DGRAM)
    s2 = await anet.socket(anet.AF_UNIX, anet.SOCK_DGRAM)
    await s1.bind(p1)
    await s2.bind(p2)
    assert await s1.sendto(b"dgram", p2) == 5
    assert await s2.recvfrom(100) == (b"dgram", p1)
    await s1.close()
    await s2.close()


async def test_big_transfer_both_ways(anet: client.aio.AioNet) -> None:
    payload = bytes(i * 7 % 251 for i in range(1 << 20))
    a, b = await anet.socketpair()

    async def echo() -> None:
        total = 0
        while total < len(payload):
            chunk = await b.recv(65536)
            assert chunk
            total += len(chunk)
            await b.sendall(chunk)

    async def read_all() -> bytes:
        out = bytearray()
        while len(out) < len(payload):
            out += await a.recv(1 << 20)
        return bytes(out)

    echoing = asyncio.create_task(echo())
    reading = asyncio.create_task(read_all())
    await a.sendall(payload)
    assert await reading == payload
    await echoing
    await a.close()
    await b.close()


async def test_streams_echo_server(anet: client.aio.AioNet) -> None:
    path = _path()
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            seen.append(data)
            writer.write(data.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await anet.start_unix_server(handle, path)
    assert server.is_serving()
    async with server:
        reader, writer = await anet.open_unix_connection(path)
        assert isinstance(reader, asyncio.StreamReader)
        assert isinstance(writer, asyncio.StreamWriter)
        assert writer.get_extra_info("peername") == path
        writer.write(b"hello\n")
        await writer.drain()
        assert await reader.readline() == b"HELLO\n"
        big = b"y" * 300_000  # past the write buffer limits: drain() must pause and resume
        writer.write(big)
        await writer.drain()
        assert await reader.readexactly(len(big)) == big.upper()
        writer.write_eof()
        assert await reader.read() == b""  # the handler closed after our EOF
        writer.close()
        await writer.wait_closed()
    assert not server.is_serving()
    assert b"".join(seen) == b"hello\n" + big


async def test_module_level_streams_change_only_the_import(daemon: str) -> None:
    """A program written against asyncio streams, with `asyncio` bound to client.aio."""
    aio = importlib.import_module("client.aio")
    aio.set_default(daemon)
    path = _path()

    async def program(asyncio):  # type: ignore[no-untyped-def]  # the program, verbatim but for its import
        async def handle(reader, writer):  # type: ignore[no-untyped-def]
            data = await reader.readexactly(5)
            writer.write(data[::-1])
            await writer.drain()
            writer.close()

        server = await asyncio.start_unix_server(handle, path)
        async with server:
            reader, writer = await asyncio.open_unix_connection(path)
            writer.write(b"abcde")
            result = await asyncio.wait_for(reader.read(), timeout=5)
            writer.close()
            await writer.wait_closed()
        return result

    try:
        assert await program(aio) == b"edcba"
        net = await aio.default_net()
        assert isinstance(net, client.aio.AioNet)
        await net.close()
    finally:
        aio.set_default(None)


async def test_server_close_and_serve_forever(anet: client.aio.AioNet) -> None:
    path = _path()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hi")
        writer.close()

    server = await anet.start_unix_server(handle, path, start_serving=False)
    assert not server.is_serving()
    serving = asyncio.create_task(server.serve_forever())
    await asyncio.sleep(0)
    reader, writer = await anet.open_unix_connection(path)
    assert await reader.read() == b"hi"
    writer.close()
    server.close()
    await server.wait_closed()
    with pytest.raises(asyncio.CancelledError):
        await serving
    with pytest.raises(ConnectionRefusedError):
        await anet.open_unix_connection(path)


async def test_closed_process_raises(daemon: str) -> None:
    net = await client.aio.connect(daemon)
    s = await net.socket(net.AF_UNIX, net.SOCK_STREAM)
    await net.close()
    with pytest.raises(OSError):
        await s.listen()
    s.detach()  # its fd went with the process


async def test_unreachable_daemon() -> None:
    with pytest.raises(ConnectionError):
        await client.aio.connect("127.0.0.1:1", connect_timeout=0.5)


async def test_bearer_token(spawn_daemon: Any, tmp_path: Any) -> None:
    """client.aio.connect takes the sync client's token= (a daemon with --token-file)."""
    token = "aio-test-token-0123456789abcdef"
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{token} name=aio uid=1000 gid=1000\n")
    d = spawn_daemon("--token-file", str(tokens))
    with pytest.raises(PermissionError):
        await client.aio.connect(d.target)
    net = await client.aio.connect(d.target, token=token)
    a, b = await net.socketpair()
    await a.sendall(b"t")
    assert await b.recv(1) == b"t"
    await a.close()
    await b.close()
    await net.close()
