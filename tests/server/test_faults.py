"""Faults (issue #7): a client killed mid-call, a daemon restarted under its clients, a NIC
brought down under traffic.  After each, the daemon is healthy and what it holds (processes,
open files, asyncio tasks: the metrics endpoint) is back to its baseline, RSS roughly flat.

Linux's answers, from the host kernel: an AF_UNIX stream peer of a process that dies sees EOF,
or ECONNRESET when the dead end had unread data (unix_release_sock); with the only route's NIC
down (ip link set eth0 down, in a netns), UDP sendto/send to 10.0.0.2 fail with ENETUNREACH and
work again once it is up.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import client
from client._gen.socketlab.v1 import host_pb2, host_pb2_grpc
from tests.load.resources import back_to_baseline, counts, wait_for

REPO = Path(__file__).resolve().parents[2]
WAIT = 10.0
ENETUNREACH, ECONNRESET = 101, 104
RSS_SLACK_KIB = 16 * 1024

_CHILD = """
import sys, client
net = client.connect(sys.argv[1])
s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
s.connect(b"\\0" + sys.argv[2].encode())
print("CONNECTED", flush=True)
s.recv(10)  # blocks until the test kills us
"""


def _healthy(target: str) -> None:
    with grpc.insecure_channel(target) as ch:
        reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=WAIT)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    net = client.connect(target)
    a, b = net.socketpair()
    a.sendall(b"ok")
    assert b.recv(2) == b"ok"
    net.close()


def _spawn_child(target: str, name: str) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, target, name], cwd=REPO, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(child.stdout.readline() if child.stdout else ""))
    reader.start()
    reader.join(timeout=WAIT * 2)
    assert line == ["CONNECTED\n"], line
    return child


@pytest.mark.parametrize("unread", [False, True], ids=["eof", "econnreset"])
def test_client_killed_mid_call(spawn_daemon: Callable[..., Any], unread: bool) -> None:
    d = spawn_daemon("--metrics", "127.0.0.1:0")
    net = client.connect(d.target)
    try:
        name = "socketlab-fault-" + uuid.uuid4().hex
        srv = net.socket(net.AF_UNIX, net.SOCK_STREAM)
        srv.bind(b"\0" + name.encode())
        srv.listen()
        base = counts(d)
        for _ in range(3):  # three rounds: what a killed client leaves behind must not add up
            child = _spawn_child(d.target, name)
            try:
                conn, _ = srv.accept()
                wait_for(lambda: counts(d).tasks, lambda n: n > base.tasks, 5)  # its recv is blocked in the daemon
                if unread:
                    conn.sendall(b"never read" * 10)  # queued at the child, which never reads it
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=WAIT)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait()
            conn.settimeout(WAIT)
            if unread:
                with pytest.raises(ConnectionResetError) as info:
                    conn.recv(10)
                assert info.value.errno == ECONNRESET
            else:
                assert conn.recv(10) == b""  # EOF
            conn.close()
            after = back_to_baseline(d, base)
            assert after.same_as(base), (base, after)
        assert after.rss - base.rss < RSS_SLACK_KIB, (base, after)
    finally:
        net.close()
    _healthy(d.target)


def test_daemon_restarted_with_clients_attached(spawn_daemon: Callable[..., Any]) -> None:
    d = spawn_daemon()
    idle = client.connect(d.target)
    busy = client.connect(d.target)
    _, b = busy.socketpair()
    outcome: list[BaseException | bytes] = []

    def blocked() -> None:
        try:
            outcome.append(b.recv(10))
        except BaseException as exc:  # noqa: BLE001 - checked below
            outcome.append(exc)

    th = threading.Thread(target=blocked, daemon=True)
    th.start()
    time.sleep(0.1)  # (the recv is on its way; where it is when the daemon dies does not matter)
    d.proc.kill()  # no drain: the connections just break
    d.proc.wait(timeout=WAIT)
    started = time.monotonic()
    th.join(timeout=WAIT)
    assert not th.is_alive(), "a blocked call hangs after its daemon died"
    assert isinstance(outcome[0], ConnectionError), outcome
    with pytest.raises(ConnectionError):
        idle.socket(idle.AF_UNIX, idle.SOCK_STREAM)
    assert time.monotonic() - started < 5
    again = spawn_daemon("--listen", d.target)  # the same address
    assert again.target == d.target
    with pytest.raises(ConnectionError):  # the old process is gone for good: no silent new one
        idle.socketpair()
    _healthy(again.target)
    for net in (idle, busy):
        net.close()  # closing a broken process is fine


def test_nic_down_under_udp_traffic(spawn_daemon: Callable[..., Any]) -> None:
    d = spawn_daemon("--metrics", "127.0.0.1:0")
    base = counts(d)
    hoststub = host_pb2_grpc.HostStub(grpc.insecure_channel(d.target))

    def link(up: bool) -> None:
        reply = hoststub.SetLink(host_pb2.SetLinkRequest(name="eth0", up=up), timeout=WAIT)
        assert reply.result.ret == 0, reply

    net = client.connect(d.target)
    try:
        u = net.socket(net.AF_INET, net.SOCK_DGRAM)
        c = net.socket(net.AF_INET, net.SOCK_DGRAM)
        c.connect(("10.0.0.2", 9))
        errors: list[int] = []
        sent = 0
        stop = threading.Event()

        def traffic() -> None:  # UDP to the eth0 subnet, as fast as it goes
            nonlocal sent
            while not stop.is_set():
                try:
                    u.sendto(b"x" * 100, ("10.0.0.2", 9))
                    sent += 1
                except OSError as exc:
                    errors.append(exc.errno or 0)

        th = threading.Thread(target=traffic, daemon=True)
        th.start()
        wait_for(lambda: sent, lambda n: n >= 20, 5)
        link(False)
        wait_for(lambda: len(errors), lambda n: n >= 20, 5)
        link(True)
        resumed = sent
        wait_for(lambda: sent, lambda n: n >= resumed + 20, 5)
        stop.set()
        th.join(timeout=WAIT)
        assert errors and set(errors) == {ENETUNREACH}, set(errors)
        assert sent >= resumed + 20
        # the same, call by call, as the host kernel answered in a netns
        link(False)
        for call in (lambda: u.sendto(b"x", ("10.0.0.2", 9)), lambda: c.send(b"x"), lambda: c.send(b"x"),
                     lambda: net.socket(net.AF_INET, net.SOCK_DGRAM).connect(("10.0.0.2", 9))):
            with pytest.raises(OSError) as info:
                call()
            assert info.value.errno == ENETUNREACH
        assert u.sendto(b"x", ("10.0.0.1", 9)) == 1  # the NIC's own address is local: still fine
        link(True)
        assert u.sendto(b"x", ("10.0.0.2", 9)) == 1
        assert c.send(b"x") == 1
    finally:
        net.close()
    after = back_to_baseline(d, base)
    assert after.same_as(base), (base, after)
    _healthy(d.target)
