"""Interop with the host's Linux TCP: an emulated NIC wired to a TAP device in a network namespace.

The test makes a namespace ``sltap<pid>`` holding TAP ``sltap<pid>`` (10.77.0.1/24); the emulated host
(a RealClock on the running asyncio loop: real time, as the daemon runs) has a channel NIC (10.77.0.2/24)
whose transmitted frames are written to the TAP fd and whose received frames are read from it
(``loop.add_reader``).  Linux's side runs in a child ``ip netns exec`` Python process.  Both directions
move 10 MiB byte-exact: Linux client -> emulated listener (echoed back), emulated client -> Linux
listener (echoed back).  Skipped without root, /dev/net/tun, or ``ip``.
"""
from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import random
import shutil
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import RealClock
from kernel.host import Host
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.wire.ipv4 import ip_aton
from kernel.syscalls import do_syscall

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
SIZE = 10 << 20

PEER = r'''
import hashlib, socket, sys
mode, host, port, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode == "client":
    s = socket.create_connection((host, port), timeout=60)
else:
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((host, port)); l.listen(1); l.settimeout(60)
    print("listening", flush=True)
    s, _ = l.accept()
s.settimeout(60)
import random
data = random.Random(11).randbytes(size)
if mode == "client":
    s.sendall(data)
    got = bytearray()
    while len(got) < size:
        b = s.recv(1 << 20)
        if not b:
            break
        got += b
    print("ok" if bytes(got) == data else "mismatch %d" % len(got), flush=True)
else:
    got = bytearray()
    while len(got) < size:
        b = s.recv(1 << 20)
        if not b:
            break
        got += b
    s.sendall(bytes(got))
    print("echoed %s" % hashlib.sha256(got).hexdigest(), flush=True)
s.close()
'''


def _sh(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces and TAP devices)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    if shutil.which("ip") is None:
        return "no iproute2 (ip)"
    return None


@pytest.fixture
async def tap() -> AsyncIterator[dict[str, Any]]:
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    name = f"sltap{os.getpid() % 100000}"
    ns = name
    try:
        _sh("ip", "netns", "add", ns)
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot create a network namespace: {e.stderr.decode(errors='replace').strip()}")
    fd = -1
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
        _sh("ip", "link", "set", name, "netns", ns)
        _sh("ip", "-n", ns, "addr", "add", "10.77.0.1/24", "dev", name)
        _sh("ip", "-n", ns, "link", "set", name, "up")
        _sh("ip", "-n", ns, "link", "set", "lo", "up")
        yield {"fd": fd, "ns": ns}
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"TAP setup failed: {e}")
    finally:
        if fd >= 0:
            os.close(fd)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _wire(host: Host, tapfd: int) -> Any:
    from kernel.drivers.net.channel import channel_dev

    dev = channel_dev(host.netns, "eth0", 1500)
    assert inet_insert_ifa(host.netns, dev, ip_aton("10.77.0.2"), 24) == 0

    def xmit(frame: bytes) -> None:
        try:
            os.write(tapfd, frame)
        except OSError:
            pass  # a full TAP queue drops, as a wire would
    dev.on_xmit = xmit
    loop = asyncio.get_running_loop()

    def readable() -> None:
        for _ in range(64):
            try:
                frame = os.read(tapfd, 65536)
            except BlockingIOError:
                return
            dev.inject(frame)
    loop.add_reader(tapfd, readable)
    return dev


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) \
        + bytes(8)


async def _peer(ns: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec("ip", "netns", "exec", ns, sys.executable, "-c", PEER, *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _call(proc: Any, name: str, **args: Any) -> Any:
    return await do_syscall(proc, name, args, None)


async def _recv_all(proc: Any, fd: int, size: int) -> bytes:
    got = bytearray()
    while len(got) < size:
        r = await _call(proc, "recv", fd=fd, size=1 << 20, flags=0)
        assert r.ret >= 0, r.error_name
        if r.ret == 0:
            break
        got += r.data
    return bytes(got)


@pytest.mark.timeout(300)
async def test_linux_client_to_emulated_listener(tap: dict[str, Any]) -> None:
    host = Host(clock=RealClock(), name="tap", rng=random.Random(3))
    _wire(host, tap["fd"])
    p = host.spawn()
    lfd = (await _call(p, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
    assert (await _call(p, "bind", fd=lfd, addr=sin("10.77.0.2", 5000))).ret == 0
    assert (await _call(p, "listen", fd=lfd, backlog=4)).ret == 0
    peer = await _peer(tap["ns"], "client", "10.77.0.2", "5000", str(SIZE))
    try:
        r = await asyncio.wait_for(_call(p, "accept", fd=lfd), 30)
        assert r.ret >= 0, r.error_name
        afd = r.ret
        got = await asyncio.wait_for(_recv_all(p, afd, SIZE), 120)
        assert hashlib.sha256(got).digest() == hashlib.sha256(random.Random(11).randbytes(SIZE)).digest()
        assert (await asyncio.wait_for(_call(p, "send", fd=afd, data=got, flags=0), 120)).ret == SIZE
        out, err = await asyncio.wait_for(peer.communicate(), 120)
        assert out.decode().strip() == "ok", err.decode()
    finally:
        if peer.returncode is None:
            peer.kill()
            await peer.wait()
        asyncio.get_running_loop().remove_reader(tap["fd"])


@pytest.mark.timeout(300)
async def test_emulated_client_to_linux_listener(tap: dict[str, Any]) -> None:
    host = Host(clock=RealClock(), name="tap", rng=random.Random(4))
    _wire(host, tap["fd"])
    p = host.spawn()
    peer = await _peer(tap["ns"], "server", "10.77.0.1", "5001", str(SIZE))
    try:
        assert peer.stdout is not None
        line = await asyncio.wait_for(peer.stdout.readline(), 30)
        assert line.strip() == b"listening"
        fd = (await _call(p, "socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0)).ret
        r = await asyncio.wait_for(_call(p, "connect", fd=fd, addr=sin("10.77.0.1", 5001)), 30)
        assert r.ret == 0, r.error_name
        data = random.Random(11).randbytes(SIZE)
        sender = asyncio.ensure_future(_call(p, "send", fd=fd, data=data, flags=0))
        got = await asyncio.wait_for(_recv_all(p, fd, SIZE), 180)
        assert (await sender).ret == SIZE
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
        out, err = await asyncio.wait_for(peer.communicate(), 60)
        assert out.decode().strip().startswith("echoed"), err.decode()
    finally:
        if peer.returncode is None:
            peer.kill()
            await peer.wait()
        asyncio.get_running_loop().remove_reader(tap["fd"])
