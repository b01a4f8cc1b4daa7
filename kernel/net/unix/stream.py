"""AF_UNIX SOCK_STREAM data (unix_stream_sendmsg / unix_stream_read_generic).

Send: chunks of at most sndbuf/2 - 64 bytes, each charged to the sender's
sk_wmem_alloc until read; passed fds ride on the first chunk; EPIPE when we
shut down writing or the peer stopped reading or died.  Receive: EINVAL when
not connected; gathers queued chunks up to the low-water mark (MSG_WAITALL
wants the whole size), never across a chunk that carries fds (or other
credentials with SO_PASSCRED); MSG_PEEK (with SO_PEEK_OFF) leaves data
queued; a pending error (ECONNRESET) is reported once, then EOF.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.skbuff import PAGE_SIZE, SKB_MAX_HEAD, SkBuff
from kernel.net.scm import ScmCookie, scm_send
from kernel.net.sock import (
    RCV_SHUTDOWN,
    SEND_SHUTDOWN,
    SOCK_DEAD,
    SOCK_PASSCRED,
    SOCK_URGINLINE,
    TCP_ESTABLISHED,
    Socket,
)
from kernel.net.uaccess import MsgHdr
from kernel.net.unix.af_unix import UnixSock, unix_sender_addr, unix_sk
from kernel.net.unix.common import NOBODY_CRED, maybe_add_creds, scm_recv_unix, sock_alloc_send_skb, unix_scm_to_skb
from kernel.net.unix.garbage import unix_take_fp
from kernel.process import SIGPIPE, SIGURG
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.process import Process

UNIX_SKB_FRAGS_SZ = 32768


def _page_align(n: int) -> int:
    return (n + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE


async def unix_stream_sendmsg(proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    sk = unix_sk(sock)
    scm, err = scm_send(proc, uapi.AF_UNIX, msg.control)
    if err:
        return err
    oob = bool(flags & uapi.MSG_OOB)
    if oob:
        if size == 0:
            scm.destroy()
            return -uapi.EOPNOTSUPP
        size -= 1
    if msg.name:
        scm.destroy()
        return -uapi.EISCONN if sk.sk_state == TCP_ESTABLISHED else -uapi.EOPNOTSUPP
    other = sk.peer
    if other is None:
        scm.destroy()
        return -uapi.ENOTCONN
    if sk.sk_shutdown & SEND_SHUTDOWN:
        scm.destroy()
        return _pipe_err(proc, flags)
    data = b"".join(msg.iov)
    timeo = sk.sndtimeo(bool(flags & uapi.MSG_DONTWAIT))
    sent = 0
    fds_sent = False
    err = 0
    try:
        while sent < size:
            chunk = min(size - sent, (sk.sk_sndbuf >> 1) - 64, SKB_MAX_HEAD + UNIX_SKB_FRAGS_SZ)
            data_len = max(0, chunk - SKB_MAX_HEAD)
            data_len = min(chunk, _page_align(data_len))
            try:
                skb, err, timeo = await sock_alloc_send_skb(
                    sk, data[sent: sent + chunk], chunk - data_len, data_len, timeo)
            except asyncio.CancelledError:
                if sent:  # a signal after some progress: the count, as Linux returns
                    break
                raise
            if skb is None:
                break
            unix_scm_to_skb(scm, skb, not fds_sent)
            fds_sent = True
            if other.sock_flag(SOCK_DEAD) or other.sk_shutdown & RCV_SHUTDOWN:
                skb.free()
                err = -uapi.EPIPE
                break
            maybe_add_creds(proc, skb, sk, other)
            other.sk_receive_queue.append(skb)
            other.data_ready()
            sent += chunk
        if oob and not err:
            err = queue_oob(proc, sk, other, data[size: size + 1], scm, fds_sent)
            if not err:
                sent += 1
    finally:
        scm.destroy()
    if not sent and err == -uapi.EPIPE:
        return _pipe_err(proc, flags)
    return sent if sent else err


def _pipe_err(proc: Process, flags: int) -> int:
    """EPIPE, with SIGPIPE to the caller unless MSG_NOSIGNAL (the notice goes on its signal stream)."""
    if not flags & uapi.MSG_NOSIGNAL:
        proc.send_signal(SIGPIPE)
    return -uapi.EPIPE


def queue_oob(proc: Process, sk: UnixSock, other: UnixSock, byte: bytes, scm: ScmCookie, fds_sent: bool) -> int:
    """Queue the urgent byte as its own skb and mark it as the receiver's oob_skb."""
    skb = SkBuff(byte)
    sk.skb_set_owner_w(skb)
    unix_scm_to_skb(scm, skb, not fds_sent)
    if other.sock_flag(SOCK_DEAD) or other.sk_shutdown & RCV_SHUTDOWN:
        skb.free()
        return -uapi.EPIPE
    maybe_add_creds(proc, skb, sk, other)
    other.oob_skb = skb
    other.sk_receive_queue.append(skb)
    sk_send_sigurg(other)
    other.data_ready()
    return 0


def sk_send_sigurg(sk: UnixSock) -> None:
    """SIGURG to the owner (F_SETOWN) of the receiving socket's file."""
    sock = sk.sk_socket
    if sock is None or sock.file is None or sock.file.f_owner <= 0:
        return
    owner = sock.file.host.processes.get(sock.file.f_owner)
    if owner is not None:
        owner.send_signal(SIGURG, band=uapi.POLLPRI)


def unix_stream_recv_urg(proc: Process, sk: UnixSock, msg: MsgHdr, flags: int) -> int:
    """recv(MSG_OOB): the pending urgent byte, or EINVAL (none, or SO_OOBINLINE)."""
    oob = sk.oob_skb
    if sk.sock_flag(SOCK_URGINLINE) or oob is None:
        return -uapi.EINVAL
    if msg.iovlen < 1:
        msg.data = b""
        msg.flags |= uapi.MSG_OOB | uapi.MSG_TRUNC
        return 0
    msg.data = oob.data[oob.consumed: oob.consumed + 1]
    if not flags & uapi.MSG_PEEK:
        sk.oob_skb = None
        oob.consumed += 1
    msg.flags |= uapi.MSG_OOB
    return 1


def _peek_walk(sk: UnixSock, after: SkBuff, cred: tuple[int, int, int] | None, check_creds: bool,
               copied: int, urginline: bool) -> list:
    """The skbs past ``after`` a MSG_PEEK visits with nothing left to copy: the first fds met."""
    queue = list(sk.sk_receive_queue)
    try:
        start = next(i for i, s in enumerate(queue) if s is after) + 1
    except StopIteration:
        return []
    for nxt in queue[start:]:
        if len(nxt) == 0:  # manage_oob: a consumed OOB mark
            if copied and (sk.oob_skb is None or nxt is sk.oob_skb):
                return []
            continue
        if nxt is sk.oob_skb:
            if copied:
                return []
            if not urginline:
                continue
        if check_creds and not _skb_scm_eq(nxt, cred):
            return []
        if nxt.fp:
            return [f.get() for f in nxt.fp]
    return []


def _skb_scm_eq(skb: SkBuff, cred: tuple[int, int, int] | None) -> bool:
    return skb.cred == cred


async def unix_stream_recvmsg(proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    sk = unix_sk(sock)
    if sk.sk_state != TCP_ESTABLISHED:
        return -uapi.EINVAL
    if flags & uapi.MSG_OOB:
        return unix_stream_recv_urg(proc, sk, msg, flags)
    peek = bool(flags & uapi.MSG_PEEK)
    urginline = sk.sock_flag(SOCK_URGINLINE)
    target = sk.sock_rcvlowat(bool(flags & uapi.MSG_WAITALL), size)
    timeo = sk.rcvtimeo(bool(flags & uapi.MSG_DONTWAIT))
    skip = max(sk.sk_peek_off, 0) if peek else 0
    copied = 0
    out: list[bytes] = []
    cred: tuple[int, int, int] | None = None
    check_creds = False
    files: list = []
    name_done = False
    err = 0
    passcred = sk.sock_flag(SOCK_PASSCRED)
    try:
        while True:
            # find the first skb past `skip` bytes, honouring the OOB mark (manage_oob)
            idx = 0
            queue = sk.sk_receive_queue
            local_skip = skip
            stop = False
            while idx < len(queue):
                cand = queue[idx]
                if len(cand) == 0:  # a consumed OOB byte: a mark in the stream
                    if copied and (sk.oob_skb is None or cand is sk.oob_skb):
                        stop = True
                        break
                    if peek:
                        idx += 1
                    else:
                        del queue[idx]
                        cand.free()
                    continue
                if cand is sk.oob_skb:
                    if copied:
                        stop = True
                        break
                    if not peek:
                        sk.oob_skb = None
                        if not urginline:
                            del queue[idx]
                            cand.free()
                            continue
                    elif not urginline:
                        idx += 1
                        continue
                if local_skip >= len(cand):
                    local_skip -= len(cand)
                    idx += 1
                    continue
                break
            if stop:
                break
            if idx >= len(queue):
                if copied >= target:
                    break
                err = sk.sock_error()
                if err:
                    break
                if sk.sk_shutdown & RCV_SHUTDOWN:
                    break
                err = -uapi.EAGAIN
                if not timeo:
                    break
                gen = sk.gen
                try:
                    timeo = await wait_event(sk.sk_wq, sk.host.clock, timeo, lambda: sk.gen != gen)
                except BaseException:
                    if copied:
                        err = 0
                        break
                    raise
                err = 0
                continue
            skb = queue[idx]
            if check_creds:
                if not _skb_scm_eq(skb, cred):
                    break
            elif passcred:
                cred = skb.cred
                check_creds = True
            if not name_done:
                name_done = True
                msg.name = unix_sender_addr(skb) if msg.namelen else None
            start = skb.consumed + local_skip
            chunk = min(len(skb) - local_skip, size)
            out.append(skb.data[start: start + chunk])
            copied += chunk
            size -= chunk
            if not peek:
                skb.consumed += chunk
                if skb.fp:
                    files.extend(unix_take_fp(sk.host, skb))
                if len(skb):
                    break
                queue.remove(skb)
                skb.free()
                if files:
                    break
            else:
                if skb.fp:
                    files.extend(f.get() for f in skb.fp)
                    break
                skip += chunk
            if not size:  # do { ... } while (size): a zero-size read still takes one skb's fds
                if peek:  # ... but a peek walks on (goto again) to the fds of a later skb
                    files.extend(_peek_walk(sk, skb, cred if check_creds else None, check_creds, copied, urginline))
                break
    finally:
        if peek and sk.sk_peek_off >= 0 and copied:
            sk.sk_peek_off += copied
        elif not peek and sk.sk_peek_off >= 0 and copied:
            sk.sk_peek_off = max(sk.sk_peek_off - copied, 0)
    msg.data = b"".join(out)
    if copied or not err:
        # scm is zeroed until an skb's credentials are taken: an EOF read reports {0, 0, 0}
        scm_cred = (cred if cred is not None else NOBODY_CRED) if check_creds else (0, 0, 0)
        scm_recv_unix(proc, sk, msg, scm_cred, files, flags)
    else:
        for f in files:
            f.fput()
    return copied if copied else err

