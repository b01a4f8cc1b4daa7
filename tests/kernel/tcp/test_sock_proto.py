"""tcp_prot's socket calls (kernel.net.ipv4.tcp.tcp) on a TcpSock whose connection is a small fake.

The fake (``FakeConn``, a TcpConn with the user-call API over plain buffers)
lets these tests pin the socket layer's own rules -- poll masks per state,
recv flag semantics, blocking/EAGAIN/EPIPE, SIOC* answers, SOL_TCP bounds --
independently of the core.  Expected values were measured on Linux 6.18
(the host kernel: stdlib socket on 127.0.0.1).
"""
from __future__ import annotations

import asyncio
import random
import struct

import pytest

import kernel.net.ipv4.af_inet  # noqa: F401
from kernel import uapi
from kernel.clock import HZ, ManualClock
from kernel.host import Host
from kernel.net.ipv4.tcp import tcp as T
from kernel.net.ipv4.tcp.conn import TcpConn, TcpParams
from kernel.net.ipv4.tcp.states import (
    TCP_CLOSE,
    TCP_CLOSE_WAIT,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT1,
    TCP_LISTEN,
    TCP_SYN_SENT,
)
from kernel.net.ipv4.tcp.tcp_info import TCP_INFO_SIZE, tcp_info_unpack
from kernel.net.ipv4.tcp.tcp_sock import TcpSock
from kernel.net.sock import SOCK_URGINLINE, Socket, sock_getsockopt, sock_setsockopt
from kernel.net.uaccess import MsgHdr, OptBuf

IN, OUT, PRI, ERR, HUP = uapi.POLLIN, uapi.POLLOUT, uapi.POLLPRI, uapi.POLLERR, uapi.POLLHUP
RDN, WRN, RDHUP = uapi.POLLRDNORM, uapi.POLLWRNORM, uapi.POLLRDHUP


class FakeConn(TcpConn):
    """The TcpConn user-call API over plain buffers (no segments)."""

    def __init__(self, params: TcpParams, now: float, state: int = TCP_ESTABLISHED) -> None:
        super().__init__(params, 1000, 2000, 100, now)
        self.state = state
        self.rcv_nxt = self.copied_seq = 5000
        self.snd_nxt = self.snd_una = self.write_seq = 101
        self.calls: list[str] = []

    # receive side helpers for the tests
    def deliver(self, data: bytes, urgent_at: int | None = None) -> None:
        if urgent_at is not None:
            self.urg_seq = (self.rcv_nxt + urgent_at) & 0xFFFFFFFF
            self.urg_data = 0x100 | data[urgent_at]
        self.receive_queue += data
        self.rcv_nxt = (self.rcv_nxt + len(data)) & 0xFFFFFFFF

    def fin(self) -> None:
        self.fin_rcvd = True
        self.shutdown |= 1
        self.rcv_nxt += 1

    # the API
    def send(self, data: bytes | memoryview, now: float, *, more: bool = False, oob: bool = False) -> int:
        n = min(len(data), self.send_space())
        self.write_seq += n
        self.calls.append(f"send {n} more={more} oob={oob}")
        return n

    def send_space(self) -> int:
        return max(0, self.params.sndbuf - (self.write_seq - self.snd_una))

    def writable(self) -> bool:
        return self.send_space() >= (self.write_seq - self.snd_una) // 2 and self.send_space() > 0

    def recv(self, n: int, now: float, *, peek: bool = False, trunc: bool = False) -> bytes:
        out = bytearray()
        while n > 0 and self.receive_queue:
            if self.urg_data and self.urg_seq == self.copied_seq:
                if out:
                    break
                if not self.params.oobinline:
                    del self.receive_queue[:1]
                    self.copied_seq += 1
                    continue
            k = n
            if self.urg_data and 0 < self.urg_seq - self.copied_seq < k:
                k = self.urg_seq - self.copied_seq
            chunk = bytes(self.receive_queue[:k])
            del self.receive_queue[:k]
            self.copied_seq += len(chunk)
            out += chunk
            n -= len(chunk)
        if self.urg_data and self.copied_seq > self.urg_seq:
            self.urg_data = 0
        return bytes(len(out)) if trunc else bytes(out)

    def shutdown_send(self, now: float) -> None:
        self.calls.append("shutdown_send")
        self.state = TCP_FIN_WAIT1

    def close(self, now: float) -> None:
        self.calls.append("close-rst" if self.receive_queue else "close-fin")

    def abort(self, now: float, send_rst: bool = True) -> None:
        self.calls.append("abort")

    def disconnect(self, now: float) -> int:
        self.calls.append("disconnect")
        self.state = TCP_CLOSE
        return 0

    def keepalive_changed(self, now: float) -> None:
        self.calls.append(f"keepalive {self.params.keepalive} {self.params.keepidle}")

    def set_quickack(self, on: bool, now: float) -> None:
        self.ack_pingpong = 0 if on else 1

    def on_timer(self, now: float) -> None:
        return None


@pytest.fixture
def host() -> Host:
    return Host(clock=ManualClock(), rng=random.Random(3))


def mk(host: Host, state: int = TCP_CLOSE, conn: bool = False) -> tuple[Socket, TcpSock, FakeConn | None]:
    sock = Socket(host, uapi.SOCK_STREAM)
    sk = TcpSock(host, uapi.SOCK_STREAM, uapi.IPPROTO_TCP, T.tcp_prot)
    sock.sk = sk
    sk.sk_socket = sock
    tp = None
    if conn:
        tp = FakeConn(sk.tcp_params, host.clock.now(), state)
        sk.tp = tp
    sk.sk_state = state
    return sock, sk, tp


async def recv(sk: TcpSock, n: int, flags: int = uapi.MSG_DONTWAIT) -> bytes | int:
    msg = MsgHdr(iovlen=n)
    ret = await T.tcp_recvmsg(None, sk, msg, n, flags)
    return msg.data if ret >= 0 and not flags & uapi.MSG_TRUNC else ret


def setopt(sk: TcpSock, opt: int, val: int | bytes, level: int = uapi.SOL_TCP) -> int:
    raw = val if isinstance(val, bytes) else struct.pack("<i", val)
    return T.tcp_setsockopt(sk, level, opt, raw)


def getopt(sk: TcpSock, opt: int, size: int = 4) -> int | bytes:
    o = OptBuf(size)
    err = T.tcp_getsockopt(sk, uapi.SOL_TCP, opt, o)
    if err:
        return err
    return struct.unpack("<i", o.data)[0] if len(o.data) == 4 and opt not in (uapi.TCP_CONGESTION,) else o.data


# --- poll --------------------------------------------------------------------------------------

def test_poll_fresh_listen_synsent(host: Host) -> None:
    sock, sk, _ = mk(host)
    assert T.tcp_poll(sock, sk) == OUT | WRN | HUP  # 0x114 on Linux
    sk.sk_shutdown = 2  # shutdown(SHUT_WR) on an unconnected socket: still 0x114
    assert T.tcp_poll(sock, sk) == OUT | WRN | HUP
    _, lsk, _ = mk(host, TCP_LISTEN)
    assert T.tcp_poll(None, lsk) == 0
    lsk.icsk_accept_queue.append(sk)
    assert T.tcp_poll(None, lsk) == IN | RDN
    _, ssk, _ = mk(host, TCP_SYN_SENT, conn=True)
    assert T.tcp_poll(None, ssk) == 0
    ssk.sk_err = uapi.ECONNREFUSED
    assert T.tcp_poll(None, ssk) == ERR


def test_poll_established_data_urgent_shutdown(host: Host) -> None:
    sock, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    assert T.tcp_poll(sock, sk) == OUT | WRN  # 0x104
    tp.deliver(b"hello")
    assert T.tcp_poll(sock, sk) == IN | RDN | OUT | WRN  # 0x145
    tp.deliver(b"!", urgent_at=0)
    assert T.tcp_poll(sock, sk) == IN | RDN | OUT | WRN | PRI  # 0x147
    tp.fin()
    sk.sk_state = tp.state = TCP_CLOSE_WAIT
    assert T.tcp_poll(sock, sk) & (RDHUP | IN) == RDHUP | IN
    sk.sk_shutdown |= 2
    assert T.tcp_poll(sock, sk) & HUP


def test_poll_rcvlowat_and_notsent_lowat(host: Host) -> None:
    sock, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    sk.sk_rcvlowat = 10
    tp.deliver(b"12345")
    assert not T.tcp_poll(sock, sk) & IN
    tp.deliver(b"67890")
    assert T.tcp_poll(sock, sk) & IN
    assert setopt(sk, uapi.TCP_NOTSENT_LOWAT, 100) == 0
    tp.write_seq += 60  # 60 unsent: 120 >= 100 (wake = 1 doubles it)
    assert not T.tcp_poll(sock, sk) & OUT


# --- recvmsg -------------------------------------------------------------------------------------

async def test_recv_unconnected_listener_and_eof(host: Host) -> None:
    _, sk, _ = mk(host)
    assert await recv(sk, 10) == -uapi.ENOTCONN
    assert await recv(sk, 10, uapi.MSG_OOB) == -uapi.EINVAL
    _, lsk, _ = mk(host, TCP_LISTEN)
    assert await recv(lsk, 10) == -uapi.ENOTCONN
    _, esk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    assert await recv(esk, 10) == -uapi.EAGAIN
    tp.deliver(b"abc")
    tp.fin()
    assert await recv(esk, 10) == b"abc"
    assert await recv(esk, 10) == b""


async def test_recv_error_order(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.deliver(b"data")
    sk.sk_err = uapi.ECONNRESET
    assert await recv(sk, 10) == b"data"  # queued data first
    assert await recv(sk, 10) == -uapi.ECONNRESET
    sk.sk_shutdown = 3
    sk.sk_state = TCP_CLOSE
    assert await recv(sk, 10) == b""


async def test_recv_peek_and_peek_off(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.deliver(b"abcdefgh")
    assert await recv(sk, 3, uapi.MSG_PEEK | uapi.MSG_DONTWAIT) == b"abc"
    assert await recv(sk, 3, uapi.MSG_PEEK | uapi.MSG_DONTWAIT) == b"abc"
    assert T.tcp_prot.set_peek_off(sk, 0) == 0
    assert await recv(sk, 3, uapi.MSG_PEEK | uapi.MSG_DONTWAIT) == b"abc"
    assert await recv(sk, 3, uapi.MSG_PEEK | uapi.MSG_DONTWAIT) == b"def"
    assert sk.sk_peek_off == 6
    assert await recv(sk, 4) == b"abcd"
    assert sk.sk_peek_off == 2
    assert await recv(sk, 10, uapi.MSG_PEEK | uapi.MSG_DONTWAIT) == b"gh"
    assert await recv(sk, 10, uapi.MSG_PEEK | uapi.MSG_DONTWAIT) == -uapi.EAGAIN


async def test_recv_trunc_discards(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.deliver(b"0123456789")
    assert await recv(sk, 4, uapi.MSG_TRUNC | uapi.MSG_PEEK | uapi.MSG_DONTWAIT) == 4
    assert await recv(sk, 4, uapi.MSG_TRUNC | uapi.MSG_DONTWAIT) == 4
    assert await recv(sk, 10) == b"456789"


async def test_recv_stops_at_urgent_mark_and_oob(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.deliver(b"hello!", urgent_at=5)
    out = [0]
    assert T.tcp_ioctl(sk, uapi.SIOCINQ, out) == 0 and out[0] == 5  # up to the mark
    assert T.tcp_ioctl(sk, uapi.SIOCATMARK, out) == 0 and out[0] == 0
    msg = MsgHdr(iovlen=1)
    assert T.tcp_recv_urg(sk, msg, 1, uapi.MSG_PEEK) == 1 and msg.data == b"!" and msg.flags & uapi.MSG_OOB
    assert await recv(sk, 100) == b"hello"
    assert T.tcp_ioctl(sk, uapi.SIOCATMARK, out) == 0 and out[0] == 1
    msg = MsgHdr(iovlen=1)
    assert await T.tcp_recvmsg(None, sk, msg, 1, uapi.MSG_OOB) == 1 and msg.data == b"!"
    assert await T.tcp_recvmsg(None, sk, MsgHdr(), 1, uapi.MSG_OOB) == -uapi.EINVAL
    sk.sock_set_flag(SOCK_URGINLINE)
    assert await T.tcp_recvmsg(None, sk, MsgHdr(), 1, uapi.MSG_OOB) == -uapi.EINVAL


async def test_recv_blocks_until_lowat_or_waitall_and_timeout(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    msg = MsgHdr(iovlen=10)
    task = asyncio.ensure_future(T.tcp_recvmsg(None, sk, msg, 10, uapi.MSG_WAITALL))
    await asyncio.sleep(0)
    tp.deliver(b"abc")
    sk.data_ready()
    await asyncio.sleep(0)
    assert not task.done()
    tp.deliver(b"defghijk")
    sk.data_ready()
    for _ in range(3):
        await asyncio.sleep(0)
    assert task.result() == 10 and msg.data == b"abcdefghij"
    sk.sk_rcvtimeo_j = HZ // 2  # 0.5 s
    task = asyncio.ensure_future(T.tcp_recvmsg(None, sk, MsgHdr(iovlen=10), 10, uapi.MSG_WAITALL))
    await asyncio.sleep(0)
    assert isinstance(host.clock, ManualClock)
    host.clock.advance(0.6)
    for _ in range(3):
        await asyncio.sleep(0)
    assert task.result() == 1  # the byte left over, then the timeout


# --- sendmsg -------------------------------------------------------------------------------------

async def test_send_unconnected_epipe_and_sigpipe(host: Host) -> None:
    _, sk, _ = mk(host)
    msg = MsgHdr(iov=[b"x"])
    assert await T.tcp_sendmsg(None, sk, msg, 1, uapi.MSG_NOSIGNAL) == -uapi.EPIPE
    proc = host.spawn()
    sent: list[int] = []
    proc.send_signal = lambda signo, fd=-1, band=0: sent.append(signo)  # type: ignore[method-assign]
    assert await T.tcp_sendmsg(proc, sk, msg, 1, 0) == -uapi.EPIPE and sent == [13]
    assert await T.tcp_sendmsg(None, sk, msg, 1, uapi.MSG_FASTOPEN) == -uapi.EOPNOTSUPP


async def test_send_reports_sk_err_then_epipe(host: Host) -> None:
    _, sk, _ = mk(host, TCP_CLOSE, conn=True)
    sk.sk_err = uapi.ECONNRESET
    msg = MsgHdr(iov=[b"x"])
    assert await T.tcp_sendmsg(None, sk, msg, 1, uapi.MSG_NOSIGNAL) == -uapi.ECONNRESET
    assert await T.tcp_sendmsg(None, sk, msg, 1, uapi.MSG_NOSIGNAL) == -uapi.EPIPE


async def test_send_after_shutdown_and_synsent_nonblocking(host: Host) -> None:
    _, sk, _ = mk(host, TCP_ESTABLISHED, conn=True)
    sk.sk_shutdown = 2
    assert await T.tcp_sendmsg(None, sk, MsgHdr(iov=[b"x"]), 1, uapi.MSG_NOSIGNAL) == -uapi.EPIPE
    _, ssk, _ = mk(host, TCP_SYN_SENT, conn=True)
    assert await T.tcp_sendmsg(None, ssk, MsgHdr(iov=[b"x"]), 1, uapi.MSG_DONTWAIT) == -uapi.EAGAIN


async def test_send_space_partial_and_eagain(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.params.sndbuf = 100
    data = b"x" * 150
    assert await T.tcp_sendmsg(None, sk, MsgHdr(iov=[data]), 150, uapi.MSG_DONTWAIT | uapi.MSG_MORE) == 100
    assert tp.calls[-1] == "send 100 more=True oob=False"
    assert await T.tcp_sendmsg(None, sk, MsgHdr(iov=[data]), 150, uapi.MSG_DONTWAIT) == -uapi.EAGAIN
    # blocking: the rest goes once space is freed
    task = asyncio.ensure_future(T.tcp_sendmsg(None, sk, MsgHdr(iov=[b"y" * 30]), 30, uapi.MSG_OOB))
    await asyncio.sleep(0)
    assert not task.done()
    tp.snd_una += 50
    sk.write_space()
    for _ in range(3):
        await asyncio.sleep(0)
    assert task.result() == 30 and tp.calls[-1] == "send 30 more=False oob=True"


async def test_send_waits_for_connect(host: Host) -> None:
    _, sk, tp = mk(host, TCP_SYN_SENT, conn=True)
    assert tp is not None
    task = asyncio.ensure_future(T.tcp_sendmsg(None, sk, MsgHdr(iov=[b"hi"]), 2, 0))
    await asyncio.sleep(0)
    assert not task.done()
    sk.sk_state = tp.state = TCP_ESTABLISHED
    sk.state_change()
    for _ in range(3):
        await asyncio.sleep(0)
    assert task.result() == 2


# --- ioctl -------------------------------------------------------------------------------------

def test_ioctls(host: Host) -> None:
    _, sk, _ = mk(host)
    out = [7]
    for cmd in (uapi.SIOCINQ, uapi.SIOCOUTQ, uapi.SIOCOUTQNSD, uapi.SIOCATMARK):
        assert T.tcp_ioctl(sk, cmd, out) == 0 and out[0] == 0
    _, lsk, _ = mk(host, TCP_LISTEN)
    assert T.tcp_ioctl(lsk, uapi.SIOCINQ, out) == -uapi.EINVAL
    assert T.tcp_ioctl(lsk, uapi.SIOCOUTQ, out) == -uapi.EINVAL
    assert T.tcp_ioctl(lsk, uapi.SIOCOUTQNSD, out) == -uapi.EINVAL
    assert T.tcp_ioctl(lsk, uapi.SIOCATMARK, out) == 0 and out[0] == 0
    _, esk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.write_seq += 300
    tp.snd_nxt += 100
    assert T.tcp_ioctl(esk, uapi.SIOCOUTQ, out) == 0 and out[0] == 300
    assert T.tcp_ioctl(esk, uapi.SIOCOUTQNSD, out) == 0 and out[0] == 200
    tp.deliver(b"abc")
    tp.fin()
    assert T.tcp_ioctl(esk, uapi.SIOCINQ, out) == 0 and out[0] == 3  # the FIN is not counted
    assert T.tcp_ioctl(esk, 0x1234, out) == -515


# --- SOL_TCP options ------------------------------------------------------------------------------

def test_option_defaults(host: Host) -> None:
    _, sk, _ = mk(host)
    expect = {uapi.TCP_MAXSEG: 536, uapi.TCP_KEEPIDLE: 7200, uapi.TCP_KEEPINTVL: 75, uapi.TCP_KEEPCNT: 9,
              uapi.TCP_SYNCNT: 6, uapi.TCP_LINGER2: 60, uapi.TCP_DEFER_ACCEPT: 0, uapi.TCP_WINDOW_CLAMP: 0,
              uapi.TCP_USER_TIMEOUT: 0, uapi.TCP_NOTSENT_LOWAT: 0, uapi.TCP_QUICKACK: 1, uapi.TCP_NODELAY: 0,
              uapi.TCP_CORK: 0}
    assert {k: getopt(sk, k) for k in expect} == expect
    assert getopt(sk, uapi.TCP_CONGESTION, 16) == b"cubic".ljust(16, b"\0")
    assert getopt(sk, 99) == -uapi.ENOPROTOOPT


@pytest.mark.parametrize(("opt", "val", "result"), [
    (uapi.TCP_MAXSEG, 87, "EINVAL"), (uapi.TCP_MAXSEG, 88, 88), (uapi.TCP_MAXSEG, 32768, "EINVAL"),
    (uapi.TCP_MAXSEG, 0, 536),
    (uapi.TCP_KEEPIDLE, 0, "EINVAL"), (uapi.TCP_KEEPIDLE, 32767, 32767), (uapi.TCP_KEEPIDLE, 32768, "EINVAL"),
    (uapi.TCP_KEEPINTVL, 0, "EINVAL"), (uapi.TCP_KEEPINTVL, 1, 1), (uapi.TCP_KEEPINTVL, 32768, "EINVAL"),
    (uapi.TCP_KEEPCNT, 0, "EINVAL"), (uapi.TCP_KEEPCNT, 127, 127), (uapi.TCP_KEEPCNT, 128, "EINVAL"),
    (uapi.TCP_SYNCNT, 0, "EINVAL"), (uapi.TCP_SYNCNT, 127, 127), (uapi.TCP_SYNCNT, 128, "EINVAL"),
    (uapi.TCP_WINDOW_CLAMP, 0, 0), (uapi.TCP_WINDOW_CLAMP, 10, 1152), (uapi.TCP_WINDOW_CLAMP, 5000, 5000),
    (uapi.TCP_LINGER2, 500, 120), (uapi.TCP_LINGER2, -5, -1), (uapi.TCP_LINGER2, 0, 60), (uapi.TCP_LINGER2, 7, 7),
    (uapi.TCP_DEFER_ACCEPT, 5, 7), (uapi.TCP_DEFER_ACCEPT, 1, 1), (uapi.TCP_DEFER_ACCEPT, 0, 0),
    (uapi.TCP_DEFER_ACCEPT, -3, 0), (uapi.TCP_DEFER_ACCEPT, 200, 247),
    (uapi.TCP_USER_TIMEOUT, -1, "EINVAL"), (uapi.TCP_USER_TIMEOUT, 1500, 1500),
    (uapi.TCP_QUICKACK, 0, 0), (uapi.TCP_NODELAY, 5, 1), (uapi.TCP_CORK, 1, 1),
    (uapi.TCP_THIN_LINEAR_TIMEOUTS, 2, "EINVAL"), (uapi.TCP_THIN_LINEAR_TIMEOUTS, 1, 1),
    (uapi.TCP_THIN_DUPACK, 2, "EINVAL"), (uapi.TCP_INQ, 2, "EINVAL"), (uapi.TCP_INQ, 1, 1),
    (uapi.TCP_INFO, 1, "ENOPROTOOPT"), (99, 1, "ENOPROTOOPT"),
])
def test_option_bounds(host: Host, opt: int, val: int, result: int | str) -> None:
    _, sk, _ = mk(host)
    err = setopt(sk, opt, val)
    if isinstance(result, str):
        assert err == -getattr(uapi, result)
    else:
        assert err == 0 and getopt(sk, opt) == result


def test_option_short_and_levels(host: Host) -> None:
    _, sk, _ = mk(host)
    assert T.tcp_setsockopt(sk, uapi.SOL_TCP, uapi.TCP_NODELAY, b"\1") == -uapi.EINVAL
    assert setopt(sk, uapi.IP_TTL, 9, level=uapi.SOL_IP) == 0  # falls through to ip_setsockopt
    o = OptBuf(4)
    assert T.tcp_getsockopt(sk, uapi.SOL_IP, uapi.IP_TTL, o) == 0 and struct.unpack("<i", o.data)[0] == 9
    o = OptBuf(2)
    assert T.tcp_getsockopt(sk, uapi.SOL_TCP, uapi.TCP_KEEPIDLE, o) == 0 and o.data == struct.pack("<i", 7200)[:2]


def test_maxseg_reads_mss_cache_once_connected(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    assert setopt(sk, uapi.TCP_MAXSEG, 1000) == 0
    tp.mss_cache = 1448
    assert getopt(sk, uapi.TCP_MAXSEG) == 1448
    assert setopt(sk, uapi.TCP_WINDOW_CLAMP, 0) == -uapi.EINVAL


def test_congestion(host: Host) -> None:
    _, sk, _ = mk(host)
    assert setopt(sk, uapi.TCP_CONGESTION, b"nope") == -uapi.ENOENT
    assert setopt(sk, uapi.TCP_CONGESTION, b"") == -uapi.EINVAL
    assert setopt(sk, uapi.TCP_CONGESTION, b"reno\0junk") == 0
    assert getopt(sk, uapi.TCP_CONGESTION, 3) == b"ren"
    assert getopt(sk, uapi.TCP_CONGESTION, 40) == b"reno".ljust(16, b"\0")
    assert sk.tcp_params.congestion_control == "reno"


def test_tcp_info_fresh_listener_truncation(host: Host) -> None:
    _, sk, _ = mk(host)
    raw = getopt(sk, uapi.TCP_INFO, 1000)
    assert isinstance(raw, bytes) and len(raw) == TCP_INFO_SIZE == 280
    f = tcp_info_unpack(raw)
    assert (f["state"], f["rto"], f["snd_mss"], f["rttvar"], f["snd_cwnd"], f["reordering"]) == \
        (7, 1000000, 536, 250000, 10, 3)
    assert f["snd_ssthresh"] == 0x7FFFFFFF and f["min_rtt"] == 0xFFFFFFFF and f["app_limited_fo_fail"] == 1
    assert len(getopt(sk, uapi.TCP_INFO, 10)) == 10  # type: ignore[arg-type]
    _, lsk, _ = mk(host, TCP_LISTEN)
    lsk.sk_max_ack_backlog = 5
    f = tcp_info_unpack(getopt(lsk, uapi.TCP_INFO, 280))  # type: ignore[arg-type]
    assert (f["state"], f["sacked"], f["unacked"], f["rto"], f["app_limited_fo_fail"]) == (10, 5, 0, 0, 0)


def test_tcp_info_connection_fields(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.tstamp_ok = tp.sack_ok = tp.wscale_ok = True
    tp.snd_wscale, tp.rcv_wscale = 10, 7
    tp.srtt_us, tp.mdev_us, tp.rto = 26 << 3, 13 << 2, 0.204
    tp.mss_cache, tp.advmss, tp.snd_wnd, tp.rcv_wnd = 32768, 65483, 65536, 65483
    tp.write_seq += 10
    f = tcp_info_unpack(getopt(sk, uapi.TCP_INFO, 280))  # type: ignore[arg-type]
    assert f["options"] == 7 and f["wscale"] == 0x7A
    assert (f["rtt"], f["rttvar"], f["rto"], f["snd_mss"], f["advmss"]) == (26, 13, 204000, 32768, 65483)
    assert f["notsent_bytes"] == 10 and f["snd_wnd"] == 65536 and f["ato"] == 0


# --- shutdown / close / keepalive hooks ---------------------------------------------------------

def test_shutdown_paths(host: Host) -> None:
    sock, sk, _ = mk(host)
    assert T.tcp_inet_shutdown(sock, uapi.SHUT_WR) == -uapi.ENOTCONN
    assert sk.sk_shutdown == 2
    assert T.tcp_inet_shutdown(sock, 3) == -uapi.EINVAL
    esock, esk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    assert T.tcp_inet_shutdown(esock, uapi.SHUT_RD) == 0 and tp.calls == []
    assert T.tcp_inet_shutdown(esock, uapi.SHUT_WR) == 0 and tp.calls == ["shutdown_send"]
    lsock, lsk, _ = mk(host, TCP_LISTEN)
    assert T.tcp_inet_shutdown(lsock, uapi.SHUT_WR) == 0 and lsk.sk_state == TCP_LISTEN


def test_close_rst_on_unread_linger0_abort_else_fin(host: Host) -> None:
    _, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    tp.deliver(b"unread")
    T.tcp_close(sk, 0)
    assert tp.calls == ["close-rst"] and tp.orphan and sk.sk_shutdown == 3
    _, sk2, tp2 = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp2 is not None
    sk2.sock_set_flag("linger")
    sk2.sk_lingertime = 0
    T.tcp_close(sk2, 0)
    assert tp2.calls == ["abort"]
    _, sk3, tp3 = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp3 is not None
    T.tcp_close(sk3, 0)
    assert tp3.calls == ["close-fin"]


def test_keepalive_and_buffers_reach_params(host: Host) -> None:
    sock, sk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    proc = host.spawn()
    assert sock_setsockopt(proc, sock, uapi.SO_KEEPALIVE, struct.pack("<i", 1)) == 0
    assert sk.tcp_params.keepalive and tp.calls[-1] == "keepalive True 0.0"
    assert setopt(sk, uapi.TCP_KEEPIDLE, 30) == 0
    assert tp.calls[-1] == "keepalive True 30.0"
    assert sock_setsockopt(proc, sock, uapi.SO_SNDBUF, struct.pack("<i", 10000)) == 0
    assert sk.tcp_params.sndbuf == 20000 and sk.tcp_params.sndbuf_locked
    assert sock_setsockopt(proc, sock, uapi.SO_RCVBUF, struct.pack("<i", 10000)) == 0
    assert sk.tcp_params.rcvbuf == 20000
    assert sock_setsockopt(proc, sock, uapi.SO_OOBINLINE, struct.pack("<i", 1)) == 0
    assert sk.tcp_params.oobinline
    o = OptBuf(4)
    assert sock_getsockopt(proc, sock, uapi.SO_KEEPALIVE, o) == 0 and o.data == struct.pack("<i", 1)


def test_defer_accept_conversions() -> None:
    assert [T.secs_to_retrans(s, 1, 120) for s in (0, 1, 2, 3, 4, 7, 8, 200)] == [0, 1, 2, 2, 3, 3, 4, 8]
    assert [T.retrans_to_secs(r, 1, 120) for r in (0, 1, 2, 3, 8, 9)] == [0, 1, 3, 7, 247, 367]


# --- /proc/net/tcp and ss -to ------------------------------------------------------------------

def test_proc_net_tcp_lines_and_ss(host: Host) -> None:
    from client.cli import inet_rows, ss_table
    from kernel.net.ipv4.tcp.tcp_sock import tcp_hashinfo
    from kernel.net.proc import proc_net_snmp, proc_net_tcp

    _, lsk, _ = mk(host, TCP_LISTEN)
    lsk.inet_rcv_saddr, lsk.inet_num = 0x7F000001, 0xA2F9
    _, esk, tp = mk(host, TCP_ESTABLISHED, conn=True)
    assert tp is not None
    esk.inet_rcv_saddr, esk.inet_num, esk.inet_daddr, esk.inet_dport = 0x7F000001, 0xA2F9, 0x7F000001, 0x881A
    tp.deliver(b"abc")
    tp.write_seq += 5
    tp.rto = 0.2
    tp.icsk_pending, tp.icsk_timeout = 1, host.clock.now() + 0.2
    info = tcp_hashinfo(host.netns)
    info.lhash[0xA2F9] = [lsk]
    info.ehash[(1, 2, 3, 4)] = esk
    text = proc_net_tcp(host.netns)
    lines = text.splitlines()
    assert all(len(line) == 149 for line in lines)
    assert lines[0].startswith("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt")
    assert lines[1].startswith("   0: 0100007F:A2F9 00000000:0000 0A 00000000:00000000 00:00000000 00000000")
    assert lines[1].split()[-5:] == ["100", "0", "0", "10", "0"]
    assert lines[2].startswith("   1: 0100007F:A2F9 0100007F:881A 01 00000005:00000003 01:00000014 00000000")
    assert lines[2].split()[-5:] == ["20", "0", "0", "10", "-1"]
    assert "Tcp: 1 200 120000 -1 0 0 0 0 1 " in proc_net_snmp(host.netns)
    rows = list(inet_rows(text, "tcp", "tcp", True))
    assert [(r.state, r.recv_q, r.send_q, r.timer) for r in rows] == [
        ("LISTEN", 0, 0, ""), ("ESTAB", 3, 5, "timer:(on,200ms,0)")]
    out = ss_table(rows[1:], False, timers=True)
    assert out[1].startswith("ESTAB") and out[1].endswith("timer:(on,200ms,0)")
