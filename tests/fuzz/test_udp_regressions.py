"""Minimal reproductions of what the UDP stateful fuzzer (udp_machine.py) found.

Each repro is ``def repro_NAME(net) -> list``, run on the host's Linux kernel
(the stdlib ``socket`` module, loopback) and on ``client.local()``:

- test_linux_outcome pins what Linux does (it must pass: if it fails, the
  host kernel changed and the repro needs another look);
- test_emulated_matches_linux asserts the emulated kernel does the same.  A
  bug not fixed yet is a strict xfail naming its udp_machine.UDP_KNOWN_BUGS
  entry: when the kernel is fixed the xfail fails, and the mark, the entry
  and its guard in udp_machine.py must go.
"""

from __future__ import annotations

import errno
import select
import socket
import struct
from collections.abc import Callable
from typing import Any

import pytest

import client

from .udp_machine import UDP_KNOWN_BUGS

Repro = Callable[[Any], list]


def _bug(name: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=f"kernel bug: {UDP_KNOWN_BUGS[name]}")


def _try(fn: Callable[..., Any], *args: Any) -> Any:
    """fn's result, or the errno name it raised."""
    try:
        return fn(*args)
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def _udp(net: Any, bind: bool = True) -> Any:
    s = net.socket(net.AF_INET, net.SOCK_DGRAM)
    if bind:
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
    return s


# ------------------------------------------------------------------- repros


def repro_connect_redirects_corked_datagram(net: Any) -> list:
    """A datagram corked (MSG_MORE) towards a, then connect(b), then the last
    part: Linux sends the whole datagram to b (the connect routed into the
    cork's flow, inet->cork.fl)."""
    a, b, s = _udp(net), _udp(net), _udp(net, bind=False)
    s.sendto(b"corked", net.MSG_MORE, a.getsockname())
    s.connect(b.getsockname())
    s.send(b"+end")
    trace = [_try(a.recv, 100), _try(b.recv, 100)]
    for x in (a, b, s):
        x.close()
    return trace


def repro_failed_connect_redirects_corked_datagram(net: Any) -> list:
    """The same with a connect() that fails (EACCES: broadcast without
    SO_BROADCAST): Linux has already routed the cork's flow to the broadcast
    address, so the datagram goes there and a gets nothing."""
    a, s = _udp(net), _udp(net, bind=False)
    s.sendto(b"corked", net.MSG_MORE, a.getsockname())
    trace = [_try(s.connect, ("127.255.255.255", a.getsockname()[1] ^ 1))]
    trace += [_try(s.send, b"+end"), _try(a.recv, 100)]
    for x in (a, s):
        x.close()
    return trace


def repro_corked_sendto_readdresses_connected_sends(net: Any) -> list:
    """s connected to a; a datagram corked towards b (sendto + MSG_MORE), then sends on the connection:
    Linux sends them all to b (the corked sendto wrote b into inet->cork.fl, the flow a connected send
    with a cached route uses), so a gets nothing; with a closed, a send is no port unreachable for the
    connection either (no POLLERR).  The fuzzer saw that last part first."""
    a, b, s = _udp(net), _udp(net), _udp(net, bind=False)
    s.connect(a.getsockname())
    trace = [s.sendto(b"corked", net.MSG_MORE, b.getsockname()), s.send(b"+1"), s.send(b"2")]
    trace += [_try(a.recv, 100), [_try(b.recv, 100) for _ in range(3)]]
    a.close()
    s.send(b"3")
    trace += [_revents(net, s), _try(b.recv, 100)]
    for x in (b, s):
        x.close()
    return trace


def repro_read_datagram_still_charges_rcvbuf(net: Any) -> list:
    """Two 1000-byte datagrams queued, one read, SO_RCVBUF 2304 (4608), then 1-byte datagrams: Linux
    drops them all (the read one's 2304 stays in sk_rmem_alloc as udp_rmem_release's forward deficit
    while the reader queue holds the other), then reads the second 1000 bytes.  The fuzzer found it."""
    r, s = _udp(net), _udp(net, bind=False)
    for _ in range(2):
        s.sendto(b"a" * 1000, r.getsockname())
    trace = [len(r.recv(2000))]
    r.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 2304)
    for _ in range(4):
        s.sendto(b"b", r.getsockname())
    trace += [_try(lambda: len(r.recv(2000))) for _ in range(2)]
    for x in (r, s):
        x.close()
    return trace


def _revents(net: Any, s: Any) -> int:
    """poll() revents of s, every event bit asked."""
    p = select.poll() if net is socket else net.poll()
    p.register(s, select.POLLIN | select.POLLPRI | select.POLLOUT | select.POLLRDNORM | select.POLLRDBAND
               | select.POLLWRNORM | select.POLLWRBAND)
    return int(dict(p.poll(0)).get(s.fileno(), 0))


def _writable(net: Any, s: Any) -> bool:
    do_select = select.select if net is socket else net.select
    return bool(do_select([], [s], [], 0)[1])


def repro_corked_data_charges_sndbuf(net: Any) -> list:
    """SO_SNDBUF 0 (4608) and 1000 bytes corked with MSG_MORE: Linux's pending
    skb (truesize 2304) is charged to sk_wmem_alloc, which is not below
    sndbuf/2: the socket is not writable until the datagram goes."""
    s = _udp(net, bind=False)
    s.connect(("127.0.0.1", 9))
    s.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 0)
    trace: list = [_writable(net, s), s.send(b"x" * 1000, net.MSG_MORE), _writable(net, s)]
    trace += [s.send(b""), _writable(net, s)]
    s.close()
    return trace


def repro_pktinfo_of_datagram_queued_before_ip_pktinfo(net: Any) -> list:
    """A datagram queued before IP_PKTINFO was set, read after: Linux's
    in_pktinfo has ifindex 0 and spec_dst 0.0.0.0 (ipv4_pktinfo_prepare ran
    at enqueue without the option), ipi_addr the destination."""
    r = _udp(net)
    s = _udp(net, bind=False)
    s.sendto(b"before", r.getsockname())
    r.setsockopt(net.IPPROTO_IP, 8, 1)  # IP_PKTINFO
    s.sendto(b"after", r.getsockname())
    trace = []
    for _ in range(2):
        data, anc, _flags, _addr = r.recvmsg(100, 64)
        trace.append((data, [(level, kind, struct.unpack("i4s4s", raw)) for level, kind, raw in anc]))
    for x in (r, s):
        x.close()
    return trace


def repro_errqueue_pktinfo_spec_dst(net: Any) -> list:
    """IP_RECVERR + IP_PKTINFO, a send to a port nobody has on 127.0.0.2, the
    error read with MSG_ERRQUEUE: Linux's in_pktinfo is (1, 0.0.0.0, 127.0.0.1)."""
    s = _udp(net, bind=False)
    s.setblocking(False)
    s.setsockopt(net.IPPROTO_IP, 11, 1)  # IP_RECVERR
    s.setsockopt(net.IPPROTO_IP, 8, 1)  # IP_PKTINFO
    s.connect(("127.0.0.2", 9))
    s.send(b"x")
    data, anc, flags, addr = s.recvmsg(100, 256, 0x2000)  # MSG_ERRQUEUE
    trace = [data, hex(flags), addr[0]]
    trace += [(level, kind, struct.unpack("i4s4s", raw) if kind == 8 else len(raw)) for level, kind, raw in anc]
    s.close()
    return trace


def repro_reuseport_bind_stops_at_first_match(net: Any) -> list:
    """a holds 127.0.0.2:P (no SO_REUSEPORT), then b 127.0.0.1:P with
    SO_REUSEPORT; c (SO_REUSEPORT) binds 0.0.0.0:P: allowed on Linux (b, the
    newest in the port's chain, matches first and ends the search); bound in
    the other order, EADDRINUSE."""
    trace = []
    for order in ("ab", "ba"):
        probe = net.socket(net.AF_INET, net.SOCK_DGRAM)
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
        probe.close()
        a = net.socket(net.AF_INET, net.SOCK_DGRAM)
        b = net.socket(net.AF_INET, net.SOCK_DGRAM)
        b.setsockopt(net.SOL_SOCKET, net.SO_REUSEPORT, 1)
        for x in order:
            (a.bind(("127.0.0.2", port)) if x == "a" else b.bind(("127.0.0.1", port)))
        c = net.socket(net.AF_INET, net.SOCK_DGRAM)
        c.setsockopt(net.SOL_SOCKET, net.SO_REUSEPORT, 1)
        trace.append(_try(lambda: c.bind(("0.0.0.0", port)) or "ok"))
        for x in (a, b, c):
            x.close()
    return trace


def repro_pmtudisc_interface_accepts_65508(net: Any) -> list:
    """IP_MTU_DISCOVER 4 (IP_PMTUDISC_INTERFACE) and 65508 bytes to a bound
    socket on lo: Linux's sendto returns 65508 and nothing arrives; with
    IP_PMTUDISC_DO, EMSGSIZE; with IP_PMTUDISC_PROBE (3) EMSGSIZE too, from
    the ICMP fragmentation needed Linux sends itself (the socket is connected:
    sk_err, POLLERR, and the next send reports it instead of sending)."""
    trace = []
    for mode in (4, 2):
        r = _udp(net)
        s = _udp(net, bind=False)
        s.setsockopt(net.IPPROTO_IP, 10, mode)  # IP_MTU_DISCOVER
        trace += [_try(s.sendto, b"x" * 65508, r.getsockname()), _try(r.recv, 70000)]
        r.close()
        s.close()
    r = _udp(net)
    s = _udp(net, bind=False)
    s.setsockopt(net.IPPROTO_IP, 10, 3)
    s.connect(r.getsockname())
    trace += [_try(s.send, b"x" * 65508), _revents(net, s), _try(s.send, b"x")]
    trace += [_try(r.recv, 70000)]
    r.close()
    s.close()
    return trace


#: name -> (repro, what Linux returns, the UDP_KNOWN_BUGS entry if the emulated kernel is known to differ)
REPROS: dict[str, tuple[Repro, list, str | None]] = {
    "connect_redirects_corked_datagram": (
        repro_connect_redirects_corked_datagram, ["EAGAIN", b"corked+end"], None),  # fixed: c550485
    "failed_connect_redirects_corked_datagram": (
        repro_failed_connect_redirects_corked_datagram, ["EACCES", 4, "EAGAIN"], None),  # fixed: c550485
    "corked_sendto_readdresses_connected_sends": (
        repro_corked_sendto_readdresses_connected_sends,
        [6, 2, 1, "EAGAIN", [b"corked+1", b"2", "EAGAIN"], 0x304, b"3"], None),  # fixed: c550485
    "corked_data_charges_sndbuf": (
        repro_corked_data_charges_sndbuf, [True, 1000, False, 0, True], None),  # fixed: f6a8dd5
    "read_datagram_still_charges_rcvbuf": (
        repro_read_datagram_still_charges_rcvbuf, [1000, 1000, "EAGAIN"], None),  # fixed: ca5d1a3
    "pktinfo_of_datagram_queued_before_ip_pktinfo": (
        repro_pktinfo_of_datagram_queued_before_ip_pktinfo,
        [(b"before", [(0, 8, (0, bytes(4), bytes([127, 0, 0, 1])))]),
         (b"after", [(0, 8, (1, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])))])], None),  # fixed: 91b5c04
    "errqueue_pktinfo_spec_dst": (
        repro_errqueue_pktinfo_spec_dst,
        [b"x", "0x2000", "127.0.0.2", (0, 8, (1, bytes(4), bytes([127, 0, 0, 1]))), (0, 11, 32)],
        None),  # fixed: 1efe070
    "reuseport_bind_stops_at_first_match": (
        repro_reuseport_bind_stops_at_first_match, ["ok", "EADDRINUSE"], None),  # fixed: c02daa5
    "pmtudisc_interface_accepts_65508": (
        repro_pmtudisc_interface_accepts_65508,
        [65508, "EAGAIN", "EMSGSIZE", "EAGAIN", "EMSGSIZE", 0x30c, "EMSGSIZE", "EAGAIN"], None),  # fixed: 0fe4162
}


# -------------------------------------------------------------------- tests


def _run_emulated(repro: Repro) -> list:
    net = client.local()
    try:
        return repro(net)
    finally:
        net.close()


@pytest.mark.parametrize("name", sorted(REPROS))
def test_linux_outcome(name: str) -> None:
    repro, linux, _ = REPROS[name]
    assert repro(socket) == linux


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=[_bug(bug)] if bug else []) for name, (_, _, bug) in sorted(REPROS.items())],
)
def test_emulated_matches_linux(name: str) -> None:
    repro, linux, _ = REPROS[name]
    assert _run_emulated(repro) == linux


def test_every_known_bug_has_a_repro() -> None:
    assert sorted(UDP_KNOWN_BUGS) == sorted({bug for _, _, bug in REPROS.values() if bug})
