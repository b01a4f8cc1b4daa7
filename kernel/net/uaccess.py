"""The caller's memory, as the syscall layer sees it (copy_from_user / copy_to_user).

Linux syscalls take user pointers and lengths; here each pointer argument is a
small mutable object that the transport fills in (inputs) and reads back
(outputs) after the call.  Every `sys_*` function returns an ``int``: the
syscall's return value, or ``-errno`` on failure (never raises for a caller's
mistake).  Outputs are written only on success, as Linux does, except where a
field says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kernel.uapi import SOCKADDR_STORAGE_SIZE


@dataclass
class SockaddrBuf:
    """``struct sockaddr *addr, socklen_t *addrlen`` used as an output.

    size: in, the room the caller gave (``*addrlen`` before the call).
    data: out, the address bytes, truncated to ``size`` as Linux does.
    length: out, the address's full length (``*addrlen`` after the call; it may
    be larger than ``size``, which tells the caller it was truncated).
    """

    size: int = SOCKADDR_STORAGE_SIZE
    data: bytes = b""
    length: int = 0

    def put(self, raw: bytes) -> None:
        self.length = len(raw)
        self.data = raw[: max(self.size, 0)]


@dataclass
class OptBuf:
    """``void *optval, socklen_t *optlen`` of getsockopt: size in, data + size out."""

    size: int
    data: bytes = b""


@dataclass
class MsgHdr:
    """``struct user_msghdr`` for sendmsg/recvmsg (and one entry of *mmsg).

    sendmsg inputs: ``name`` (destination sockaddr bytes or None), ``iov``
    (the data buffers), ``control`` (raw cmsghdr bytes, x86_64 layout).
    recvmsg inputs: ``namelen`` (room for the source address, 0 = none
    wanted), ``iovlen`` (total room for data), ``controllen`` (room for
    control messages).  recvmsg outputs: ``name`` (source address, truncated
    to namelen) and ``namelen`` (its full length), ``data``, ``control`` (raw
    cmsghdr bytes), ``flags`` (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, ...).
    ``msg_len`` is the per-message result of sendmmsg/recvmmsg.
    """

    name: bytes | None = None
    namelen: int = 0
    iov: list[bytes] = field(default_factory=list)
    iovlen: int = 0
    control: bytes = b""
    controllen: int = 0
    flags: int = 0
    data: bytes = b""
    msg_len: int = 0


@dataclass
class PollFd:
    """``struct pollfd``: fd and events in, revents out."""

    fd: int
    events: int
    revents: int = 0


@dataclass
class EpollEvent:
    """``struct epoll_event``: the event mask and the caller's 64-bit data."""

    events: int
    data: int = 0


@dataclass
class IoctlBuf:
    """The caller's memory an ioctl's ``argp`` points to (``struct ifreq`` ...).

    data: in, the bytes there before the call (its length is all the memory
    the pointer has: copying more from or to it is -EFAULT); out, the same
    buffer after the call (what copy_to_user wrote over it).  An ioctl that
    needs a buffer and gets none (``argp`` is an int, e.g. NULL) is -EFAULT.
    """

    data: bytearray

    def copy_from_user(self, n: int) -> bytes | None:
        """The first ``n`` bytes, or None (-EFAULT) when the buffer is shorter."""
        return bytes(self.data[:n]) if 0 <= n <= len(self.data) else None

    def copy_to_user(self, raw: bytes) -> bool:
        """Write ``raw`` at the start; False (-EFAULT) when it does not fit."""
        if len(raw) > len(self.data):
            return False
        self.data[: len(raw)] = raw
        return True
