"""AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET data (unix_dgram_sendmsg / recvmsg).

Send: EMSGSIZE above sndbuf - 32; the destination is msg.name or the peer
(ENOTCONN without either); EPERM when the destination is connected to some
other socket; a dead connected peer gives ECONNREFUSED once and disconnects;
a receiver whose queue holds more than max_dgram_qlen datagrams makes the
sender wait (EAGAIN when non-blocking) unless it is connected back to us.
Receive: one datagram per call, MSG_TRUNC flag when it did not fit and the
real length returned with MSG_TRUNC in flags, the sender's address, SCM data.
SEQPACKET: ENOTCONN unless connected, addresses ignored, EOF as 0.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.skbuff import PAGE_SIZE, SkBuff
from kernel.net.scm import ScmCookie, scm_send
from kernel.net.sock import (
    RCV_SHUTDOWN,
    SOCK_DEAD,
    SS_UNCONNECTED,
    TCP_CLOSE,
    TCP_ESTABLISHED,
    TCP_LISTEN,
    Socket,
)
from kernel.net.uaccess import MsgHdr
from kernel.net.unix.af_unix import (
    UnixSock,
    unix_autobind_passcred,
    unix_dgram_disconnected,
    unix_find_other,
    unix_recvq_full,
    unix_sender_addr,
    unix_sk,
    unix_validate_addr,
)
from kernel.net.unix.common import maybe_add_creds, scm_recv_unix, sock_alloc_send_skb, unix_scm_to_skb
from kernel.net.unix.garbage import unix_take_fp
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.process import Process

SKB_MAX_ALLOC = 4 * PAGE_SIZE - 320  # SKB_MAX_ORDER(0, 2)
MAX_SKB_FRAGS = 17


async def unix_dgram_sendmsg(proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    sk = unix_sk(sock)
    scm, err = scm_send(proc, uapi.AF_UNIX, msg.control)
    if err:
        return err
    try:
        return await _dgram_send(proc, sk, msg, size, flags, scm)
    finally:
        scm.destroy()


async def _dgram_send(proc: Process, sk: UnixSock, msg: MsgHdr, size: int, flags: int, scm: ScmCookie) -> int:
    """unix_dgram_sendmsg in Linux 6.18's order: address, autobind, size, buffer, then the peer."""
    if flags & uapi.MSG_OOB:
        return -uapi.EOPNOTSUPP
    sunaddr = msg.name if msg.name else None
    if sunaddr is not None:
        err = unix_validate_addr(sunaddr)
        if err:
            return err
    err = unix_autobind_passcred(sk)
    if err:
        return err
    if size > sk.sk_sndbuf - 32:
        return -uapi.EMSGSIZE
    data_len = 0
    if size > SKB_MAX_ALLOC:
        data_len = min(size - SKB_MAX_ALLOC, MAX_SKB_FRAGS * PAGE_SIZE)
        data_len = (data_len + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE
    timeo = sk.sndtimeo(bool(flags & uapi.MSG_DONTWAIT))
    skb, err, _ = await sock_alloc_send_skb(sk, b"".join(msg.iov), max(size - data_len, 0), data_len, timeo)
    if skb is None:
        return err  # sk_err, SEND_SHUTDOWN (EPIPE), or no room (EAGAIN)
    try:
        return await _dgram_deliver(proc, sk, skb, sunaddr, size, timeo, scm)
    except BaseException:
        skb.free()  # out_free: interrupted, nothing sent, nothing charged
        raise


async def _dgram_deliver(proc: Process, sk: UnixSock, skb: SkBuff, sunaddr: bytes | None, size: int, timeo: float,
                         scm: ScmCookie) -> int:
    unix_scm_to_skb(scm, skb, True)
    other: UnixSock | None = None
    while True:
        if other is None:  # lookup:
            if sunaddr is not None:
                found = unix_find_other(sk.host, sunaddr, sk.sk_type)
                if isinstance(found, int):
                    skb.free()
                    return found
                other = found
            else:
                other = sk.peer
                if other is None:
                    skb.free()
                    return -uapi.ENOTCONN
        if not (other.peer is None or other.peer is sk):  # unix_may_send
            skb.free()
            return -uapi.EPERM
        if other.sock_flag(SOCK_DEAD):
            err = 0
            if sk.sk_type == uapi.SOCK_SEQPACKET:
                err = -uapi.EPIPE
            elif sk.peer is other:
                sk.peer = None
                sk.sk_state = TCP_CLOSE
                if sk.sk_socket is not None:
                    sk.sk_socket.state = SS_UNCONNECTED
                unix_dgram_disconnected(sk, other)
                err = -uapi.ECONNREFUSED
            elif sunaddr is None:
                err = -uapi.ECONNRESET
            if err:
                skb.free()
                return err
            other = None
            continue
        if other.sk_shutdown & RCV_SHUTDOWN:
            skb.free()
            return -uapi.EPIPE
        if other is not sk and other.peer is not sk and unix_recvq_full(other):
            if timeo:
                target = other
                timeo = await wait_event(
                    target.peer_wait, sk.host.clock, timeo,
                    lambda: not unix_recvq_full(target) or target.sock_flag(SOCK_DEAD)
                    or bool(target.sk_shutdown & RCV_SHUTDOWN),
                )
                continue
            skb.free()
            return -uapi.EAGAIN
        break
    maybe_add_creds(proc, skb, sk, other)
    other.sk_receive_queue.append(skb)
    other.data_ready()
    return size


async def unix_seqpacket_sendmsg(proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    sk = unix_sk(sock)
    err = sk.sock_error()
    if err:
        return err
    if sk.sk_state != TCP_ESTABLISHED:
        return -uapi.ENOTCONN
    msg.name = None
    return await unix_dgram_sendmsg(proc, sock, msg, size, flags)


def _try_recv_from_queue(sk: UnixSock, peek: bool) -> tuple[SkBuff | None, int]:
    """__skb_try_recv_from_queue: the datagram to read and the offset into it.

    With MSG_PEEK and SO_PEEK_OFF set, the offset skips whole datagrams it
    covers (a zero-length one only once it has been peeked).
    """
    queue = sk.sk_receive_queue
    if not queue:
        return None, 0
    if not peek or sk.sk_peek_off < 0:
        return queue[0], 0
    off = sk.sk_peek_off
    for skb in queue:
        if off >= len(skb.data) and (off or skb.peeked):
            off -= len(skb.data)
            continue
        if not skb.data:
            skb.peeked = True
        return skb, off
    return None, 0


async def unix_dgram_recvmsg(proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    sk = unix_sk(sock)
    if flags & uapi.MSG_OOB:
        return -uapi.EOPNOTSUPP
    peek = bool(flags & uapi.MSG_PEEK)
    timeo = sk.rcvtimeo(bool(flags & uapi.MSG_DONTWAIT))
    connection_based = sk.sk_type == uapi.SOCK_SEQPACKET
    while True:  # __skb_recv_datagram
        err = sk.sock_error()
        if err:
            return err
        skb, skip = _try_recv_from_queue(sk, peek)
        if skb is not None:
            break
        if not timeo:
            if connection_based and sk.sk_shutdown & RCV_SHUTDOWN:
                return 0  # EOF on a disconnected non-blocking SEQPACKET socket
            return -uapi.EAGAIN
        if sk.sk_shutdown & RCV_SHUTDOWN:
            return 0
        if connection_based and sk.sk_state not in (TCP_ESTABLISHED, TCP_LISTEN):
            return -uapi.ENOTCONN
        gen = sk.gen
        timeo = await wait_event(sk.sk_wq, sk.host.clock, timeo, lambda: sk.gen != gen)
    if not peek:
        sk.sk_receive_queue.remove(skb)
        sk.peer_wait.wake_up(uapi.POLLOUT)
    if msg.namelen:
        msg.name = unix_sender_addr(skb)
    full = len(skb.data)
    avail = max(full - skip, 0)
    if size > avail:
        size = avail
    elif size < avail:
        msg.flags |= uapi.MSG_TRUNC
    msg.data = skb.data[skip: skip + size]
    files: list = []
    if skb.fp:
        files = [f.get() for f in skb.fp] if peek else unix_take_fp(sk.host, skb)
    if peek:
        if sk.sk_peek_off >= 0:
            sk.sk_peek_off += size
    elif sk.sk_peek_off >= 0:
        sk.sk_peek_off = max(sk.sk_peek_off - full, 0)
    ret = avail if flags & uapi.MSG_TRUNC else size
    scm_recv_unix(proc, sk, msg, skb.cred, files, flags)
    if not peek:
        skb.free()
    return ret


async def unix_seqpacket_recvmsg(proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    sk = unix_sk(sock)
    if sk.sk_state != TCP_ESTABLISHED:
        return -uapi.ENOTCONN
    return await unix_dgram_recvmsg(proc, sock, msg, size, flags)

