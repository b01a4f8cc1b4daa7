"""Pieces both AF_UNIX data paths share: send-buffer waits and scm on receive."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.skbuff import SkBuff
from kernel.net.scm import CmsgWriter, ScmCookie
from kernel.net.sock import SEND_SHUTDOWN, SOCK_PASSCRED, Sock
from kernel.net.uaccess import MsgHdr
from kernel.net.unix.garbage import unix_inflight
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.process import Process


async def sock_alloc_send_skb(sk: Sock, data: bytes, linear: int, frags: int, timeo: float) -> tuple[SkBuff | None, int, float]:
    """sock_alloc_send_pskb: wait for sndbuf room; (skb, 0, timeo) or (None, -errno, timeo)."""
    while True:
        err = sk.sock_error()
        if err:
            return None, err, timeo
        if sk.sk_shutdown & SEND_SHUTDOWN:
            return None, -uapi.EPIPE, timeo
        if sk.sk_wmem_alloc < sk.sk_sndbuf:
            break
        if not timeo:
            return None, -uapi.EAGAIN, timeo
        timeo = await wait_event(
            sk.sk_wq, sk.host.clock, timeo,
            lambda: sk.sk_wmem_alloc < sk.sk_sndbuf or bool(sk.sk_err) or bool(sk.sk_shutdown & SEND_SHUTDOWN),
        )
    from kernel.net.core.skbuff import skb_truesize

    skb = SkBuff(data, truesize=skb_truesize(linear, frags))
    sk.skb_set_owner_w(skb)
    return skb, 0, timeo


def unix_scm_to_skb(scm: ScmCookie, skb: SkBuff, send_fds: bool) -> None:
    skb.cred = scm.cred
    if send_fds and scm.fp:
        skb.fp, scm.fp = scm.fp, []
        unix_inflight(skb.sk.host, skb)


NOBODY_CRED = (0, 65534, 65534)  # an skb without credentials: no pid, INVALID_UID/GID as overflowuid


def maybe_add_creds(proc: Process, skb: SkBuff, sk: Sock, other: Sock) -> None:
    """unix_maybe_add_creds: the sender's credentials, when either end has SO_PASSCRED now."""
    if skb.cred is None and (sk.sock_flag(SOCK_PASSCRED) or other.sock_flag(SOCK_PASSCRED)):
        skb.cred = (proc.pid, proc.uid, proc.gid)


def scm_recv_unix(proc: Process, sk: Sock, msg: MsgHdr, cred: tuple[int, int, int] | None,
                  files: list | None, flags: int) -> None:
    """scm_recv: SCM_CREDENTIALS (with SO_PASSCRED) then SCM_RIGHTS into msg.control."""
    passcred = sk.sock_flag(SOCK_PASSCRED)
    if msg.controllen <= 0:
        if passcred or files:
            msg.flags |= uapi.MSG_CTRUNC
        for f in files or ():
            f.fput()
        msg.control = b""
        return
    w = CmsgWriter(msg.controllen)
    if passcred:
        import struct

        pid, uid, gid = cred if cred is not None else NOBODY_CRED
        w.put_cmsg(uapi.SOL_SOCKET, uapi.SCM_CREDENTIALS, struct.pack("<iII", pid, uid, gid))
    if files:
        w.detach_fds(proc, files, bool(flags & uapi.MSG_CMSG_CLOEXEC))
    msg.control = bytes(w.buf)
    msg.flags |= w.flags
