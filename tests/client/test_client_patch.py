"""client.patch(): unmodified stdlib code (socket, socketserver, http.server,
http.client, selectors) on an emulated host.

Today over AF_UNIX on one daemon; the issue's acceptance test (http.client on
host A fetching from http.server on host B over TCP) is below, skipped until
the emulated kernel has TCP (issue #4).
"""
from __future__ import annotations

import http.client
import http.server
import os
import select
import selectors
import socket
import socketserver
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import client
from client._patch import current


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


@pytest.mark.skip(reason="needs TCP (issue #4) and two linked hosts (topology)")
def test_http_across_two_hosts(spawn_daemon: Any, tmp_path: Any) -> None:
    """The issue's acceptance test: http.client on host A fetches from http.server on host B."""
    lab = tmp_path / "lab.yml"
    lab.write_text(
        "hosts:\n"
        "  a: {interfaces: {eth0: 10.0.0.1/24}}\n"
        "  b: {interfaces: {eth0: 10.0.0.2/24}}\n"
        "links:\n"
        "  - [a:eth0, b:eth0]\n"
    )
    host_a = spawn_daemon("--topology", str(lab), "--host", "a")
    host_b = spawn_daemon("--topology", str(lab), "--host", "b")
    net_a, net_b = client.connect(host_a.target), client.connect(host_b.target)
    try:
        ready = threading.Event()
        box: dict[str, Any] = {}

        def serve_on_b() -> None:
            with client.patch(net_b, thread=True):
                server = http.server.ThreadingHTTPServer(("10.0.0.2", 8080), Hello)
                box["server"] = server
                ready.set()
                server.serve_forever(poll_interval=0.05)
                server.server_close()

        serving = threading.Thread(target=serve_on_b, daemon=True)
        serving.start()
        assert ready.wait(10)
        with client.patch(net_a, thread=True):
            conn = http.client.HTTPConnection("10.0.0.2", 8080, timeout=10)
            conn.request("GET", "/across")
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.read() == b"hello from /across\n" * 1000
            assert conn.sock.getsockname()[0] == "10.0.0.1"
            conn.close()
        box["server"].shutdown()
        serving.join(10)
    finally:
        net_a.close()
        net_b.close()
