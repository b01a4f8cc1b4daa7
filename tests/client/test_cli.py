"""The ``socketlab`` CLI against the session's daemon: main(argv) with captured output, plus the console script.

Whatever a test changes on the shared daemon it puts back (links deleted,
sysctls restored).  Waits are bounded.
"""
from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import client
from client import cli
from kernel.host import Host

needs_ipv4 = pytest.mark.skipif(Host().netns.ipv4 is None, reason="IPv4 is not wired into the kernel yet")
WAIT = 10.0


def run(daemon: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["--target", daemon, *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def ok(daemon: str, *argv: str) -> str:
    status, out, err = run(daemon, *argv)
    assert status == 0, (argv, status, err)
    return out


@pytest.fixture
def veth(daemon: str) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:6]
    names = (f"c{tag}a", f"c{tag}b")
    ok(daemon, "ip", "link", "add", names[0], "type", "veth", "peer", "name", names[1])
    yield names
    run(daemon, "ip", "link", "del", names[0])


def test_proc(daemon: str) -> None:
    out = ok(daemon, "proc", "net/snmp")
    assert out.startswith("Ip: Forwarding DefaultTTL InReceives") and out.endswith("\n")
    assert ok(daemon, "proc", "/proc/sys/net/ipv4/ip_default_ttl") == "64\n"
    status, out, err = run(daemon, "proc", "net/nothing")
    assert (status, out, err) == (1, "", "cat: /proc/net/nothing: No such file or directory\n")


def test_ip_link(daemon: str, veth: tuple[str, str]) -> None:
    a, b = veth
    lines = ok(daemon, "ip", "link").splitlines()
    assert re.fullmatch(r"1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT "
                        r"group default qlen \d+", lines[0])
    assert lines[1] == "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
    mine = [line for line in lines if f": {a}@{b}:" in line or f": {b}@{a}:" in line]
    assert len(mine) == 2 and all("<BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT" in m
                                  for m in mine)  # as Linux: both ends down, each says its peer is
    ok(daemon, "ip", "link", "set", a, "up", "mtu", "9000")
    shown = ok(daemon, "ip", "l", "sh", a).splitlines()
    assert re.fullmatch(rf"\d+: {a}@{b}: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 9000 qdisc noqueue "
                        r"state LOWERLAYERDOWN mode DEFAULT group default qlen 1000", shown[0])
    assert re.fullmatch(r"    link/ether ([0-9a-f]{2}:){5}[0-9a-f]{2} brd ff:ff:ff:ff:ff:ff", shown[1])
    ok(daemon, "ip", "link", "set", "dev", b, "up", "address", "02:00:00:00:be:ef")
    both = ok(daemon, "ip", "-s", "link", "show", b).splitlines()
    assert "<BROADCAST,MULTICAST,UP,LOWER_UP>" in both[0] and "state UP" in both[0]
    assert both[1] == "    link/ether 02:00:00:00:be:ef brd ff:ff:ff:ff:ff:ff"
    assert both[2].startswith("    RX:  bytes packets errors dropped  missed   mcast")
    details = ok(daemon, "ip", "-d", "link", "show", b).splitlines()
    assert "promiscuity 0" in details[1] and details[2] == "    veth "


def test_ip_errors(daemon: str) -> None:
    assert run(daemon, "ip", "link", "del", "lo") == (2, "", "RTNETLINK answers: Operation not supported\n")
    assert run(daemon, "ip", "link", "set", "nope0", "up") == (1, "", 'Cannot find device "nope0"\n')
    assert run(daemon, "ip", "addr", "add", "10.0.0.1/24", "dev", "nope0") == (1, "", 'Cannot find device "nope0"\n')
    assert run(daemon, "ip", "link", "show", "nope0") == (1, "", 'Device "nope0" does not exist.\n')
    status, _, err = run(daemon, "ip", "link", "add", "x0", "type", "bond")
    assert (status, err) == (2, "Error: Unknown device type.\n")
    status, _, err = run(daemon, "ip", "addr", "add", "10.0.0.300/24", "dev", "lo")
    assert status == 1 and err == 'Error: inet address is expected rather than "10.0.0.300".\n'
    status, _, err = run(daemon, "ip", "frob")
    assert status == 255 and 'Object "frob" is unknown' in err


@needs_ipv4
def test_ip_addr_route_neigh(daemon: str, veth: tuple[str, str]) -> None:
    a, b = veth
    lo = ok(daemon, "ip", "addr", "show", "lo").splitlines()
    assert lo[2:4] == ["    inet 127.0.0.1/8 scope host lo", "       valid_lft forever preferred_lft forever"]
    ok(daemon, "ip", "link", "set", a, "up")
    ok(daemon, "ip", "link", "set", b, "up")
    ok(daemon, "ip", "addr", "add", "10.77.0.1/24", "brd", "+", "dev", a)
    ok(daemon, "ip", "a", "add", "10.77.0.5/24", "dev", a, "label", f"{a}:1")
    shown = ok(daemon, "ip", "addr", "show", "dev", a).splitlines()
    assert shown[2] == f"    inet 10.77.0.1/24 brd 10.77.0.255 scope global {a}"
    assert shown[4] == f"    inet 10.77.0.5/24 scope global secondary {a}:1"
    status, _, err = run(daemon, "ip", "addr", "add", "10.77.0.1/24", "dev", a)
    assert (status, err) == (2, "RTNETLINK answers: File exists\n")
    ok(daemon, "ip", "route", "add", "10.78.0.0/16", "via", "10.77.0.254", "metric", "7")
    routes = ok(daemon, "ip", "route").splitlines()
    assert f"10.77.0.0/24 dev {a} proto kernel scope link src 10.77.0.1 " in routes
    assert f"10.78.0.0/16 via 10.77.0.254 dev {a} metric 7 " in routes
    local = ok(daemon, "ip", "route", "show", "table", "local").splitlines()
    assert f"local 10.77.0.1 dev {a} table local proto kernel scope host src 10.77.0.1 " in local
    status, _, err = run(daemon, "ip", "route", "add", "10.79.0.0/16", "via", "10.1.2.3")
    assert (status, err) == (2, "RTNETLINK answers: Network is unreachable\n")
    ok(daemon, "ip", "route", "del", "10.78.0.0/16")
    assert not [r for r in ok(daemon, "ip", "r").splitlines() if r.startswith("10.78.")]
    status, _, err = run(daemon, "ip", "route", "del", "10.78.0.0/16")
    assert (status, err) == (2, "RTNETLINK answers: No such process\n")
    ok(daemon, "ip", "neigh", "add", "10.77.0.9", "lladdr", "02:00:00:00:00:09", "dev", a)
    assert ok(daemon, "ip", "neigh", "show", "dev", a) == f"10.77.0.9 dev {a} lladdr 02:00:00:00:00:09 PERMANENT \n"
    arp = ok(daemon, "proc", "net/arp")
    assert f"10.77.0.9        0x1         0x6         02:00:00:00:00:09     *        {a}\n" in arp
    ok(daemon, "ip", "neigh", "del", "10.77.0.9", "dev", a)
    assert ok(daemon, "ip", "neigh", "show", "dev", a) == ""
    ok(daemon, "ip", "addr", "del", "10.77.0.1/24", "dev", a)
    status, _, err = run(daemon, "ip", "addr", "del", "10.77.0.1/24", "dev", a)
    assert (status, err) == (2, "RTNETLINK answers: Cannot assign requested address\n")


def test_sysctl(daemon: str) -> None:
    assert ok(daemon, "sysctl", "net.ipv4.ip_local_port_range") == "net.ipv4.ip_local_port_range = 32768\t60999\n"
    assert ok(daemon, "sysctl", "-n", "net.ipv4.ip_default_ttl") == "64\n"
    assert ok(daemon, "sysctl", "net/core/somaxconn") == "net.core.somaxconn = 4096\n"
    try:
        assert ok(daemon, "sysctl", "-w", "net.core.somaxconn=100") == "net.core.somaxconn = 100\n"
        assert ok(daemon, "sysctl", "-n", "net.core.somaxconn") == "100\n"
        status, out, err = run(daemon, "sysctl", "-w", "net.ipv4.ip_default_ttl=0")
        assert (status, out, err) == (1, "", 'sysctl: setting key "net.ipv4.ip_default_ttl": Invalid argument\n')
    finally:
        ok(daemon, "sysctl", "-w", "net.core.somaxconn=4096")
    status, out, err = run(daemon, "sysctl", "net.ipv4.nope")
    assert (status, err) == (1, "sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory\n")
    listed = ok(daemon, "sysctl", "-a", "net.core.").splitlines()
    assert "net.core.somaxconn = 4096" in listed and all(line.startswith("net.core.") for line in listed)


def test_ss_unix(daemon: str) -> None:
    net = client.connect(daemon)
    path = f"/tmp/cli-{uuid.uuid4().hex[:8]}"
    try:
        srv = net.socket(net.AF_UNIX, net.SOCK_STREAM)
        srv.bind(path)
        srv.listen()
        lines = ok(daemon, "ss", "-xl").splitlines()
        assert lines[0].split()[:6] == ["Netid", "State", "Recv-Q", "Send-Q", "Local", "Address:Port"]
        mine = [line for line in lines if f" {path} " in line]
        assert len(mine) == 1 and re.fullmatch(rf"u_str LISTEN 0 +0 +{path} \d+ +\* 0 *", mine[0]), mine
        assert not [line for line in ok(daemon, "ss", "-x").splitlines() if f" {path} " in line]  # not connected
    finally:
        net.close()


@needs_ipv4
def test_ss_udp(daemon: str) -> None:
    net = client.connect(daemon)
    try:
        try:
            s = net.socket(net.AF_INET, net.SOCK_DGRAM)
        except OSError:
            pytest.skip("AF_INET sockets are not registered yet")
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        c = net.socket(net.AF_INET, net.SOCK_DGRAM)
        c.connect(("127.0.0.1", port))
        c.send(b"x" * 10)
        lines = ok(daemon, "ss", "-uan").splitlines()
        assert lines[0].startswith("State  Recv-Q Send-Q ") or lines[0].startswith("State Recv-Q Send-Q ")
        bound = [line for line in lines if f"127.0.0.1:{port} " in line and line.startswith("UNCONN")]
        assert len(bound) == 1 and bound[0].split()[1] != "0"  # the datagram waits in its queue
        connected = [line for line in ok(daemon, "ss", "-un").splitlines()[1:] if f"127.0.0.1:{port}" in line]
        assert len(connected) == 1 and connected[0].startswith("ESTAB")
    finally:
        net.close()


@needs_ipv4
def test_capture_lo_to_a_file(daemon: str, tmp_path: Path) -> None:
    net = client.connect(daemon)
    try:
        try:
            s = net.socket(net.AF_INET, net.SOCK_DGRAM)
        except OSError:
            pytest.skip("AF_INET sockets are not registered yet")
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        path = tmp_path / "lo.pcap"
        result: list[Any] = []
        errors = io.StringIO()
        thread = threading.Thread(target=lambda: result.append(cli.main(
            ["--target", daemon, "capture", "lo", "-w", str(path), "-c", "2"], out=io.StringIO(), err=errors)))
        thread.start()
        admin = cli.connect(daemon, None)[1]
        for _ in range(1000):  # bounded: until the capture runs (lo goes promiscuous)
            lo = admin.ListLinks(cli.hp.ListLinksRequest(name="lo")).links[0]
            if lo.promiscuity:
                break
            thread.join(0.01)
        for n in range(3):
            s.sendto(bytes([n]) * 20, ("127.0.0.1", port))
        thread.join(WAIT)
        assert not thread.is_alive() and result == [0]
        assert errors.getvalue().endswith("2 packets captured\n")
        data = path.read_bytes()
        assert struct.unpack_from("<I", data)[0] == 0xA1B2C3D4
        incl = struct.unpack_from("<I", data, 24 + 8)[0]
        assert incl == 14 + 20 + 8 + 20  # Ethernet + IPv4 + UDP + payload
        if shutil.which("tshark"):
            out = subprocess.run(["tshark", "-r", str(path), "-o", "udp.check_checksum:TRUE", "-T", "fields",
                                  "-e", "udp.dstport", "-e", "_ws.expert"], capture_output=True, text=True,
                                 timeout=60)
            assert out.returncode == 0, out.stderr
            assert [line.split("\t")[0] for line in out.stdout.splitlines()] == [str(port), str(port)]
    finally:
        net.close()


def test_console_script_help() -> None:
    out = subprocess.run([sys.executable, "-m", "client.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "socketlab" in out.stdout and "ip [-s] [-d] [-4] link" in out.stdout
