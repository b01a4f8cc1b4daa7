"""AF_UNIX sockets (net/unix/af_unix.c): names, connections, the three proto_ops.

Names: a path (an S_IFSOCK inode in the host's VFS; getsockname length is
strlen + 3 as Linux reports), an abstract name (leading NUL; its own
namespace per socket type), or an autobind name (NUL + 5 hex digits).
Connections: stream and seqpacket connect() queue an embryo sock on the
listener (backlog full when queue length > backlog), dgram connect() just
sets the peer (AF_UNSPEC disconnects).  Close with unread data gives the
peer ECONNRESET; a closed peer gives EPIPE on send and EOF on receive.
Data paths live in ``stream.py`` and ``dgram.py``.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.skbuff import SkBuff
from kernel.net.sock import (
    RCV_SHUTDOWN,
    SEND_SHUTDOWN,
    SHUTDOWN_MASK,
    SOCK_DEAD,
    SOCK_PASSCRED,
    SOCK_PASSSEC,
    SS_CONNECTED,
    SS_UNCONNECTED,
    TCP_CLOSE,
    TCP_ESTABLISHED,
    TCP_LISTEN,
    Proto,
    ProtoOps,
    Sock,
    Socket,
    sk_set_peer_cred,
)
from kernel.net.uaccess import MsgHdr
from kernel.net.unix.garbage import unix_gc, unix_register, unix_unregister
from kernel.wait import WaitQueue, wait_event

if TYPE_CHECKING:
    from kernel.fs.namei import SocketInode
    from kernel.process import Process

SUN_PATH_OFFSET = 2
SIOCATMARK = 0x8905
SOCKADDR_UN_LEN = uapi.SOCKADDR_UN_SIZE  # 110


class UnixProto(Proto):
    name = "UNIX"


unix_proto = UnixProto()


class UnixSock(Sock):
    """struct unix_sock."""

    def __init__(self, host: object, type_: int, protocol: int) -> None:
        super().__init__(host, uapi.AF_UNIX, type_, protocol, unix_proto)  # type: ignore[arg-type]
        self.peer: UnixSock | None = None
        self.addr: bytes | None = None  # the raw sockaddr_un this socket is bound to
        self.inode: SocketInode | None = None
        self.abstract_key: tuple[bytes, int] | None = None
        self.peer_wait = WaitQueue()  # senders waiting for room in our queue
        self.gen = 0  # bumped on every event a sleeping reader may care about
        self.oob_skb: SkBuff | None = None
        unix_register(self)
        if type_ == uapi.SOCK_DGRAM:
            self.sk_max_ack_backlog = self.host.sysctl["net.unix.max_dgram_qlen"]

    def wake(self, mask: int) -> None:
        self.gen += 1
        super().wake(mask)


def unix_ns(host: object) -> dict[tuple[bytes, int], UnixSock]:
    """The per-host abstract namespace, keyed by (name bytes, socket type)."""
    net = host.net  # type: ignore[attr-defined]
    table = net.get("unix_abstract")
    if table is None:
        table = net["unix_abstract"] = {}
    return table  # type: ignore[no-any-return]


def unix_sk(sock: Socket) -> UnixSock:
    sk = sock.sk
    assert isinstance(sk, UnixSock)
    return sk


# --- addresses -------------------------------------------------------------------

def unix_validate_addr(addr: bytes) -> int:
    if len(addr) <= SUN_PATH_OFFSET or len(addr) > SOCKADDR_UN_LEN:
        return -uapi.EINVAL
    if struct.unpack_from("<H", addr)[0] != uapi.AF_UNIX:
        return -uapi.EINVAL
    return 0


def unix_mkname_bsd(addr: bytes) -> bytes:
    """The path of a filesystem name: sun_path up to the first NUL."""
    return addr[SUN_PATH_OFFSET:].split(b"\0", 1)[0]


def _sockaddr_un(path_or_name: bytes) -> bytes:
    return struct.pack("<H", uapi.AF_UNIX) + path_or_name


def unix_find_other(host: object, addr: bytes, type_: int) -> UnixSock | int:
    if addr[SUN_PATH_OFFSET] != 0:
        inode, err = host.vfs.lookup(unix_mkname_bsd(addr))  # type: ignore[attr-defined]
        if err:
            return err
        if inode is None or inode.sk is None:
            return -uapi.ECONNREFUSED
        sk: UnixSock = inode.sk
        if sk.sk_type != type_:
            return -uapi.EPROTOTYPE
        return sk
    other = unix_ns(host).get((addr[SUN_PATH_OFFSET:], type_))
    if other is None:
        return -uapi.ECONNREFUSED
    return other


def unix_autobind(sk: UnixSock) -> int:
    if sk.addr is not None:
        return 0
    table = unix_ns(sk.host)
    ordernum = sk.host.rng.getrandbits(32)  # type: ignore[attr-defined]
    for _ in range(0x100000):
        ordernum = (ordernum + 1) & 0xFFFFF
        name = b"\0" + b"%05x" % ordernum
        if (name, sk.sk_type) not in table:
            table[(name, sk.sk_type)] = sk
            sk.abstract_key = (name, sk.sk_type)
            sk.addr = _sockaddr_un(name)
            return 0
    return -uapi.ENOSPC


def unix_autobind_passcred(sk: UnixSock) -> int:
    """connect/sendmsg: an unnamed socket with SO_PASSCRED gets an autobind name first."""
    if sk.sock_flag(SOCK_PASSCRED) and sk.addr is None:
        return unix_autobind(sk)
    return 0


def unix_bind(sock: Socket, addr: bytes) -> int:
    sk = unix_sk(sock)
    if len(addr) == SUN_PATH_OFFSET and struct.unpack_from("<H", addr)[0] == uapi.AF_UNIX:
        return unix_autobind(sk)
    err = unix_validate_addr(addr)
    if err:
        return err
    if addr[SUN_PATH_OFFSET] != 0:
        path = unix_mkname_bsd(addr)
        inode, _, err = sk.host.vfs.mknod_socket(path, sk)
        if err:
            return -uapi.EADDRINUSE if err == -uapi.EEXIST else err
        if sk.addr is not None:
            sk.host.vfs.unlink(path)
            return -uapi.EINVAL
        sk.inode = inode
        sk.addr = _sockaddr_un(path + b"\0")
        return 0
    if sk.addr is not None:
        return -uapi.EINVAL
    key = (addr[SUN_PATH_OFFSET:], sk.sk_type)
    table = unix_ns(sk.host)
    if key in table:
        return -uapi.EADDRINUSE
    table[key] = sk
    sk.abstract_key = key
    sk.addr = bytes(addr)
    return 0


def unix_sender_addr(skb: SkBuff) -> bytes | None:
    """unix_copy_addr(msg, skb->sk): the sending socket's name as it is now (None if unnamed)."""
    sender = skb.sk
    return sender.addr if isinstance(sender, UnixSock) else None


def unix_getname(sock: Socket, peer: int) -> bytes | int:
    sk: UnixSock | None = unix_sk(sock)
    if peer:
        sk = sk.peer if sk is not None else None
        if sk is None:
            return -uapi.ENOTCONN
    assert sk is not None
    if sk.addr is None:
        return struct.pack("<H", uapi.AF_UNIX)
    return sk.addr


# --- creation and release ------------------------------------------------------------

def unix_create1(host: object, type_: int, protocol: int = 0) -> UnixSock:
    return UnixSock(host, type_, protocol)


def unix_release_sock(sk: UnixSock, embrion: bool) -> None:
    unix_unregister(sk)
    if sk.abstract_key is not None:
        table = unix_ns(sk.host)
        if table.get(sk.abstract_key) is sk:
            del table[sk.abstract_key]
    if sk.inode is not None and sk.inode.sk is sk:
        sk.inode.sk = None
    state = sk.sk_state
    sk.sk_state = TCP_CLOSE
    skpair = sk.peer
    sk.peer = None
    sk.sk_shutdown = SHUTDOWN_MASK
    sk.oob_skb = None
    sk.sock_set_flag(SOCK_DEAD)
    sk.peer_wait.wake_up(uapi.POLLOUT)
    if skpair is not None:
        if sk.sk_type in (uapi.SOCK_STREAM, uapi.SOCK_SEQPACKET):
            skpair.sk_shutdown = SHUTDOWN_MASK
            queue = sk.sk_receive_queue
            # a lone consumed OOB skb (zero length) is no unread data
            if embrion or (queue and not (len(queue) == 1 and len(queue[0]) == 0)):
                skpair.sk_err = uapi.ECONNRESET
            skpair.state_change()
        skpair.peer_wait.wake_up(uapi.POLLOUT)
    while sk.sk_receive_queue:
        skb = sk.sk_receive_queue.popleft()
        if state == TCP_LISTEN and skb.embryo is not None:
            unix_release_sock(skb.embryo, True)
        skb.free()
    sk.sk_wq.wake_up(uapi.POLLHUP | uapi.POLLERR | uapi.POLLIN | uapi.POLLOUT)


class UnixFamily:
    """unix_family_ops: net_proto_family for PF_UNIX."""

    family = uapi.AF_UNIX

    def create(self, proc: Process, sock: Socket, protocol: int, kern: bool) -> int:
        if protocol and protocol != uapi.AF_UNIX:
            return -uapi.EPROTONOSUPPORT
        sock.state = SS_UNCONNECTED
        if sock.type == uapi.SOCK_STREAM:
            sock.ops = unix_stream_ops
        elif sock.type == uapi.SOCK_RAW:
            sock.type = uapi.SOCK_DGRAM
            sock.ops = unix_dgram_ops
        elif sock.type == uapi.SOCK_DGRAM:
            sock.ops = unix_dgram_ops
        elif sock.type == uapi.SOCK_SEQPACKET:
            sock.ops = unix_seqpacket_ops
        else:
            return -uapi.ESOCKTNOSUPPORT
        sk = unix_create1(proc.host, sock.type)  # sk_protocol stays 0, as unix_create1 leaves it
        sock_graft(sk, sock)
        return 0


def sock_graft(sk: UnixSock, sock: Socket) -> None:
    sock.sk = sk
    sk.sk_socket = sock


unix_family_ops = UnixFamily()


# --- proto_ops shared by the three socket types ------------------------------------------

class UnixOps(ProtoOps):
    family = uapi.AF_UNIX
    has_peek_off = True

    def release(self, sock: Socket) -> None:
        sk = sock.sk
        if sk is None:
            return
        assert isinstance(sk, UnixSock)
        sock.sk = None
        sk.sk_socket = None
        unix_release_sock(sk, False)
        unix_gc(sk.host)

    def put(self, sock: Socket) -> None:
        """A reference to the file went (close of a dup, an fd) but the socket lives on: no GC here.
        Linux collects dead in-flight cycles only when some AF_UNIX socket is released
        (unix_release_sock) or a sender passes the in-flight thresholds (wait_for_unix_gc), so a cycle
        whose last fd just closed survives until then."""

    def bind(self, sock: Socket, addr: bytes) -> int:
        return unix_bind(sock, addr)

    def getname(self, sock: Socket, peer: int) -> bytes | int:
        return unix_getname(sock, peer)

    def socketpair(self, proc: Process, a: Socket, b: Socket) -> int:
        ska, skb = unix_sk(a), unix_sk(b)
        ska.peer, skb.peer = skb, ska
        sk_set_peer_cred(ska, proc)
        sk_set_peer_cred(skb, proc)
        ska.sk_state = skb.sk_state = TCP_ESTABLISHED
        a.state = b.state = SS_CONNECTED
        return 0

    def shutdown(self, sock: Socket, how: int) -> int:
        if how < uapi.SHUT_RD or how > uapi.SHUT_RDWR:
            return -uapi.EINVAL
        mode = how + 1
        sk = unix_sk(sock)
        sk.sk_shutdown |= mode
        other = sk.peer
        sk.state_change()
        if other is not None and sk.sk_type in (uapi.SOCK_STREAM, uapi.SOCK_SEQPACKET):
            peer_mode = 0
            if mode & RCV_SHUTDOWN:
                peer_mode |= SEND_SHUTDOWN
            if mode & SEND_SHUTDOWN:
                peer_mode |= RCV_SHUTDOWN
            other.sk_shutdown |= peer_mode
            other.state_change()
        return 0

    def ioctl(self, sock: Socket, cmd: int, argp: list[int]) -> int:
        sk = unix_sk(sock)
        if cmd == uapi.SIOCOUTQ:
            argp[0] = max(sk.sk_wmem_alloc, 0)
            return 0
        if cmd == SIOCATMARK:
            argp[0] = int(bool(sk.sk_receive_queue) and sk.sk_receive_queue[0] is sk.oob_skb)
            return 0
        if cmd == uapi.SIOCINQ:
            if sk.sk_state == TCP_LISTEN:
                return -uapi.EINVAL
            if sk.sk_type in (uapi.SOCK_STREAM, uapi.SOCK_SEQPACKET):
                argp[0] = sum(len(s) for s in sk.sk_receive_queue)
            else:
                argp[0] = len(sk.sk_receive_queue[0]) if sk.sk_receive_queue else 0
            return 0
        return -uapi.ENOTTY

    def set_peek_off(self, sk: Sock, val: int) -> int:
        sk.sk_peek_off = val
        return 0


def unix_writable(sk: UnixSock) -> bool:
    return sk.sk_state != TCP_LISTEN and ((sk.sk_wmem_alloc + 1) << 2) <= sk.sk_sndbuf


def unix_recvq_full(sk: UnixSock) -> bool:
    return len(sk.sk_receive_queue) > sk.sk_max_ack_backlog


class UnixStreamOps(UnixOps):
    """unix_stream_ops (and the connection half of unix_seqpacket_ops)."""

    def listen(self, proc: Process, sock: Socket, backlog: int) -> int:
        sk = unix_sk(sock)
        if sock.type not in (uapi.SOCK_STREAM, uapi.SOCK_SEQPACKET):
            return -uapi.EOPNOTSUPP
        if sk.addr is None:
            return -uapi.EINVAL
        if sk.sk_state not in (TCP_CLOSE, TCP_LISTEN):
            return -uapi.EINVAL
        if backlog > sk.sk_max_ack_backlog:
            sk.peer_wait.wake_up(uapi.POLLOUT)
        sk.sk_max_ack_backlog = backlog
        sk.sk_state = TCP_LISTEN
        sk_set_peer_cred(sk, proc)
        return 0

    async def connect(self, proc: Process, sock: Socket, addr: bytes, flags: int) -> int:
        sk = unix_sk(sock)
        err = unix_validate_addr(addr)
        if err:
            return err
        err = unix_autobind_passcred(sk)
        if err:
            return err
        timeo = sk.sndtimeo(bool(flags & uapi.O_NONBLOCK))
        while True:
            other = unix_find_other(sk.host, addr, sk.sk_type)
            if isinstance(other, int):
                return other
            if other.sk_state != TCP_LISTEN or other.sk_shutdown & RCV_SHUTDOWN:
                return -uapi.ECONNREFUSED
            if unix_recvq_full(other):
                if not timeo:
                    return -uapi.EAGAIN
                listener = other

                def room() -> bool:
                    return (not unix_recvq_full(listener) or listener.sock_flag(SOCK_DEAD)
                            or listener.sk_state != TCP_LISTEN)

                timeo = await wait_event(other.peer_wait, sk.host.clock, timeo, room)  # type: ignore[attr-defined]
                continue
            break
        if sk.sk_state == TCP_ESTABLISHED:
            return -uapi.EISCONN
        if sk.sk_state != TCP_CLOSE:
            return -uapi.EINVAL
        newsk = unix_create1(sk.host, sk.sk_type)
        newsk.peer = sk
        newsk.sk_state = TCP_ESTABLISHED
        sk_set_peer_cred(newsk, proc)
        newsk.addr = other.addr
        newsk.sk_flags |= other.sk_flags & {SOCK_PASSCRED, SOCK_PASSSEC}
        sk.sk_peer_cred = other.sk_peer_cred
        sock.state = SS_CONNECTED
        sk.sk_state = TCP_ESTABLISHED
        sk.peer = newsk
        skb = SkBuff(b"", truesize=1)
        skb.embryo = newsk
        other.sk_receive_queue.append(skb)
        other.data_ready()
        return 0

    async def accept(self, proc: Process, sock: Socket, newsock: Socket, flags: int) -> int:
        sk = unix_sk(sock)
        if sock.type not in (uapi.SOCK_STREAM, uapi.SOCK_SEQPACKET):
            return -uapi.EOPNOTSUPP
        if sk.sk_state != TCP_LISTEN:
            return -uapi.EINVAL
        timeo = sk.rcvtimeo(bool(flags & uapi.O_NONBLOCK))
        while True:
            err = sk.sock_error()
            if err:
                return err
            if sk.sk_receive_queue:
                break
            if not timeo:
                return -uapi.EAGAIN
            if sk.sk_shutdown & RCV_SHUTDOWN:
                return -uapi.EINVAL
            timeo = await wait_event(
                sk.sk_wq, sk.host.clock, timeo,  # type: ignore[attr-defined]
                lambda: bool(sk.sk_receive_queue) or bool(sk.sk_shutdown & RCV_SHUTDOWN) or bool(sk.sk_err),
            )
        skb = sk.sk_receive_queue.popleft()
        tsk: UnixSock = skb.embryo
        skb.free()
        sk.peer_wait.wake_up(uapi.POLLOUT)
        newsock.state = SS_CONNECTED
        newsock.ops = sock.ops  # the flags came from the listener at connect() (Linux 6.18)
        sock_graft(tsk, newsock)
        return 0

    def poll(self, sock: Socket) -> int:
        sk = unix_sk(sock)
        mask = 0
        if sk.sk_err:
            mask |= uapi.POLLERR
        if sk.sk_shutdown == SHUTDOWN_MASK:
            mask |= uapi.POLLHUP
        if sk.sk_shutdown & RCV_SHUTDOWN:
            mask |= uapi.POLLRDHUP | uapi.POLLIN | uapi.POLLRDNORM
        if sk.sk_receive_queue:
            mask |= uapi.POLLIN | uapi.POLLRDNORM
        if sk.oob_skb is not None:
            mask |= uapi.POLLPRI
        if sk.sk_state == TCP_CLOSE:
            mask |= uapi.POLLHUP
        if unix_writable(sk):
            mask |= uapi.POLLOUT | uapi.POLLWRNORM | uapi.POLLWRBAND
        return mask

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        from kernel.net.unix.stream import unix_stream_sendmsg

        return await unix_stream_sendmsg(proc, sock, msg, size, flags)

    async def recvmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        from kernel.net.unix.stream import unix_stream_recvmsg

        return await unix_stream_recvmsg(proc, sock, msg, size, flags)


def unix_dgram_poll_mask(sk: UnixSock) -> int:
    mask = 0
    if sk.sk_err:
        mask |= uapi.POLLERR
    if sk.sk_shutdown & RCV_SHUTDOWN:
        mask |= uapi.POLLRDHUP | uapi.POLLIN | uapi.POLLRDNORM
    if sk.sk_shutdown == SHUTDOWN_MASK:
        mask |= uapi.POLLHUP
    if sk.sk_receive_queue:
        mask |= uapi.POLLIN | uapi.POLLRDNORM
    if sk.sk_type == uapi.SOCK_SEQPACKET:
        if sk.sk_state == TCP_CLOSE:
            mask |= uapi.POLLHUP
        if sk.sk_state == TCP_LISTEN:
            return mask
    writable = unix_writable(sk)
    if writable:
        other = sk.peer
        if other is not None and other.peer is not sk and unix_recvq_full(other):
            writable = False
    if writable:
        mask |= uapi.POLLOUT | uapi.POLLWRNORM | uapi.POLLWRBAND
    return mask


class UnixSeqpacketOps(UnixStreamOps):
    """unix_seqpacket_ops: stream connections, datagram data."""

    def poll(self, sock: Socket) -> int:
        return unix_dgram_poll_mask(unix_sk(sock))

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        from kernel.net.unix.dgram import unix_seqpacket_sendmsg

        return await unix_seqpacket_sendmsg(proc, sock, msg, size, flags)

    async def recvmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        from kernel.net.unix.dgram import unix_seqpacket_recvmsg

        return await unix_seqpacket_recvmsg(proc, sock, msg, size, flags)


class UnixDgramOps(UnixOps):
    """unix_dgram_ops: no listen/accept (sock_no_*), connect sets the peer."""

    async def connect(self, proc: Process, sock: Socket, addr: bytes, flags: int) -> int:
        sk = unix_sk(sock)
        if len(addr) < 2:
            return -uapi.EINVAL
        other: UnixSock | None
        if struct.unpack_from("<H", addr)[0] != uapi.AF_UNSPEC:
            err = unix_validate_addr(addr)
            if err:
                return err
            err = unix_autobind_passcred(sk)
            if err:
                return err
            found = unix_find_other(sk.host, addr, sk.sk_type)
            if isinstance(found, int):
                return found
            other = found
            if other.peer is not None and other.peer is not sk:
                return -uapi.EPERM
            sk.sk_state = TCP_ESTABLISHED
            other.sk_state = TCP_ESTABLISHED
        else:
            other = None
        old = sk.peer
        sk.peer = other
        if old is not None:
            if other is None:
                sk.sk_state = TCP_CLOSE
                sock.state = SS_UNCONNECTED
            if other is not old:
                unix_dgram_disconnected(sk, old)
                if old.peer is None:
                    old.sk_state = TCP_CLOSE
            old.peer_wait.wake_up(uapi.POLLOUT)
        if other is not None:
            sock.state = SS_CONNECTED
        sk.write_space()
        return 0

    def poll(self, sock: Socket) -> int:
        return unix_dgram_poll_mask(unix_sk(sock))

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        from kernel.net.unix.dgram import unix_dgram_sendmsg

        return await unix_dgram_sendmsg(proc, sock, msg, size, flags)

    async def recvmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        from kernel.net.unix.dgram import unix_dgram_recvmsg

        return await unix_dgram_recvmsg(proc, sock, msg, size, flags)


def unix_dgram_disconnected(sk: UnixSock, other: UnixSock) -> None:
    """A dgram socket dropped its peer: if that peer pointed back, it sees ECONNRESET."""
    if sk.sk_receive_queue:
        sk.purge_receive_queue()
        sk.peer_wait.wake_up(uapi.POLLOUT)
        if not other.sock_flag(SOCK_DEAD) and other.peer is sk:
            other.sk_err = uapi.ECONNRESET
            other.wake(uapi.POLLERR)


unix_stream_ops = UnixStreamOps()
unix_dgram_ops = UnixDgramOps()
unix_seqpacket_ops = UnixSeqpacketOps()
