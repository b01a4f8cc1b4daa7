"""client.aio over TCP across two emulated hosts (issue #6).

A two-host lab (client/examples/lab2.yml on free ports, ``socketlab lab up``:
daemon A with eth0 10.0.0.1/24, daemon B with eth0 10.0.0.2/24, the NICs
linked by PeerLink).  A process on each host; B serves, A connects:

- asyncio streams: ``start_server`` on B, ``open_connection`` from A, 1 MiB
  echoed both ways through asyncio's own StreamReader / StreamWriter, EOF with
  ``write_eof``, ``get_extra_info`` names, the module-level functions;
- the event loop's ``sock_*`` calls with asyncio's rules: non-blocking
  sockets, ``sock_connect`` waits out EINPROGRESS, ``sock_accept`` returns a
  non-blocking socket, ``sock_recv`` / ``sock_sendall`` wait for readiness;
- errno cases as Linux gives them: ECONNREFUSED (RST from B's closed port),
  EADDRINUSE (a second bind on B), EAGAIN (non-blocking recv), EINPROGRESS,
  EISCONN, ENOTCONN, EPIPE after the peer's RST.
"""
from __future__ import annotations

import asyncio
import errno
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import client.aio
from client import lab as labtools
from tests.conftest import free_ports

LAB2 = Path(__file__).resolve().parents[2] / "client" / "examples" / "lab2.yml"
IP_A, IP_B = "10.0.0.1", "10.0.0.2"
MIB = 1 << 20




@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(A's API, B's API): the examples' two-host lab on free ports."""
    pytest.importorskip("server.link_service", reason="the Link service has not landed")
    d = tmp_path_factory.mktemp("aio-lab2")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOCKETLAB_STATE_DIR", str(d))
    pa, pb = free_ports(2)
    topo = LAB2.read_text().replace("port: 50071}", f"port: {pa}}}").replace("port: 50072}", f"port: {pb}}}")
    (d / "lab2.yml").write_text(topo)
    err = io.StringIO()
    rc = labtools.lab_up(str(d / "lab2.yml"), io.StringIO(), err, timeout=60)
    try:
        assert rc == 0, err.getvalue()
        yield f"127.0.0.1:{pa}", f"127.0.0.1:{pb}"
    finally:
        labtools.lab_down("clients2", io.StringIO(), io.StringIO(), quiet=True)
        mp.undo()


@pytest.fixture
async def nets(two_hosts: tuple[str, str]) -> AsyncIterator[tuple[client.aio.AioNet, client.aio.AioNet]]:
    a = await client.aio.connect(two_hosts[0])
    b = await client.aio.connect(two_hosts[1])
    yield a, b
    await a.close()
    await b.close()


def _payload(n: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(251)) * (n // 251) + bytes(n % 251)


async def test_streams_echo_1mib_across_hosts(nets: tuple[client.aio.AioNet, client.aio.AioNet]) -> None:
    a, b = nets
    peers: list[tuple[str, int]] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername"))
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()  # the client's write_eof reached us: close our side too
        await writer.wait_closed()

    server = await b.start_server(echo, IP_B, 0)
    port = (await server.sockets[0].getsockname())[1]
    reader, writer = await a.open_connection(IP_B, port)
    assert writer.get_extra_info("peername") == (IP_B, port)
    assert writer.get_extra_info("sockname")[0] == IP_A
    data = _payload(MIB)

    async def send() -> None:
        for off in range(0, MIB, 100_000):
            writer.write(data[off : off + 100_000])
            await writer.drain()
        writer.write_eof()

    sending = asyncio.create_task(send())
    back = await asyncio.wait_for(reader.read(-1), 60)  # up to B's FIN
    await sending
    assert len(back) == MIB and back == data
    assert peers == [writer.get_extra_info("sockname")]
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


async def test_streams_readline_and_readexactly(nets: tuple[client.aio.AioNet, client.aio.AioNet]) -> None:
    a, b = nets

    async def upper(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line.upper())
        await writer.drain()
        writer.close()

    async with await b.start_server(upper, IP_B, 0) as server:
        port = (await server.sockets[0].getsockname())[1]
        reader, writer = await a.open_connection(IP_B, port)
        writer.writelines([b"one\n", b"two\n"])
        assert await reader.readline() == b"ONE\n"
        assert await reader.readexactly(4) == b"TWO\n"
        writer.write_eof()
        assert await reader.read() == b""
        assert reader.at_eof()
        writer.close()
        await writer.wait_closed()


async def test_module_level_streams_on_the_default_process(two_hosts: tuple[str, str]) -> None:
    """`import client.aio as asyncio`: the program's streams calls go to the default process."""
    b = await client.aio.connect(two_hosts[1])
    client.aio.set_default(two_hosts[0])  # the program runs on host A
    try:
        async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"hello " + await reader.readline())
            await writer.drain()
            writer.close()

        server = await b.start_server(hello, IP_B, 0)
        port = (await server.sockets[0].getsockname())[1]
        aio = client.aio
        reader, writer = await aio.open_connection(IP_B, port)
        writer.write(b"from A\n")
        assert await reader.read() == b"hello from A\n"
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
    finally:
        default = await client.aio.default_net()
        client.aio.set_default(None)
        await default.close()
        await b.close()


async def test_sock_methods_with_nonblocking_sockets(nets: tuple[client.aio.AioNet, client.aio.AioNet]) -> None:
    """loop.sock_* rules: non-blocking sockets throughout, the calls wait for readiness."""
    a, b = nets
    srv = await b.socket(b.AF_INET, b.SOCK_STREAM)
    await srv.setblocking(False)
    await srv.bind((IP_B, 0))
    await srv.listen()
    port = (await srv.getsockname())[1]
    accepting = asyncio.create_task(b.sock_accept(srv))  # nothing queued yet: waits, no EAGAIN
    await asyncio.sleep(0.05)
    assert not accepting.done()
    cli = await a.socket(a.AF_INET, a.SOCK_STREAM)
    await cli.setblocking(False)
    await a.sock_connect(cli, (IP_B, port))  # EINPROGRESS waited out
    conn, addr = await asyncio.wait_for(accepting, 10)
    assert addr == await cli.getsockname() and addr[0] == IP_A
    assert conn.gettimeout() == 0.0  # non-blocking, as asyncio's sock_accept gives it
    assert await cli.getpeername() == (IP_B, port)

    reading = asyncio.create_task(b.sock_recv(conn, 100))  # waits, no EAGAIN
    await asyncio.sleep(0.05)
    assert not reading.done()
    await a.sock_sendall(cli, b"ping")
    assert await asyncio.wait_for(reading, 10) == b"ping"

    data = _payload(512 * 1024)  # more than the buffers hold: sock_sendall waits for room

    async def drain(sock: client.aio.AioSocket, n: int) -> bytes:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = await b.sock_recv_into(sock, view[got:])
            assert k > 0
            got += k
        return bytes(buf)

    receiving = asyncio.create_task(drain(conn, len(data)))
    await a.sock_sendall(cli, data)
    assert await asyncio.wait_for(receiving, 60) == data
    await b.sock_sendall(conn, data[:70000])
    got = b""
    while len(got) < 70000:
        got += await a.sock_recv(cli, 70000)
    assert got == data[:70000]

    await conn.close()  # FIN: EOF at A
    assert await a.sock_recv(cli, 10) == b""
    for s in (cli, srv):
        await s.close()


async def test_errnos_across_hosts(nets: tuple[client.aio.AioNet, client.aio.AioNet]) -> None:
    a, b = nets
    srv = await b.create_server((IP_B, 0))
    port = (await srv.getsockname())[1]

    # EADDRINUSE: a second bind of the listening port on B
    dup = await b.socket(b.AF_INET, b.SOCK_STREAM)
    with pytest.raises(OSError) as exc:
        await dup.bind((IP_B, port))
    assert exc.value.errno == errno.EADDRINUSE
    await dup.close()

    # ECONNREFUSED: B answers RST for a port nobody listens on (blocking, sock_connect, connect_ex)
    probe = await a.socket(a.AF_INET, a.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError) as refused:
        await probe.connect((IP_B, port ^ 1))
    assert refused.value.errno == errno.ECONNREFUSED
    await probe.close()
    probe = await a.socket(a.AF_INET, a.SOCK_STREAM)
    await probe.setblocking(False)
    with pytest.raises(ConnectionRefusedError):
        await a.sock_connect(probe, (IP_B, port ^ 1))
    await probe.close()
    probe = await a.socket(a.AF_INET, a.SOCK_STREAM)
    assert await probe.connect_ex((IP_B, port ^ 1)) == errno.ECONNREFUSED
    await probe.close()

    # ENOTCONN before connecting
    cli = await a.socket(a.AF_INET, a.SOCK_STREAM)
    with pytest.raises(OSError) as exc:
        await cli.getpeername()
    assert exc.value.errno == errno.ENOTCONN

    # EINPROGRESS from a non-blocking connect, then EISCONN once established
    await cli.setblocking(False)
    with pytest.raises(BlockingIOError) as exc:
        await cli.connect((IP_B, port))
    assert exc.value.errno == errno.EINPROGRESS
    await a.sock_connect(cli, (IP_B, port))  # waits for the handshake (EALREADY meanwhile)
    # Linux: the first connect() after a nonblocking connect completed returns 0
    # once (sock->state moves to SS_CONNECTED), then EISCONN; sock_connect used
    # that 0 only if its own connect() came after the handshake
    assert await cli.connect_ex((IP_B, port)) in (0, errno.EISCONN)
    with pytest.raises(OSError) as exc:
        await cli.connect((IP_B, port))
    assert exc.value.errno == errno.EISCONN
    conn, _ = await b.sock_accept(srv)

    # EAGAIN: a non-blocking recv on the connected socket with nothing queued
    with pytest.raises(BlockingIOError) as exc:
        await cli.recv(100)
    assert exc.value.errno == errno.EAGAIN
    with pytest.raises(BlockingIOError):
        await conn.recv(100)

    # the peer resets (close with unread data): ECONNRESET, then EPIPE on send
    await a.sock_sendall(cli, b"unread")
    await asyncio.sleep(0.2)
    await conn.close()  # unread data: RST instead of FIN (tcp_close)
    with pytest.raises(ConnectionResetError):
        for _ in range(100):
            await a.sock_recv(cli, 10)
    with pytest.raises(BrokenPipeError):
        await cli.send(b"x")
    for s in (cli, srv):
        await s.close()
