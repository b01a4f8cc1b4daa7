"""client.patch(): unmodified stdlib code (socket, socketserver, http.server,
http.client, selectors) on an emulated host.

Over AF_UNIX on one daemon, and the issue's acceptance test over TCP across
two emulated hosts: a two-host lab (client/examples/lab2.yml on free ports,
started with ``socketlab lab up``: daemons A 10.0.0.1/24 and B 10.0.0.2/24,
their eth0 NICs linked by PeerLink) where http.client on A fetches from
http.server on B, and a socketserver.ThreadingTCPServer on B serves A.
"""
from __future__ import annotations

import errno
import http.client
import http.server
import io
import os
import select
import selectors
import socket
import socketserver
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import client
from client import lab as labtools
from client._patch import current
from tests.conftest import free_ports


def _path() -> str:
    return f"/tmp/patch-{uuid.uuid4().hex[:16]}.sock"


@pytest.fixture
def net(daemon: str) -> Iterator[client.Net]:
    n = client.connect(daemon)
    yield n
    n.close()


class Hello(http.server.BaseHTTPRequestHandler):
    """A plain http.server handler."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = f"hello from {self.path}\n".encode() * 1000
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[::-1])

    def address_string(self) -> str:
        return "unix"  # an AF_UNIX peer has no (host, port)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX path: only connect() differs."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def test_http_server_and_client_over_af_unix(net: client.Net) -> None:
    path = _path()
    with client.patch(net):
        server = UnixHTTPServer(path, Hello)
        assert isinstance(server.socket, socket.socket)
        assert isinstance(server.socket, client.Socket)  # an emulated socket
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        serving.start()
        try:
            conn = UnixHTTPConnection(path)
            conn.request("GET", "/index.html")
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.read() == b"hello from /index.html\n" * 1000
            conn.request("POST", "/echo", body=b"0123456789" * 5000)  # the same keep-alive connection
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (201, b"9876543210" * 5000)
            conn.close()
        finally:
            server.shutdown()
            server.server_close()
            serving.join(5)
    # the path lives in the emulated host, not on this machine
    assert not os.path.exists(path)
    net.unlink(path)


def test_socket_module_is_restored(net: client.Net) -> None:
    originals = (socket.socket, socket.create_connection, socket.getaddrinfo, select.select, selectors.DefaultSelector)
    with client.patch(net) as p:
        assert current() is net and p.net is net
        assert socket.socket is not originals[0]
        a, b = socket.socketpair()
        assert isinstance(a, client.Socket)
        a.sendall(b"x")
        assert select.select([b], [], [], 1.0)[0] == [b]
        with selectors.DefaultSelector() as sel:
            sel.register(b, selectors.EVENT_READ, "b")
            assert [key.data for key, _ in sel.select(1.0)] == ["b"]
        assert b.recv(1) == b"x"
        a.close()
        b.close()
        assert socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)[0][4] == ("127.0.0.1", 80)
    assert current() is None
    assert (socket.socket, socket.create_connection, socket.getaddrinfo, select.select,
            selectors.DefaultSelector) == originals
    real = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # the machine's again
    assert type(real) is originals[0]
    real.close()


def test_thread_scope_and_nesting(daemon: str, net: client.Net) -> None:
    other = client.connect(daemon)
    seen: dict[str, Any] = {}
    try:
        with client.patch(net):
            with client.patch(other, thread=True):
                assert current() is other

                def elsewhere() -> None:
                    seen["thread"] = current()
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    seen["sock_net"] = s._net
                    s.close()

                t = threading.Thread(target=elsewhere)
                t.start()
                t.join()
            assert current() is net
        assert seen == {"thread": net, "sock_net": net}
    finally:
        other.close()


def test_patch_with_a_target_owns_its_process(daemon: str) -> None:
    with client.patch(daemon) as p:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        assert s.fileno() >= 0
        s.close()
    assert p.net.closed


def test_patch_on_a_local_host() -> None:
    """client.local() works too: an in-process kernel, no daemon."""
    net = client.local()
    path = _path()
    with client.patch(net):
        srv = socket.create_server(path, family=socket.AF_UNIX)
        cli = socket.socket(socket.AF_UNIX)
        cli.connect(path)
        conn, _ = srv.accept()
        with cli.makefile("wb") as w:
            w.write(b"line\n")
        with conn.makefile("rb") as r:
            assert r.readline() == b"line\n"
        for s in (srv, cli, conn):
            s.close()
    net.close()


LAB2 = Path(__file__).resolve().parents[2] / "client" / "examples" / "lab2.yml"




@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(A's API, B's API): the examples' two-host lab (A 10.0.0.1 <-> B 10.0.0.2) on free ports."""
    pytest.importorskip("server.link_service", reason="the Link service has not landed")
    d = tmp_path_factory.mktemp("lab2")
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


class TcpHello(Hello):
    protocol_version = "HTTP/1.1"  # keep-alive: the second request reuses the TCP connection

    def address_string(self) -> str:
        return str(self.client_address[0])


def test_http_across_two_hosts(two_hosts: tuple[str, str]) -> None:
    """The issue's acceptance test: http.client on host A fetches from http.server on host B."""
    net_a, net_b = client.connect(two_hosts[0]), client.connect(two_hosts[1])
    try:
        ready = threading.Event()
        box: dict[str, Any] = {}

        def serve_on_b() -> None:
            with client.patch(net_b, thread=True):
                server = http.server.ThreadingHTTPServer(("10.0.0.2", 8080), TcpHello)
                box["server"] = server
                ready.set()
                server.serve_forever(poll_interval=0.05)
                server.server_close()

        serving = threading.Thread(target=serve_on_b, daemon=True)
        serving.start()
        assert ready.wait(10)
        assert isinstance(box["server"].socket, client.Socket)
        with client.patch(net_a, thread=True):
            conn = http.client.HTTPConnection("10.0.0.2", 8080, timeout=10)
            conn.request("GET", "/across")
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.read() == b"hello from /across\n" * 1000
            assert isinstance(conn.sock, client.Socket)
            assert conn.sock.getsockname()[0] == "10.0.0.1"
            assert conn.sock.getpeername() == ("10.0.0.2", 8080)
            conn.request("POST", "/echo", body=b"0123456789" * 20000)  # the same keep-alive connection
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (201, b"9876543210" * 20000)
            conn.close()
        box["server"].shutdown()
        serving.join(10)
        assert not serving.is_alive()
    finally:
        net_a.close()
        net_b.close()


class Upper(socketserver.StreamRequestHandler):
    """Answers each line upper-cased, with the peer's address."""

    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(f"{self.client_address[0]} ".encode() + line.upper())


def test_socketserver_over_tcp_across_two_hosts(two_hosts: tuple[str, str]) -> None:
    """socketserver.ThreadingTCPServer on B, socket.create_connection + makefile on A, both patched."""
    net_a, net_b = client.connect(two_hosts[0]), client.connect(two_hosts[1])
    try:
        ready = threading.Event()
        box: dict[str, Any] = {}

        def serve_on_b() -> None:  # the patch is per thread: serve_forever's selector polls B
            with client.patch(net_b, thread=True):
                server = socketserver.ThreadingTCPServer(("10.0.0.2", 0), Upper)
                server.daemon_threads = True
                box["server"] = server
                ready.set()
                server.serve_forever(poll_interval=0.05)
                server.server_close()

        serving = threading.Thread(target=serve_on_b, daemon=True)
        serving.start()
        assert ready.wait(10)
        server = box["server"]
        host, port = server.server_address[:2]
        assert host == "10.0.0.2" and port > 0
        try:
            with client.patch(net_a, thread=True):
                with socket.create_connection((host, port), timeout=10) as s:
                    assert s.getsockname()[0] == "10.0.0.1"
                    with s.makefile("rwb") as f:
                        for word in (b"hello", b"world" * 10000):
                            f.write(word + b"\n")
                            f.flush()
                            assert f.readline() == b"10.0.0.1 " + word.upper() + b"\n"
                # a second bind of the server's port on B: EADDRINUSE
                with client.patch(net_b, thread=True):
                    with pytest.raises(OSError) as exc:
                        socketserver.TCPServer((host, port), Upper)
                    assert exc.value.errno == errno.EADDRINUSE
        finally:
            server.shutdown()
            serving.join(10)
    finally:
        net_a.close()
        net_b.close()
