"""The TAP bridge: a real Linux network namespace pings an emulated host through a TAP device.

The TAP is created inside a scratch network namespace of the test's own
(``ip netns add``), never in the machine's: the host's interfaces are not
touched.  Skipped, with the reason, where that is impossible (not root, no
/dev/net/tun, no ``ip``, namespaces refused).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from kernel.drivers.net.dummy import dummy_dev
from kernel.drivers.net.tap import is_tap, tap_newlink, tap_rx
from kernel.host import Host
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.wire.ipv4 import ip_aton
from server import tap_io
from server.tap_io import attach_tap

pytestmark = pytest.mark.asyncio(loop_scope="module")

PING = r"""
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF); s += s >> 16
    return ~s & 0xFFFF
head = struct.pack("!BBHHH", 8, 0, 0, 0x5151, 1) + b"through the tap!"
pkt = struct.pack("!BBHHH", 8, 0, csum(head), 0x5151, 1) + b"through the tap!"
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(5)
s.sendto(pkt, (sys.argv[1], 0))
while True:
    data, addr = s.recvfrom(2048)
    ihl = (data[0] & 15) * 4
    if data[ihl] == 0 and data[ihl + 4:ihl + 6] == b"\x51\x51":
        print("reply from", addr[0], data[ihl + 8:].decode())
        break
"""


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)


@pytest.fixture
def scratch_netns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("the TAP bridge needs root (CAP_NET_ADMIN)")
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("/dev/net/tun is missing (no TUN/TAP driver)")
    if shutil.which("ip") is None:
        pytest.skip("iproute2's ip is not installed")
    name = f"slabtap{os.getpid()}"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.strip()}")
    try:
        yield name
    finally:
        _ip("netns", "del", name)


async def _run(*cmd: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode()


async def test_linux_pings_an_emulated_host_through_a_tap(scratch_netns: str) -> None:
    host = Host(name="emu")
    dev = tap_newlink(host, "eth0")
    assert is_tap(dev) and not dev.carrier
    assert inet_insert_ifa(host.netns, dev, ip_aton("10.77.0.2"), 24) == 0
    try:
        io = attach_tap(dev, "slabtap0", netns=scratch_netns)
    except OSError as exc:
        pytest.skip(f"cannot open a TAP in the scratch namespace: {exc}")
    try:
        assert dev.carrier
        for args in (("link", "set", "slabtap0", "up"), ("addr", "add", "10.77.0.1/24", "dev", "slabtap0")):
            rc, out = await _run("ip", "-n", scratch_netns, *args)
            assert rc == 0, out
        rc, out = await _run("ip", "netns", "exec", scratch_netns, sys.executable, "-c", PING, "10.77.0.2")
        assert rc == 0 and "reply from 10.77.0.2 through the tap!" in out, out
        assert host.netns.mib["Icmp"]["InEchos"] >= 1 and io.stats["rx_frames"] >= 2 and io.stats["tx_frames"] >= 2
    finally:
        io.close()
    assert not dev.carrier and io.closed
    io.close()  # idempotent


async def test_tap_needs_root_and_a_tap_nic(monkeypatch: Any) -> None:
    host = Host(name="emu")
    dev = tap_newlink(host, "tap0")
    with pytest.raises(TypeError, match="not a TAP NIC"):
        attach_tap(dummy_dev(host.netns, "dm0"), "x")
    with pytest.raises(ValueError, match="bad TAP interface name"):
        attach_tap(dev, "a-name-far-too-long")
    monkeypatch.setattr(tap_io.os, "geteuid", lambda: 1000)
    with pytest.raises(PermissionError, match="needs root"):
        attach_tap(dev, "slabtapx")
    assert not dev.carrier


async def test_tap_rx_checks() -> None:
    host = Host(name="emu")
    dev = tap_newlink(host, "tap0", mtu=100)
    assert tap_rx(dev, bytes(200)) == 1 and dev.stats.rx_dropped == 1
