"""epoll (fs/eventpoll.c): an interest list of (file, fd) items and a wait.

EPOLL_CTL_ADD/MOD/DEL with Linux's errnos (EBADF, EPERM for a file that
cannot be polled, EINVAL for epfd itself or a non-epoll epfd or bad flags,
EEXIST, ENOENT), level- and edge-triggered items, EPOLLONESHOT, and items
that vanish when the watched file's last reference goes.  ``epoll_wait``
sleeps until an item is ready or the timeout (ms, negative = forever) ends.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.fs.file import File
from kernel.net.uaccess import EpollEvent, IoctlBuf
from kernel.wait import WaitQueue, wait_event

if TYPE_CHECKING:
    from kernel.process import Process

EP_PRIVATE_BITS = uapi.EPOLLWAKEUP | uapi.EPOLLONESHOT | uapi.EPOLLET | uapi.EPOLLEXCLUSIVE
EP_MAX_EVENTS = (2**31 - 1) // 12


class EpItem:
    """One watched (file, fd) pair."""

    def __init__(self, ep: EventPoll, file: File, fd: int, event: EpollEvent) -> None:
        self.ep = ep
        self.file = file
        self.fd = fd
        self.events = event.events | uapi.POLLERR | uapi.POLLHUP  # ep_insert always watches these
        self.data = event.data
        self.ready = True  # check readiness on the first wait, as ep_insert does
        self.wq = file.f_op.wait_queue(file)
        self.wq.add(self.wake)
        file.f_ep.add(self)

    def wake(self, mask: int) -> None:
        self.ready = True
        self.ep.wq.wake_up(uapi.POLLIN)

    def detach(self) -> None:
        self.wq.remove(self.wake)
        self.file.f_ep.discard(self)

    def file_released(self) -> None:
        self.detach()
        self.ep.items.pop((id(self.file), self.fd), None)


class EventPoll:
    """The epoll instance behind an epoll fd; also its file_operations."""

    def __init__(self) -> None:
        self.items: dict[tuple[int, int], EpItem] = {}
        self.wq = WaitQueue()

    # file_operations
    def poll(self, file: File) -> int:
        return uapi.POLLIN | uapi.POLLRDNORM if self._collect(None, peek=True) else 0

    def release(self, file: File) -> None:
        for item in list(self.items.values()):
            item.detach()
        self.items.clear()

    def ioctl(self, file: File, cmd: int, argp: list[int], ubuf: IoctlBuf | None, proc: Process) -> int:
        return -uapi.ENOTTY

    def wait_queue(self, file: File) -> WaitQueue:
        return self.wq

    def _collect(self, out: list[EpollEvent] | None, maxevents: int = 1 << 30, peek: bool = False) -> int:
        n = 0
        for item in list(self.items.values()):
            if n >= maxevents:
                break
            if item.events & uapi.EPOLLET and not item.ready:
                continue
            if not item.events & ~EP_PRIVATE_BITS:
                continue
            revents = item.file.poll() & item.events
            if not revents:
                item.ready = False
                continue
            n += 1
            if peek:
                continue
            assert out is not None
            out.append(EpollEvent(revents, item.data))
            if item.events & uapi.EPOLLONESHOT:
                item.events &= EP_PRIVATE_BITS
            if item.events & uapi.EPOLLET:
                item.ready = False
        return n


def sys_epoll_create1(proc: Process, flags: int) -> int:
    if flags & ~uapi.EPOLL_CLOEXEC:
        return -uapi.EINVAL
    ep = EventPoll()
    f = proc.host.alloc_file(ep, ep, 0, proc)
    if isinstance(f, int):
        return f
    fd = proc.install_file(f, bool(flags & uapi.EPOLL_CLOEXEC))
    if fd < 0:
        f.fput()
    return fd


def sys_epoll_ctl(proc: Process, epfd: int, op: int, fd: int, event: EpollEvent | None) -> int:
    ef = proc.fget(epfd)
    tf = proc.fget(fd)
    if ef is None or tf is None:
        return -uapi.EBADF
    if not getattr(tf.f_op, "can_poll", True):  # file_can_poll(): no ->poll, no epoll
        return -uapi.EPERM
    if ef is tf or not isinstance(ef.private_data, EventPoll):
        return -uapi.EINVAL
    ep: EventPoll = ef.private_data
    if op != uapi.EPOLL_CTL_DEL and event is None:
        return -uapi.EFAULT
    if event is not None and op != uapi.EPOLL_CTL_DEL and event.events & uapi.EPOLLEXCLUSIVE:
        if op == uapi.EPOLL_CTL_MOD:
            return -uapi.EINVAL
        if event.events & ~(uapi.EPOLLEXCLUSIVE | uapi.EPOLLIN | uapi.EPOLLOUT | uapi.EPOLLERR | uapi.EPOLLHUP
                            | uapi.EPOLLWAKEUP | uapi.EPOLLET | uapi.EPOLLRDNORM | uapi.EPOLLWRNORM):
            return -uapi.EINVAL
    key = (id(tf), fd)
    item = ep.items.get(key)
    if op == uapi.EPOLL_CTL_ADD:
        if item is not None:
            return -uapi.EEXIST
        if isinstance(tf.private_data, EventPoll) and _would_loop(tf.private_data, ep):
            return -uapi.ELOOP
        assert event is not None
        ep.items[key] = EpItem(ep, tf, fd, event)
        ep.wq.wake_up(uapi.POLLIN)
        return 0
    if op == uapi.EPOLL_CTL_DEL:
        if item is None:
            return -uapi.ENOENT
        item.detach()
        del ep.items[key]
        return 0
    if op == uapi.EPOLL_CTL_MOD:
        if item is None:
            return -uapi.ENOENT
        assert event is not None
        if item.events & uapi.EPOLLEXCLUSIVE:
            return -uapi.EINVAL
        item.events = event.events | uapi.POLLERR | uapi.POLLHUP
        item.data = event.data
        item.ready = True
        ep.wq.wake_up(uapi.POLLIN)
        return 0
    return -uapi.EINVAL


def _would_loop(inner: EventPoll, outer: EventPoll) -> bool:
    if inner is outer:
        return True
    return any(isinstance(i.file.private_data, EventPoll) and _would_loop(i.file.private_data, outer)
               for i in inner.items.values())


async def sys_epoll_wait(proc: Process, epfd: int, out: list[EpollEvent], maxevents: int, timeout_ms: int) -> int:
    if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
        return -uapi.EINVAL
    ef = proc.fget(epfd)
    if ef is None:
        return -uapi.EBADF
    if not isinstance(ef.private_data, EventPoll):
        return -uapi.EINVAL
    ep: EventPoll = ef.private_data
    timeo = math.inf if timeout_ms < 0 else timeout_ms / 1000.0

    def ready() -> bool:
        out.clear()
        return ep._collect(out, maxevents) > 0

    if ready() or timeo == 0:
        return len(out)
    await wait_event(ep.wq, proc.host.clock, timeo, ready)
    return len(out)
