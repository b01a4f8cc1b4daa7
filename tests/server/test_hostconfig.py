"""server/hostconfig.py: the embedded default host and configuration from a dict."""
from __future__ import annotations

import struct

import pytest

from kernel.clock import ManualClock
from kernel.net.proc import proc_read
from kernel.syscalls import do_syscall
from kernel.uapi import AF_INET, IP_RECVERR, MSG_DONTWAIT, MSG_ERRQUEUE, SOCK_DGRAM, SOL_IP
from server.hostconfig import DEFAULT_SPEC, HostConfigError, configure_host, default_host


def test_default_host_has_lo_and_eth0() -> None:
    host = default_host()
    dev = proc_read(host, "net/dev")
    assert "    lo:" in dev and "  eth0:" in dev
    route = proc_read(host, "net/route").splitlines()
    assert route[1].split()[:4] == ["eth0", "0000000A", "00000000", "0001"]  # 10.0.0.0/24 connected


def test_configure_steps_and_errors() -> None:
    host = configure_host(default_host(), {
        "sysctls": {"net.ipv4.ip_forward": 1},
        "links": [{"name": "eth1", "kind": "dummy", "mac": "02:00:00:00:00:02", "mtu": 9000}],
        "addresses": [{"dev": "eth1", "address": "192.168.7.1/24"}],
        "routes": [{"dst": "default", "via": "10.0.0.254"}, {"dst": "172.16.0.0/12", "via": "192.168.7.254", "metric": 5}],
    })
    assert host.sysctl["net.ipv4.ip_forward"] == 1
    table = proc_read(host, "net/route")
    assert "eth0\t00000000\tFE00000A\t0003" in table and "eth1\t000010AC\tFE07A8C0\t0003" in table
    bad = [
        ({"sysctls": {"net.ipv4.nope": 1}}, "no such key"),
        ({"links": [{"name": "eth0"}]}, "link eth0: EEXIST"),
        ({"links": [{"name": "v0", "kind": "veth"}]}, "made by the lab"),
        ({"addresses": [{"dev": "eth9", "address": "1.2.3.4/8"}]}, "no device 'eth9'"),
        ({"addresses": [{"dev": "eth0", "address": "10.0.0.1/24"}]}, "EEXIST"),
        ({"addresses": [{"dev": "eth0", "address": "10.0.0.300/24"}]}, "bad address"),
        ({"routes": [{"dst": "10.1.0.0/16", "via": "192.0.2.1"}]}, "ENETUNREACH"),
    ]
    for spec, message in bad:
        with pytest.raises(HostConfigError, match=message):
            configure_host(default_host(), spec)


async def _udp_to_unanswered(recverr: bool) -> tuple[list[str], bytes]:
    """Connected UDP from eth0 (10.0.0.1) to 10.0.0.2, which never answers ARP:
    a send each virtual second; the results, then the error queue's first message's cmsg data."""
    clock = ManualClock()
    host = default_host(clock=clock)
    proc = host.spawn()
    fd = (await do_syscall(proc, "socket", {"family": AF_INET, "type": SOCK_DGRAM}, None)).ret
    if recverr:
        await do_syscall(proc, "setsockopt", {"fd": fd, "level": SOL_IP, "optname": IP_RECVERR,
                                              "optval": struct.pack("i", 1)}, None)
    peer = struct.pack("=H", AF_INET) + struct.pack("!H4s8x", 9, bytes([10, 0, 0, 2]))
    assert (await do_syscall(proc, "connect", {"fd": fd, "addr": peer}, None)).ret == 0
    results = []
    for step in (1.0, 1.0, 1.5, 1.0, 1.0):  # sends at t = 0, 1, 2, 3.5, 4.5 (ARP gives up at t = 3)
        reply = await do_syscall(proc, "send", {"fd": fd, "data": b"x"}, None)
        results.append(reply.error_name or str(reply.ret))
        clock.advance(step)
    errq = await do_syscall(proc, "recvmsg", {"fd": fd, "size": 100, "controllen": 1000,
                                              "flags": MSG_ERRQUEUE | MSG_DONTWAIT}, None)
    return results, errq.control if errq.ret >= 0 else errq.error_name.encode()


async def test_arp_failure_is_silent_without_ip_recverr() -> None:
    """Linux 6.18 (checked in a netns): ARP gives up after 3 probes and answers the queued
    packets with a local ICMP host unreachable, which a plain UDP socket ignores (not a hard error)."""
    results, errq = await _udp_to_unanswered(recverr=False)
    assert results == ["1"] * 5
    assert errq == b"EAGAIN"


async def test_arp_failure_reaches_ip_recverr_sockets() -> None:
    """With IP_RECVERR the next send fails with EHOSTUNREACH (once, as on Linux), and the
    error queue holds sock_extended_err{EHOSTUNREACH, SO_EE_ORIGIN_ICMP, type 3, code 1}."""
    results, errq = await _udp_to_unanswered(recverr=True)
    assert results == ["1", "1", "1", "EHOSTUNREACH", "1"]
    assert len(errq) >= 16 + 16
    level, type_ = struct.unpack_from("ii", errq, 8)
    ee_errno, origin, icmp_type, icmp_code = struct.unpack_from("IBBB", errq, 16)
    assert (level, type_, ee_errno, origin, icmp_type, icmp_code) == (SOL_IP, IP_RECVERR, 113, 2, 3, 1)
    assert DEFAULT_SPEC["addresses"][0]["address"] == "10.0.0.1/24"
