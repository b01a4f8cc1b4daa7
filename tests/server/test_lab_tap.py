"""A topology NIC of ``kind: tap``: ``socketlabd --topology`` attaches it to a Linux TAP device.

The daemon (started by ``socketlab lab up``) opens the TAP inside a scratch
network namespace (the NIC's ``netns``; the host's own namespace is never
touched) on its running asyncio loop; Linux pings the emulated host through
it (a UDP echo from Linux's own stack) and the emulated host pings Linux.
Skipped, with the reason, without root, /dev/net/tun or iproute2.  The topology refuses ``netns`` on a
NIC that is not a tap.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import client
from client import lab as labtools
from server.topology import TopologyError, parse_topology
from tests.conftest import free_ports

TOPOLOGY = """\
name: taplab
hosts:
  a:
    api: {{port: {port}}}
    nics: [{{name: tap0, kind: tap, ifname: {ifname}, netns: {netns}, mac: "02:00:00:00:08:02"}}]
    addresses: [{{dev: tap0, address: 10.8.0.2/24}}]
links: []
"""


LINUX_UDP = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(b"hello from linux", ("10.8.0.2", 9000))
print(s.recvfrom(100)[0].decode())
"""


def _ip(*args: str, netns: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ["ip", *(("netns", "exec", netns, "ip", *args) if netns else args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


@pytest.fixture()
def scratch_netns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("a TAP NIC needs root (CAP_NET_ADMIN)")
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("/dev/net/tun is missing (no TUN/TAP driver)")
    if shutil.which("ip") is None:
        pytest.skip("iproute2's ip is not installed")
    name = f"sllabtap{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, timeout=30)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def test_socketlabd_topology_with_a_tap_nic(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                            scratch_netns: str) -> None:
    monkeypatch.setenv("SOCKETLAB_STATE_DIR", str(tmp_path))
    port = free_ports(1)[0]
    path = tmp_path / "lab.yml"
    path.write_text(TOPOLOGY.format(port=port, ifname="sltap0", netns=scratch_netns))
    err = io.StringIO()
    rc = labtools.lab_up(str(path), io.StringIO(), err, timeout=60)
    try:
        if rc != 0:
            log = (tmp_path / "taplab-a.log").read_text()
            if "Operation not permitted" in log or "cannot open" in log.lower():
                pytest.skip(f"the TAP cannot be opened here: {log[-300:]}")
        assert rc == 0, err.getvalue() + (tmp_path / "taplab-a.log").read_text()
        assert _ip("link", "set", "sltap0", "up", netns=scratch_netns).returncode == 0
        assert _ip("addr", "add", "10.8.0.1/24", "dev", "sltap0", netns=scratch_netns).returncode == 0
        net = client.connect(f"127.0.0.1:{port}")
        try:
            # Linux -> emulated: a UDP echo through the TAP (Linux's own stack, in the scratch namespace)
            srv = net.socket(net.AF_INET, net.SOCK_DGRAM)
            srv.bind(("0.0.0.0", 9000))
            srv.settimeout(10)
            linux = subprocess.Popen(["ip", "netns", "exec", scratch_netns, sys.executable, "-c", LINUX_UDP],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            data, peer = srv.recvfrom(100)
            assert data == b"hello from linux" and peer[0] == "10.8.0.1"
            srv.sendto(data.upper(), peer)
            stdout, stderr = linux.communicate(timeout=30)
            assert linux.returncode == 0 and stdout.strip() == "HELLO FROM LINUX", stdout + stderr
            neigh = _ip("neigh", "show", "10.8.0.2", netns=scratch_netns).stdout
            assert "02:00:00:00:08:02" in neigh, neigh  # the topology's MAC
            # emulated -> Linux: ICMP echo answered by the Linux kernel
            got, _ = labtools.ping(net, "10.8.0.1", io.StringIO(), count=2, interval=0.05, timeout=2.0)
        finally:
            net.close()
        assert got == 2
    finally:
        labtools.lab_down("taplab", io.StringIO(), io.StringIO())
    # the daemon closed the TAP on its way out: the non-persistent device is gone
    assert "sltap0" not in _ip("link", "show", netns=scratch_netns).stdout


def test_netns_only_on_a_tap_nic() -> None:
    bad = TOPOLOGY.format(port=1, ifname="sltap0", netns="x").replace("kind: tap, ", "")
    with pytest.raises(TopologyError) as exc:
        parse_topology(bad, "lab.yml")
    assert any("hosts.a.nics[0].netns" in p and "only a tap NIC" in p for p in exc.value.problems), \
        exc.value.problems
