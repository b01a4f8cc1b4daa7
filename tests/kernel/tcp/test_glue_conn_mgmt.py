"""Connection management corners, as Linux 6.18 behaves (checked on the host kernel, 127.0.0.1).

- A child reset while on the accept queue is still handed out: do_accept's
  getname(peer=2) reports its address (no ECONNABORTED), then getpeername is
  ENOTCONN (peer 1) and recv gives ECONNRESET once, then EOF.  accept without
  an address buffer makes no getname at all.
- connect after an AF_UNSPEC disconnect: tcp_connect_init clears the pending
  ECONNRESET the disconnect left, so the new connection carries data.
- disconnect puts an autobound port (inet_num = 0) but keeps inet_sport:
  getsockname still shows the old port; the next listen/connect autobinds.
- tcp_disconnect keeps the tcp_sock: the sequence gap it opens (SIOCOUTQ,
  SIOCOUTQNSD) and the next connect's ISS.
"""
from __future__ import annotations

import struct
from typing import Any

from kernel import uapi
from kernel.net.ipv4.tcp.states import TCP_CLOSE

LO = "127.0.0.1"


def sin(addr: str, port: int, family: int = uapi.AF_INET) -> bytes:
    return struct.pack("<H", family) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) + bytes(8)


def port_of(raw: bytes) -> int:
    return int(struct.unpack_from("!H", raw, 2)[0])


async def tcp(rig: Any) -> int:
    return int(await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_STREAM, protocol=0))


async def listener(rig: Any, port: int) -> int:
    fd = await tcp(rig)
    await rig.ok("bind", fd=fd, addr=sin(LO, port))
    await rig.ok("listen", fd=fd, backlog=4)
    return fd


async def reset_child(rig: Any, lfd: int, port: int) -> bytes:
    """Connect, then close with SO_LINGER 0 before the child is accepted; the client's name."""
    cfd = await tcp(rig)
    await rig.ok("connect", fd=cfd, addr=sin(LO, port))
    await rig.ok("setsockopt", fd=cfd, level=uapi.SOL_SOCKET, optname=uapi.SO_LINGER, optval=struct.pack("<ii", 1, 0))
    name = (await rig.call("getsockname", fd=cfd)).addr
    await rig.ok("close", fd=cfd)
    return bytes(name)


async def test_accept_hands_out_a_child_reset_while_queued(rig: Any) -> None:
    lfd = await listener(rig, 7000)
    name = await reset_child(rig, lfd, 7000)
    reply = await rig.call("accept", fd=lfd)
    assert reply.ret >= 0 and bytes(reply.addr)[:8] == name[:8]
    afd = reply.ret
    assert rig.sk(afd).sk_state == TCP_CLOSE
    assert await rig.err("getpeername", fd=afd) == "ENOTCONN"
    assert await rig.err("recv", fd=afd, size=1, flags=0) == "ECONNRESET"
    reply = await rig.call("recv", fd=afd, size=1, flags=0)
    assert reply.ret == 0 and reply.data == b""


async def test_accept_without_address_leaves_getpeername_enotconn(rig: Any) -> None:
    lfd = await listener(rig, 7001)
    await reset_child(rig, lfd, 7001)
    afd = await rig.ok("accept", fd=lfd, want_addr=False)
    assert await rig.err("getpeername", fd=afd) == "ENOTCONN"


async def test_connect_after_af_unspec_disconnect_clears_the_pending_error(rig: Any) -> None:
    lfd = await listener(rig, 7002)
    cfd = await tcp(rig)
    await rig.ok("connect", fd=cfd, addr=sin(LO, 7002))
    await rig.ok("accept", fd=lfd)
    port = port_of((await rig.call("getsockname", fd=cfd)).addr)
    assert await rig.err("connect", fd=cfd, addr=sin("0.0.0.0", 0, family=uapi.AF_UNSPEC)) == ""
    assert rig.sk(cfd).sk_err == uapi.ECONNRESET  # tcp_disconnect leaves it
    name = (await rig.call("getsockname", fd=cfd)).addr
    assert bytes(name)[4:8] == bytes(4) and port_of(name) == port  # address reset, port shown
    await rig.ok("connect", fd=cfd, addr=sin(LO, 7002))
    assert rig.sk(cfd).sk_err == 0
    afd = await rig.ok("accept", fd=lfd)
    assert await rig.ok("send", fd=cfd, data=b"again", flags=0) == 5
    reply = await rig.call("recv", fd=afd, size=10, flags=0)
    assert reply.data == b"again"


async def test_listener_disconnect_keeps_the_shown_port_and_relisten_autobinds(rig: Any) -> None:
    lfd = await tcp(rig)
    await rig.ok("bind", fd=lfd, addr=sin(LO, 0))
    await rig.ok("listen", fd=lfd, backlog=1)
    port = port_of((await rig.call("getsockname", fd=lfd)).addr)
    assert await rig.err("connect", fd=lfd, addr=sin("0.0.0.0", 0, family=uapi.AF_UNSPEC)) == ""
    assert port_of((await rig.call("getsockname", fd=lfd)).addr) == port
    assert rig.sk(lfd).inet_num == 0  # the port itself was put
    await rig.ok("listen", fd=lfd, backlog=2)
    new = port_of((await rig.call("getsockname", fd=lfd)).addr)
    assert rig.sk(lfd).inet_num == new
    cfd = await tcp(rig)
    await rig.ok("connect", fd=cfd, addr=sin(LO, new))
    await rig.ok("accept", fd=lfd)


async def test_shutdown_wr_before_listen_reaches_the_child_which_sends_its_fin(rig: Any) -> None:
    """tcp_rcv_state_process's SYN-RECV -> ESTABLISHED runs a deferred shutdown(SHUT_WR); the child
    inherits the listener's sk_shutdown (sk_clone_lock), so the client reads EOF at once (Linux 6.18)."""
    lfd = await tcp(rig)
    assert await rig.err("shutdown", fd=lfd, how=uapi.SHUT_WR) == "ENOTCONN"
    await rig.ok("bind", fd=lfd, addr=sin(LO, 7003))
    await rig.ok("listen", fd=lfd, backlog=1)
    cfd = await tcp(rig)
    await rig.ok("connect", fd=cfd, addr=sin(LO, 7003))
    await rig.settle()
    reply = await rig.call("recv", fd=cfd, size=10, flags=uapi.MSG_DONTWAIT)
    assert reply.ret == 0 and reply.data == b""
    afd = await rig.ok("accept", fd=lfd)
    assert await rig.err("send", fd=afd, data=b"x", flags=uapi.MSG_NOSIGNAL) == "EPIPE"


async def test_self_connect_after_shutdown_wr_ends_econnaborted(rig: Any) -> None:
    """A simultaneous open onto itself goes SYN-RECV -> ESTABLISHED, sends the deferred FIN, meets it
    and ends in TIME-WAIT: connect finds CLOSE with no error (ECONNABORTED) and disconnects."""
    fd = await tcp(rig)
    assert await rig.err("shutdown", fd=fd, how=uapi.SHUT_WR) == "ENOTCONN"
    await rig.ok("bind", fd=fd, addr=sin("0.0.0.0", 0))
    port = port_of((await rig.call("getsockname", fd=fd)).addr)
    assert await rig.err("connect", fd=fd, addr=sin(LO, port)) == "ECONNABORTED"
    name = (await rig.call("getsockname", fd=fd)).addr
    assert bytes(name)[4:8] == bytes(4) and port_of(name) == port


async def test_time_wait_leaves_the_socket_fully_shut(rig: Any) -> None:
    """tcp_done sets sk_shutdown = SHUTDOWN_MASK, also when TIME-WAIT takes the connection over:
    poll then has POLLRDHUP with POLLIN and POLLHUP."""
    lfd = await listener(rig, 7004)
    cfd = await tcp(rig)
    await rig.ok("connect", fd=cfd, addr=sin(LO, 7004))
    afd = await rig.ok("accept", fd=lfd)
    await rig.ok("shutdown", fd=cfd, how=uapi.SHUT_WR)
    await rig.ok("shutdown", fd=afd, how=uapi.SHUT_WR)
    await rig.advance(0.5)
    reply = await rig.call("poll", fds=[(cfd, 0xFFFF)], timeout_ms=0)
    assert reply.revents[0] & (uapi.POLLRDHUP | uapi.POLLHUP | uapi.POLLIN) == \
        uapi.POLLRDHUP | uapi.POLLHUP | uapi.POLLIN


async def test_refused_connect_keeps_the_sequence_gap_and_the_next_iss(rig: Any) -> None:
    """A refused blocking connect runs tcp_disconnect, which keeps the tcp_sock: write_seq moves max_window + 2
    past snd_nxt (the host: SIOCOUTQ 3 -- the unacked SYN too -- and SIOCOUTQNSD 2), and the next connect
    starts its ISS there (tcp_v4_connect picks a fresh one only while write_seq is 0)."""
    from kernel.net.ipv4.tcp.tcp import tcp_ioctl

    cfd = await tcp(rig)
    assert await rig.err("connect", fd=cfd, addr=sin(LO, 7003)) == "ECONNREFUSED"
    sk = rig.sk(cfd)
    out = [0]
    assert tcp_ioctl(sk, uapi.SIOCOUTQ, out) == 0 and out[0] == 3
    assert tcp_ioctl(sk, uapi.SIOCOUTQNSD, out) == 0 and out[0] == 2
    kept = sk.tcp_kept.write_seq
    lfd = await listener(rig, 7003)
    await rig.ok("connect", fd=cfd, addr=sin(LO, 7003))
    assert sk.tp is not None and sk.tp.iss == kept
    await rig.ok("accept", fd=lfd)


async def test_quickack_off_before_connect_delays_the_last_handshake_ack_by_delack_max(rig: Any) -> None:
    """TCP_QUICKACK 0 before connect: tcp_rcv_synsent_state_process saves the handshake's last ACK and arms
    the delayed-ACK timer at TCP_DELACK_MAX (200 ms; the host: nothing to accept at 150 ms, a child at 250)."""
    lfd = await listener(rig, 7004)
    cfd = await tcp(rig)
    await rig.ok("setsockopt", fd=cfd, level=uapi.SOL_TCP, optname=uapi.TCP_QUICKACK, optval=struct.pack("<i", 0))
    await rig.ok("connect", fd=cfd, addr=sin(LO, 7004))
    lsk = rig.sk(lfd)
    await rig.advance(0.15)
    assert not lsk.icsk_accept_queue
    await rig.advance(0.1)
    assert len(lsk.icsk_accept_queue) == 1


async def test_closing_a_listener_drops_a_request_silently_then_its_ack_is_reset(rig: Any) -> None:
    """inet_csk_listen_stop leaves a SYN-RECV request's peer alone; the peer's delayed handshake ACK then
    finds no socket and draws a RST (the host: 0x104 at once, ECONNRESET after 300 ms)."""
    lfd = await listener(rig, 7005)
    cfd = await tcp(rig)
    await rig.ok("setsockopt", fd=cfd, level=uapi.SOL_TCP, optname=uapi.TCP_QUICKACK, optval=struct.pack("<i", 0))
    await rig.ok("connect", fd=cfd, addr=sin(LO, 7005))
    await rig.ok("close", fd=lfd)
    csk = rig.sk(cfd)
    assert csk.sk_err == 0 and csk.sk_state != TCP_CLOSE
    await rig.advance(0.25)
    assert csk.sk_state == TCP_CLOSE and csk.sk_err == uapi.ECONNRESET
