"""net/socket.c: the socket syscalls, the family registry and the socket file.

Every ``sys_*`` takes the calling process first and returns an int (the
syscall's value or -errno).  Each one resolves its fd with
``sockfd_lookup`` (EBADF for a free fd, ENOTSOCK for a non-socket file),
validates the caller's memory as ``move_addr_to_kernel`` does, and hands off
to ``sock.ops`` (the family's proto_ops).  Families join through
``sock_register`` into ``net_families``; ``__sock_create`` checks family,
type and the SOCK_* flags in Linux's order.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from kernel import uapi
from kernel.fs.file import File
from kernel.net.core.dev_ioctl import ENOIOCTLCMD, IFREQ_CMDS, SIZEOF_IFREQ, Ifreq, dev_ioctl
from kernel.net.sock import Socket, sock_getsockopt, sock_setsockopt
from kernel.net.uaccess import IoctlBuf, MsgHdr, OptBuf, SockaddrBuf
from kernel.wait import WaitQueue

if TYPE_CHECKING:
    from kernel.process import Process


class NetProtoFamily(Protocol):
    """struct net_proto_family: a family's create()."""

    family: int

    def create(self, proc: Process, sock: Socket, protocol: int, kern: bool) -> int: ...


net_families: dict[int, NetProtoFamily] = {}


def sock_register(ops: NetProtoFamily) -> int:
    if ops.family < 0 or ops.family >= uapi.NPROTO:
        return -uapi.ENOBUFS
    if ops.family in net_families:
        return -uapi.EEXIST
    net_families[ops.family] = ops
    return 0


def sock_unregister(family: int) -> None:
    net_families.pop(family, None)


# --- the socket file (socket_file_ops) --------------------------------------

class SocketFileOps:
    """socket_file_ops: poll, release and ioctl of a socket file."""

    def poll(self, file: File) -> int:
        sock: Socket = file.private_data
        return sock.ops.poll(sock)

    def release(self, file: File) -> None:
        sock_release(file.private_data)

    def put(self, file: File) -> None:
        sock: Socket = file.private_data
        sock.ops.put(sock)

    def ioctl(self, file: File, cmd: int, argp: list[int], ubuf: IoctlBuf | None, proc: Process) -> int:
        """sock_ioctl."""
        return sock_do_ioctl(proc, file.private_data, cmd, argp, ubuf)

    def wait_queue(self, file: File) -> WaitQueue:
        sock: Socket = file.private_data
        return sock.wq


socket_file_ops = SocketFileOps()


def sock_do_ioctl(proc: Process, sock: Socket, cmd: int, argp: list[int], ubuf: IoctlBuf | None) -> int:
    """sock_do_ioctl: the family's ioctl, then (-ENOIOCTLCMD) the device layer's.

    The int-cell commands (FIONREAD, SIOCOUTQ ...) are the family's alone.  A
    struct ifreq command copies the 40 bytes in (-EFAULT without them), offers
    them to the family (inet and packet sockets answer the IPv4 address ones
    through devinet_ioctl, copying back on success) and else to dev_ioctl;
    the getters copy the ifreq back on success, the setters never.
    """
    if cmd not in IFREQ_CMDS:
        return sock.ops.ioctl(sock, cmd, argp)
    raw = ubuf.copy_from_user(SIZEOF_IFREQ) if ubuf is not None else None
    if raw is None:
        return -uapi.EFAULT
    ifr = Ifreq(raw)
    err = sock.ops.ifreq_ioctl(proc, sock, cmd, ifr)
    if err == -ENOIOCTLCMD:
        err, copyout = dev_ioctl(proc, sock.host.netns, cmd, ifr)
    else:
        copyout = cmd != uapi.SIOCSIFFLAGS
    if err == 0 and copyout:
        assert ubuf is not None
        if not ubuf.copy_to_user(bytes(ifr.raw)):
            return -uapi.EFAULT
    return err


def sock_release(sock: Socket) -> None:
    ops = sock.ops
    sock.ops.release(sock)
    sock.ops = ops
    sock.file = None


def sock_alloc_file(proc: Process, sock: Socket, flags: int) -> File | int:
    f = proc.host.alloc_file(socket_file_ops, sock, flags & uapi.O_NONBLOCK, proc)
    if isinstance(f, int):
        sock_release(sock)
        return f
    sock.file = f
    return f


def sock_map_fd(proc: Process, sock: Socket, flags: int) -> int:
    fd = proc.reserve_fd()
    if fd < 0:
        sock_release(sock)
        return fd
    f = sock_alloc_file(proc, sock, flags)
    if isinstance(f, int):
        proc.put_unused_fd(fd)
        return f
    proc.fd_install(fd, f, bool(flags & uapi.O_CLOEXEC))
    return fd


def sockfd_lookup(proc: Process, fd: int) -> Socket | int:
    f = proc.fget(fd)
    if f is None:
        return -uapi.EBADF
    if not isinstance(f.private_data, Socket):
        return -uapi.ENOTSOCK
    return f.private_data


def sock_create(proc: Process, family: int, type_: int, protocol: int, kern: bool = False) -> Socket | int:
    """__sock_create: range checks, then the family's create()."""
    if family < 0 or family >= uapi.NPROTO:
        return -uapi.EAFNOSUPPORT
    if type_ < 0 or type_ >= uapi.SOCK_MAX:
        return -uapi.EINVAL
    pf = net_families.get(family)
    if pf is None:
        return -uapi.EAFNOSUPPORT
    sock = Socket(proc.host, type_)
    err = pf.create(proc, sock, protocol, kern)
    if err < 0:
        return err
    return sock


def move_addr_to_kernel(addr: bytes) -> int:
    """Validate a user sockaddr length: 0 or too long → -EINVAL."""
    if len(addr) > uapi.SOCKADDR_STORAGE_SIZE:
        return -uapi.EINVAL
    return 0


def _sock_flags(type_: int) -> tuple[int, int]:
    flags = type_ & ~uapi.SOCK_TYPE_MASK
    return type_ & uapi.SOCK_TYPE_MASK, flags


# --- the syscalls -------------------------------------------------------------

async def sys_socket(proc: Process, family: int, type_: int, protocol: int) -> int:
    type_, flags = _sock_flags(type_)
    if flags & ~(uapi.SOCK_CLOEXEC | uapi.SOCK_NONBLOCK):
        return -uapi.EINVAL
    sock = sock_create(proc, family, type_, protocol)
    if isinstance(sock, int):
        return sock
    return sock_map_fd(proc, sock, flags & (uapi.O_CLOEXEC | uapi.O_NONBLOCK))


async def sys_socketpair(proc: Process, family: int, type_: int, protocol: int, usockvec: list[int]) -> int:
    type_, flags = _sock_flags(type_)
    if flags & ~(uapi.SOCK_CLOEXEC | uapi.SOCK_NONBLOCK):
        return -uapi.EINVAL
    fd1 = proc.reserve_fd()
    if fd1 < 0:
        return fd1
    fd2 = proc.reserve_fd()
    if fd2 < 0:
        proc.put_unused_fd(fd1)
        return fd2
    err = _socketpair_files(proc, family, type_, protocol, flags)
    if isinstance(err, int):
        proc.put_unused_fd(fd1)
        proc.put_unused_fd(fd2)
        return err
    f1, f2 = err
    cloexec = bool(flags & uapi.SOCK_CLOEXEC)
    proc.fd_install(fd1, f1, cloexec)
    proc.fd_install(fd2, f2, cloexec)
    usockvec[:] = [fd1, fd2]
    return 0


def _socketpair_files(proc: Process, family: int, type_: int, protocol: int, flags: int) -> tuple[File, File] | int:
    sock1 = sock_create(proc, family, type_, protocol)
    if isinstance(sock1, int):
        return sock1
    sock2 = sock_create(proc, family, type_, protocol)
    if isinstance(sock2, int):
        sock_release(sock1)
        return sock2
    err = sock1.ops.socketpair(proc, sock1, sock2)
    if err < 0:
        sock_release(sock2)
        sock_release(sock1)
        return err
    f1 = sock_alloc_file(proc, sock1, flags)
    if isinstance(f1, int):
        sock_release(sock2)
        return f1
    f2 = sock_alloc_file(proc, sock2, flags)
    if isinstance(f2, int):
        f1.fput()
        return f2
    return f1, f2


async def sys_bind(proc: Process, fd: int, addr: bytes) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    err = move_addr_to_kernel(addr)
    if err:
        return err
    return sock.ops.bind(sock, addr)


async def sys_listen(proc: Process, fd: int, backlog: int) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    somaxconn = proc.host.sysctl["net.core.somaxconn"]
    if (backlog & 0xFFFFFFFF) > somaxconn:  # the (unsigned) comparison Linux makes
        backlog = somaxconn
    return sock.ops.listen(proc, sock, backlog)


async def sys_accept4(proc: Process, fd: int, upeer: SockaddrBuf | None, flags: int) -> int:
    if flags & ~(uapi.SOCK_CLOEXEC | uapi.SOCK_NONBLOCK):
        return -uapi.EINVAL
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    newfd = proc.reserve_fd()
    if newfd < 0:
        return newfd
    newsock = Socket(proc.host, sock.type)
    newsock.ops = sock.ops
    f = sock_alloc_file(proc, newsock, flags)
    if isinstance(f, int):
        proc.put_unused_fd(newfd)
        return f
    assert sock.file is not None
    try:
        err = await sock.ops.accept(proc, sock, newsock, sock.file.f_flags | flags)
    except BaseException:
        proc.put_unused_fd(newfd)
        f.fput()
        raise
    if err < 0:
        proc.put_unused_fd(newfd)
        f.fput()
        return err
    if upeer is not None:
        name = newsock.ops.getname(newsock, 2)  # do_accept: peer 2, the name even of a child reset meanwhile
        if isinstance(name, int) or upeer.size < 0:  # move_addr_to_user: a negative *addrlen is EINVAL,
            proc.put_unused_fd(newfd)  # after the accept (the connection is taken and closed)
            f.fput()
            return -uapi.ECONNABORTED if isinstance(name, int) else -uapi.EINVAL
        upeer.put(name)
    proc.fd_install(newfd, f, bool(flags & uapi.SOCK_CLOEXEC))
    return newfd


async def sys_accept(proc: Process, fd: int, upeer: SockaddrBuf | None) -> int:
    return await sys_accept4(proc, fd, upeer, 0)


async def sys_connect(proc: Process, fd: int, addr: bytes) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    err = move_addr_to_kernel(addr)
    if err:
        return err
    assert sock.file is not None
    return await sock.ops.connect(proc, sock, addr, sock.file.f_flags)


async def _getname(proc: Process, fd: int, usockaddr: SockaddrBuf, peer: int) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    name = sock.ops.getname(sock, peer)
    if isinstance(name, int):
        return name
    if usockaddr.size < 0:  # move_addr_to_user, after getname (ENOTCONN first)
        return -uapi.EINVAL
    usockaddr.put(name)
    return 0


async def sys_getsockname(proc: Process, fd: int, usockaddr: SockaddrBuf) -> int:
    return await _getname(proc, fd, usockaddr, 0)


async def sys_getpeername(proc: Process, fd: int, usockaddr: SockaddrBuf) -> int:
    return await _getname(proc, fd, usockaddr, 1)


def _nonblock_flags(sock: Socket, flags: int) -> int:
    if sock.file is not None and sock.file.nonblock:
        flags |= uapi.MSG_DONTWAIT
    return flags


async def sys_sendto(proc: Process, fd: int, buf: bytes, flags: int, addr: bytes | None) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    if addr is not None:
        err = move_addr_to_kernel(addr)
        if err:
            return err
    msg = MsgHdr(name=addr, iov=[buf])
    return await sock_sendmsg(proc, sock, msg, _nonblock_flags(sock, flags))


async def sys_send(proc: Process, fd: int, buf: bytes, flags: int) -> int:
    return await sys_sendto(proc, fd, buf, flags, None)


async def sock_sendmsg(proc: Process, sock: Socket, msg: MsgHdr, flags: int) -> int:
    size = sum(len(b) for b in msg.iov)
    return await sock.ops.sendmsg(proc, sock, msg, size, flags)


async def sock_recvmsg(proc: Process, sock: Socket, msg: MsgHdr, flags: int) -> int:
    return await sock.ops.recvmsg(proc, sock, msg, msg.iovlen, flags)


async def sys_recvfrom(proc: Process, fd: int, msg: MsgHdr, flags: int) -> int:
    """recv/recvfrom: msg.iovlen is the buffer size, msg.namelen the address room."""
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    if msg.iovlen < 0:
        return -uapi.EFAULT
    msg.controllen = 0
    want_name = msg.namelen
    ret = await sock_recvmsg(proc, sock, msg, _nonblock_flags(sock, flags))
    if ret >= 0:
        if want_name < 0:  # move_addr_to_user after the receive: the data is gone
            return -uapi.EINVAL
        _fix_name(msg, max(want_name, 0))
    return ret


def _fix_name(msg: MsgHdr, room: int) -> None:
    if msg.name is None:
        msg.namelen = 0
        return
    msg.namelen = len(msg.name)
    msg.name = msg.name[:room]


async def sys_shutdown(proc: Process, fd: int, how: int) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    return sock.ops.shutdown(sock, how)


async def sys_setsockopt(proc: Process, fd: int, level: int, optname: int, optval: bytes) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    if level == uapi.SOL_SOCKET:
        return sock_setsockopt(proc, sock, optname, optval)
    return sock.ops.setsockopt(sock, level, optname, optval)


async def sys_getsockopt(proc: Process, fd: int, level: int, optname: int, opt: OptBuf) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    if level == uapi.SOL_SOCKET:
        return sock_getsockopt(proc, sock, optname, opt)
    return sock.ops.getsockopt(sock, level, optname, opt)


def _check_msghdr(msg: MsgHdr) -> int:
    if len(msg.iov) > uapi.UIO_MAXIOV:
        return -uapi.EMSGSIZE
    if msg.name is not None:
        err = move_addr_to_kernel(msg.name)
        if err:
            return err
    if len(msg.control) > 2**31 - 1:
        return -uapi.ENOBUFS
    return 0


async def sys_sendmsg(proc: Process, fd: int, msg: MsgHdr, flags: int) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    err = _check_msghdr(msg)
    if err:
        return err
    return await sock_sendmsg(proc, sock, msg, _nonblock_flags(sock, flags))


async def sys_recvmsg(proc: Process, fd: int, msg: MsgHdr, flags: int) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    if msg.iovlen < 0 or msg.controllen < 0 or msg.namelen < 0:
        return -uapi.EINVAL
    want_name = msg.namelen
    msg.flags = flags & uapi.MSG_CMSG_CLOEXEC  # ____sys_recvmsg seeds msg_flags with it
    ret = await sock_recvmsg(proc, sock, msg, _nonblock_flags(sock, flags))
    if ret >= 0:
        _fix_name(msg, want_name)
    return ret


def _signal_pending() -> bool:
    """The call's task was cancelled (the signal) and a partial result consumed the cancel
    (MSG_WAITALL, a stream send cut short): the signal is still pending, so the rest of an
    mmsg call must not sleep (Linux: the next wait fails with -EINTR at once)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _file_nonblocking(sock: Socket) -> bool:
    return sock.file is not None and bool(sock.file.f_flags & uapi.O_NONBLOCK)


async def sys_sendmmsg(proc: Process, fd: int, msgs: list[MsgHdr], flags: int) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    msgs[:] = msgs[: uapi.UIO_MAXIOV]
    sent = 0
    for i, msg in enumerate(msgs):
        err = _check_msghdr(msg)
        if err == 0:
            f = _nonblock_flags(sock, flags)
            if i + 1 < len(msgs):
                f |= uapi.MSG_BATCH
            if sent and _signal_pending():
                f |= uapi.MSG_DONTWAIT  # the signal is still pending: this message cannot sleep
            try:
                err = await sock_sendmsg(proc, sock, msg, f)
            except asyncio.CancelledError:
                if not sent:
                    raise
                err = -uapi.EINTR  # a signal after some messages: their count (__sys_sendmmsg)
        if err < 0:
            return sent if sent else err
        msg.msg_len = err
        sent += 1
        if err < sum(len(b) for b in msg.iov):
            break  # msg_data_left: a message sent in part (a signal, a full buffer) ends the call
    return sent


async def sys_recvmmsg(proc: Process, fd: int, msgs: list[MsgHdr], flags: int, timeout: float | None) -> int:
    sock = sockfd_lookup(proc, fd)
    if isinstance(sock, int):
        return sock
    if timeout is not None and timeout < 0:
        return -uapi.EINVAL
    clock = proc.host.clock
    deadline = None if timeout is None else clock.now() + timeout
    got = 0
    for msg in msgs:
        f = flags & ~uapi.MSG_WAITFORONE
        if got and flags & uapi.MSG_WAITFORONE:
            f |= uapi.MSG_DONTWAIT
        interrupted = bool(got) and _signal_pending()
        could_sleep = not f & uapi.MSG_DONTWAIT and not _file_nonblocking(sock)
        if interrupted:
            f |= uapi.MSG_DONTWAIT  # the signal is still pending: this message cannot sleep
        try:
            err = await sys_recvmsg(proc, fd, msg, f)
        except asyncio.CancelledError:
            if not got:
                raise
            err = -uapi.EINTR  # a signal after some messages: their count, the error kept (do_recvmmsg)
        if interrupted and could_sleep and err == -uapi.EAGAIN:
            err = -uapi.EINTR  # where it would have slept, the pending signal interrupts it
        if err < 0:
            if got:
                if err not in (-uapi.EAGAIN,):
                    sk = sock.sk
                    if sk is not None:
                        sk.sk_err = -err  # reported by the next call, as Linux does
                return got
            return err
        msg.msg_len = err
        got += 1
        if msg.flags & uapi.MSG_OOB:
            break
        if deadline is not None and clock.now() >= deadline:
            break
    return got


# --- sys_socketcall ------------------------------------------------------------

def socketcall_valid(call: int) -> bool:
    """sys_socketcall's range check: 1 <= call <= SYS_SENDMMSG, else -EINVAL."""
    return uapi.SYS_SOCKET <= call <= uapi.SYS_SENDMMSG
