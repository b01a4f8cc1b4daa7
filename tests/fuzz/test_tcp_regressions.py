"""Repros of the emulated-kernel TCP mismatches tests/fuzz/tcp_machine.py found (issue #7).

Each runs the same few calls on the host kernel (the reference, asserted
first: the test breaks if Linux stops behaving so) and on ``client.local()``,
and asserts they agree.  While a bug is open its test is a strict xfail whose
reason is tcp_machine.TCP_KNOWN_BUGS's line; when the kernel is fixed the test
XPASSes (strict: a failure), and the marker, the entry and its guard in
tcp_machine.py go.
"""
from __future__ import annotations

import errno
import select
import socket
import struct
from typing import Any

from .machine import HostNet, local_net
from .tcp_machine import TcpSide

TCP_QUICKACK = 12
TCP_NOTSENT_LOWAT = 25


def _poll(net: Any, s: Any, linux: bool) -> int:
    p = select.poll() if linux else net.poll()
    p.register(s, 0xFFFF)
    return dict(p.poll(0)).get(s.fileno(), 0)


def _both(fn: Any) -> tuple[Any, Any]:
    want = fn(HostNet(), True)
    net = local_net()
    try:
        got = fn(net, False)
    finally:
        net.close()
    return want, got


def _refused_then_bind(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    with net.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK) as s:
        out.append(errno.errorcode.get(s.connect_ex(("127.0.0.1", 0)), 0))
        out.append(errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))
        try:
            s.bind(("0.0.0.0", 0))
            out.append("bind ok")
        except OSError as exc:
            out.append(errno.errorcode[exc.errno])
    return out


def test_refused_connect_puts_the_autobound_port() -> None:
    """tcp_set_state(TCP_CLOSE) puts a port bind() did not lock (inet_num = 0): bind() may pick anew."""
    want, got = _both(_refused_then_bind)
    assert want == ["EINPROGRESS", "ECONNREFUSED", "bind ok"]
    assert got == want


def _failed_blocking_connect_poll(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        out.append(errno.errorcode.get(s.connect_ex(("127.0.0.1", 0)), 0))
        out.append(hex(_poll(net, s, linux)))
        s.setsockopt(6, TCP_NOTSENT_LOWAT, 1)
        out.append(hex(_poll(net, s, linux)))
    return out


def test_failed_blocking_connect_then_notsent_lowat_poll() -> None:
    """tcp_disconnect moves write_seq max_window + 2 past snd_nxt: with TCP_NOTSENT_LOWAT no POLLOUT."""
    want, got = _both(_failed_blocking_connect_poll)
    assert want == ["ECONNREFUSED", "0x114", "0x10"]
    assert got == want


def _failed_blocking_connect_maxseg(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    for kind in (socket.SOCK_STREAM | socket.SOCK_NONBLOCK, socket.SOCK_STREAM):
        with net.socket(socket.AF_INET, kind) as s:
            out.append(errno.errorcode.get(s.connect_ex(("127.0.0.1", 1)), 0))
            out.append(s.getsockopt(6, 2))  # TCP_MAXSEG
    return out


def test_failed_blocking_connect_keeps_mss_cache() -> None:
    """tcp_disconnect keeps the tcp_sock: TCP_MAXSEG gives tcp_connect_init's mss_cache (536 - 12)."""
    want, got = _both(_failed_blocking_connect_maxseg)
    assert want == ["EINPROGRESS", 524, "ECONNREFUSED", 524]
    assert got == want


def _listener_shut_rd_poll(net: Any, linux: bool) -> list[Any]:
    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.listen(0)
        s.shutdown(socket.SHUT_RD)
        before = hex(_poll(net, s, linux))
        s.setsockopt(6, TCP_NOTSENT_LOWAT, 1)
        return [before, hex(_poll(net, s, linux))]


def test_listener_shut_rd_then_notsent_lowat_poll() -> None:
    """inet_shutdown(SHUT_RD) of a listener runs tcp_disconnect: write_seq 0 -> 2, snd_nxt 0."""
    want, got = _both(_listener_shut_rd_poll)
    assert want == ["0x114", "0x10"]
    assert got == want


def _disconnect_forgets_user_mss(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    lst = net.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    with lst, net.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(6, 2, 1000)
        out.append(s.getsockopt(6, 2))
        out.append(errno.errorcode.get(s.connect_ex(("127.0.0.1", 1)), 0))
        out.append(s.getsockopt(6, 2))
        info = s.getsockopt(6, socket.TCP_INFO, 104)
        out.append(struct.unpack_from("4I", info, 8)[2:])  # tcpi_snd_mss, tcpi_rcv_mss
        out.append(s.connect_ex(lst.getsockname()))
        a, _ = lst.accept()
        with a:
            out.append(a.getsockopt(6, 2) > 1000)  # the SYN announced no clamp
    return out


def test_disconnect_clears_user_mss_keeps_mss_cache() -> None:
    """tcp_disconnect clears tp->rx_opt (TCP_MAXSEG's user_mss too) but keeps mss_cache; rcv_mss -> 88."""
    want, got = _both(_disconnect_forgets_user_mss)
    assert want == [1000, "ECONNREFUSED", 988, (988, 88), 0, True]
    assert got == want


def _second_disconnect_gap(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    with net.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK) as s:
        out.append(errno.errorcode.get(s.connect_ex(("127.0.0.1", 1)), 0))
        out.append(errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))
        s.setsockopt(6, TCP_NOTSENT_LOWAT, 1)
        out.append(hex(_poll(net, s, linux)))
        out.append(errno.errorcode.get(s.connect_ex(("127.0.0.1", 1)), 0))  # sock_error: tcp_disconnect
        out.append(hex(_poll(net, s, linux)))
        s.setsockopt(6, TCP_NOTSENT_LOWAT, 5)
        out.append(hex(_poll(net, s, linux)))
        out.append(s.getsockopt(6, 2))
    return out


def test_nonblocking_refused_then_connect_again_disconnects() -> None:
    """A second connect() of a refused nonblocking socket is ECONNABORTED through tcp_disconnect: the
    two-byte gap (POLLOUT only for a notsent_lowat above 2 << 1) and the kept mss_cache."""
    want, got = _both(_second_disconnect_gap)
    assert want == ["EINPROGRESS", "ECONNREFUSED", "0x2155", "ECONNABORTED", "0x10", "0x114", 524]
    assert got == want


def test_side_normalises_pool_ports() -> None:
    side = TcpSide("x", HostNet(), [20001, 20002])
    assert side.port(20002) == ("P", 1) and side.port(40000) == ("eph", 0) and side.port(40000) == ("eph", 0)


def _pair(net: Any) -> tuple[Any, Any, Any]:
    lst = net.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    c = net.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.connect(lst.getsockname())
    a, _ = lst.accept()
    return lst, c, a


def _data_after_shutdown_rdwr(net: Any, linux: bool) -> list[Any]:
    lst, c, a = _pair(net)
    with lst, c, a:
        a.shutdown(socket.SHUT_RDWR)
        c.send(b"x")
        out: list[Any] = [hex(_poll(net, c, linux)), hex(_poll(net, a, linux))]
        out.append(errno.errorcode.get(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))
        out.append(errno.errorcode.get(a.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))
    return out


def test_data_to_a_shut_down_reader_resets_both_ends() -> None:
    """tcp_rcv_state_process: FIN_WAIT1/2 with RCV_SHUTDOWN and new data -> tcp_reset + RST (RFC 1122 4.2.2.13),
    whether or not the socket is orphaned (found by the TCP stateful fuzzer in CI)."""
    want, got = _both(_data_after_shutdown_rdwr)
    assert want == ["0x215d", "0x215d", "EPIPE", "ECONNRESET"]
    assert got == want


def _more_then_peer_data(net: Any, linux: bool) -> list[Any]:
    lst, c, a = _pair(net)
    with lst, c, a:
        a.send(b"m", socket.MSG_DONTWAIT | socket.MSG_MORE)
        c.send(b"y")
        return [hex(_poll(net, c, linux)), hex(_poll(net, a, linux))]


def test_msg_more_byte_stays_corked_when_peer_data_arrives() -> None:
    """An in-order data segment that acknowledges nothing new takes tcp_rcv_established's fast path, which
    does not push pending frames: a MSG_MORE byte stays queued (found by the TCP stateful fuzzer in CI)."""
    want, got = _both(_more_then_peer_data)
    assert want == ["0x104", "0x145"]
    assert got == want


def _quickack_off_before_connect(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as lst:
        lst.setsockopt(6, TCP_QUICKACK, 0)
        lst.bind(("127.0.0.1", 0))
        lst.listen(0)
        out.append(lst.getsockopt(6, TCP_QUICKACK))
        with net.socket(socket.AF_INET, socket.SOCK_STREAM) as c:
            c.setsockopt(6, TCP_QUICKACK, 0)
            out.append(c.getsockopt(6, TCP_QUICKACK))
            out.append(c.connect_ex(lst.getsockname()))
            out += [hex(_poll(net, lst, linux)), hex(_poll(net, c, linux)), c.getsockopt(6, TCP_QUICKACK)]
        with net.socket(socket.AF_INET, socket.SOCK_STREAM) as c:
            c.setsockopt(6, TCP_QUICKACK, 0)
            out.append(errno.errorcode.get(c.connect_ex(("127.0.0.1", 1)), 0))
            out.append(c.getsockopt(6, TCP_QUICKACK))
    return out


def test_quickack_off_before_connect_delays_the_handshake_ack() -> None:
    """TCP_QUICKACK 0 before connect is pingpong mode in SYN-SENT: tcp_rcv_synsent_state_process delays the
    handshake's last ACK (the listener has nothing to accept yet) and enters quickack mode (reads 1 after);
    listen and tcp_disconnect run inet_csk_delack_init (reads 1)  (found by the TCP stateful fuzzer)."""
    want, got = _both(_quickack_off_before_connect)
    assert want == [1, 0, 0, "0x0", "0x104", 1, "ECONNREFUSED", 1]
    assert got == want


def _closed_child_bind(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(0)
        port = lst.getsockname()[1]
        c = net.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(("127.0.0.1", port))
        c.close()
        a, _ = lst.accept()
        with a:
            a.shutdown(socket.SHUT_WR)  # LAST-ACK, then CLOSE: tcp_set_state puts the port
            for addr in (("0.0.0.0", port), ("0.0.0.0", 0)):
                try:
                    a.bind(addr)
                    out.append("ok")
                except OSError as exc:
                    out.append(errno.errorcode[exc.errno])
                name = a.getsockname()
                out.append((name[0], name[1] == port))
    return out


def test_accepted_child_does_not_inherit_the_port_lock() -> None:
    """sk_clone_lock clears SOCK_BINDPORT_LOCK: a closed child's port goes (inet_num 0), so bind() is allowed
    again -- EADDRINUSE on the listener's port, a fresh port for 0  (found by the TCP stateful fuzzer)."""
    want, got = _both(_closed_child_bind)
    assert want == ["EADDRINUSE", ("0.0.0.0", True), "ok", ("0.0.0.0", False)]
    assert got == want


def _listener_closed_under_a_request(net: Any, linux: bool) -> list[Any]:
    out: list[Any] = []
    lst = net.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as c:
        c.setsockopt(6, TCP_QUICKACK, 0)  # the handshake's last ACK waits: the child stays a request
        out.append(c.connect_ex(lst.getsockname()))
        lst.close()
        out.append(hex(_poll(net, c, linux)))
        out.append(errno.errorcode.get(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))
    return out


def test_closing_a_listener_drops_its_requests_silently() -> None:
    """inet_csk_listen_stop resets only accept-queue children; a SYN-RECV request goes without a RST (the
    client hears one when its delayed ACK finds no socket)  (found by the TCP stateful fuzzer)."""
    want, got = _both(_listener_closed_under_a_request)
    assert want == [0, "0x104", 0]
    assert got == want


def _rcvlowat_caps_and_grows(net: Any, linux: bool) -> list[Any]:
    def probe(s: Any, v: int) -> tuple[int, int, int, int]:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, v)
        return (v, s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT),
                s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), s.getsockopt(6, 10))  # TCP_WINDOW_CLAMP

    out: list[Any] = []
    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        out.append([probe(s, v) for v in (100, 100000, -1, 0)])
    with net.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 10000)
        out.append([probe(s, v) for v in (100, 6000, -1)])
    lst, c, a = _pair(net)
    with lst, c, a:
        out.append((c.getsockopt(6, 10), [probe(c, v) for v in (100, 100000, -1)]))
    return out


def test_tcp_rcvlowat_is_capped_and_grows_the_receive_buffer() -> None:
    """tcp_set_rcvlowat: at most half of tcp_rmem[2] (half of sk_rcvbuf once SO_RCVBUF locked it), and unless
    locked sk_rcvbuf grows to hold a window of that many bytes, a set window_clamp with it  (found by the TCP
    stateful fuzzer: SO_RCVLOWAT -1 read back INT_MAX)."""
    want, got = _both(_rcvlowat_caps_and_grows)
    assert want[0][0][:2] == (100, 100) and want[0][2][1] < 2**31 - 1 and want[1][2][1] == 10000
    assert got == want
