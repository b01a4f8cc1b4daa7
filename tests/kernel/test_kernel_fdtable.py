"""The fd table (kernel/process.py), dup/fcntl (fs/fcntl.py) and ioctl (fs/ioctl.py)."""
from __future__ import annotations

import struct
from typing import Any

import pytest

from kernel import uapi as U
from kernel.syscalls import ops

# Every op that takes a descriptor, with arguments that would otherwise be valid;
# "FD" is replaced with a closed descriptor (and "SOCK"/"EP" with live ones).
FD_OPS: dict[str, dict[str, Any]] = {
    "accept": {"fd": "FD"},
    "accept4": {"fd": "FD", "flags": 0},
    "bind": {"fd": "FD", "addr": b"\x01\x00/tmp/x"},
    "close": {"fd": "FD"},
    "connect": {"fd": "FD", "addr": b"\x01\x00/tmp/x"},
    "dup": {"fd": "FD"},
    "epoll_ctl": {"epfd": "EP", "op": U.EPOLL_CTL_ADD, "fd": "FD", "events": U.EPOLLIN},
    "epoll_ctl(epfd)": {"epfd": "FD", "op": U.EPOLL_CTL_ADD, "fd": "SOCK", "events": U.EPOLLIN},
    "epoll_wait": {"epfd": "FD", "maxevents": 1, "timeout_ms": 0},
    "fcntl": {"fd": "FD", "cmd": U.F_GETFL},
    "getpeername": {"fd": "FD"},
    "getsockname": {"fd": "FD"},
    "getsockopt": {"fd": "FD", "level": U.SOL_SOCKET, "optname": U.SO_TYPE, "optlen": 4},
    "ioctl": {"fd": "FD", "cmd": U.FIONREAD},
    "listen": {"fd": "FD", "backlog": 1},
    "recv": {"fd": "FD", "size": 1, "flags": 0},
    "recvfrom": {"fd": "FD", "size": 1, "flags": 0},
    "recvmmsg": {"fd": "FD", "flags": 0, "msgs": [{"size": 1}]},
    "recvmsg": {"fd": "FD", "flags": 0, "size": 1},
    "send": {"fd": "FD", "data": b"x", "flags": 0},
    "sendmmsg": {"fd": "FD", "flags": 0, "msgs": [{"iov": [b"x"]}]},
    "sendmsg": {"fd": "FD", "flags": 0, "iov": [b"x"]},
    "sendto": {"fd": "FD", "data": b"x", "flags": 0, "addr": b"\x01\x00/tmp/x"},
    "setsockopt": {"fd": "FD", "level": U.SOL_SOCKET, "optname": U.SO_REUSEADDR, "optval": struct.pack("<i", 1)},
    "shutdown": {"fd": "FD", "how": U.SHUT_RDWR},
}
NON_FD_OPS = {"epoll_create1", "poll", "socket", "socketpair", "socketcall", "unlink"}
SOCKET_OPS = [op for op in FD_OPS if op not in ("close", "dup", "fcntl", "ioctl") and not op.startswith("epoll")]


def test_fd_op_table_covers_every_syscall() -> None:
    """A new op in kernel.syscalls must be added to one of the two lists above."""
    assert {op.split("(")[0] for op in FD_OPS} | NON_FD_OPS == set(ops())


async def _resolve(rig: Any, spec: dict[str, Any], bad: int) -> dict[str, Any]:
    args = dict(spec)
    for key, value in spec.items():
        if value == "FD":
            args[key] = bad
        elif value == "SOCK":
            args[key] = await rig.socket()
        elif value == "EP":
            args[key] = await rig.ok("epoll_create1", flags=0)
    return args


@pytest.mark.parametrize("name", sorted(FD_OPS))
async def test_every_fd_op_on_a_closed_fd_is_ebadf(rig: Any, name: str) -> None:
    args = await _resolve(rig, FD_OPS[name], -1)  # live descriptors first: closing frees the lowest fd
    bad = await rig.socket()
    await rig.ok("close", fd=bad)
    args = {k: bad if v == "FD" else args[k] for k, v in FD_OPS[name].items()}
    files = rig.host.nr_files
    assert await rig.err(name.split("(")[0], **args) == "EBADF"
    assert rig.host.nr_files == files


@pytest.mark.parametrize("name", SOCKET_OPS)
async def test_socket_ops_on_stdin_are_enotsock(rig: Any, name: str) -> None:
    args = await _resolve(rig, FD_OPS[name], 0)
    assert await rig.err(name, **args) == "ENOTSOCK"


async def test_new_process_has_fds_0_to_2_on_dev_null(rig: Any) -> None:
    assert sorted(rig.proc.fdtable) == [0, 1, 2]
    assert rig.host.nr_files == 3
    assert await rig.ok("fcntl", fd=0, cmd=U.F_GETFL) == U.O_RDWR
    reply = await rig.call("poll", fds=[(0, U.POLLIN | U.POLLOUT)], timeout_ms=0)
    assert reply.ret == 1 and reply.revents == [U.POLLIN | U.POLLOUT]
    assert await rig.err("ioctl", fd=0, cmd=U.FIONREAD) == "ENOTTY"
    assert await rig.socket() == 3
    other = rig.host.spawn()
    assert sorted(other.fdtable) == [0, 1, 2] and rig.host.nr_files == 7


async def test_epoll_ctl_add_dev_null_is_eperm(rig: Any) -> None:
    ep = await rig.ok("epoll_create1", flags=0)
    assert await rig.err("epoll_ctl", epfd=ep, op=U.EPOLL_CTL_ADD, fd=0, events=U.EPOLLIN) == "EPERM"


async def test_lowest_free_fd_is_reused(rig: Any) -> None:
    fds = [await rig.socket() for _ in range(3)]
    assert fds == [3, 4, 5]
    await rig.ok("close", fd=4)
    assert await rig.socket() == 4
    await rig.ok("close", fd=0)
    assert await rig.socket() == 0
    assert await rig.socket() == 6
    assert await rig.err("close", fd=0) == ""
    assert await rig.err("close", fd=0) == "EBADF"


async def test_emfile_at_rlimit_nofile_for_every_allocator(rig: Any) -> None:
    rig.proc.rlimit_nofile = 6
    lfd = await rig.listener(backlog=4)  # fd 3
    peer = rig.host.spawn()
    pfd = await rig.socket(proc=peer)
    await rig.ok("connect", peer, fd=pfd, addr=rig.sun("/tmp/srv"))
    assert await rig.socket() == 4
    # one slot left: a pair needs two
    files = rig.host.nr_files
    assert await rig.err("socketpair", family=U.AF_UNIX, type=U.SOCK_STREAM, protocol=0) == "EMFILE"
    assert await rig.socket() == 5
    assert await rig.err("socket", family=U.AF_UNIX, type=U.SOCK_STREAM, protocol=0) == "EMFILE"
    assert await rig.err("dup", fd=3) == "EMFILE"
    assert await rig.err("fcntl", fd=3, cmd=U.F_DUPFD, arg=0) == "EMFILE"
    assert await rig.err("epoll_create1", flags=0) == "EMFILE"
    assert await rig.err("accept", fd=lfd) == "EMFILE"
    assert rig.host.nr_files == files + 1  # only the socket that got an fd
    await rig.ok("close", fd=5)
    assert await rig.ok("accept", fd=lfd) == 5  # the pending connection survived EMFILE


async def test_dup_shares_the_open_file_but_not_fd_flags(rig: Any) -> None:
    a, b = await rig.pair(U.SOCK_STREAM | U.SOCK_CLOEXEC)
    d = await rig.ok("dup", fd=a)
    assert d == 5
    assert rig.proc.fget(d) is rig.proc.fget(a)
    assert await rig.ok("fcntl", fd=a, cmd=U.F_GETFD) == U.FD_CLOEXEC
    assert await rig.ok("fcntl", fd=d, cmd=U.F_GETFD) == 0  # dup clears FD_CLOEXEC
    await rig.ok("fcntl", fd=d, cmd=U.F_SETFL, arg=U.O_NONBLOCK)  # file status flags are shared
    assert await rig.ok("fcntl", fd=a, cmd=U.F_GETFL) & U.O_NONBLOCK
    await rig.ok("close", fd=a)
    await rig.ok("send", fd=d, data=b"still open", flags=0)
    assert (await rig.call("recv", fd=b, size=64, flags=0)).data == b"still open"


async def test_f_dupfd_and_f_dupfd_cloexec(rig: Any) -> None:
    s = await rig.socket()
    assert await rig.ok("fcntl", fd=s, cmd=U.F_DUPFD, arg=10) == 10
    assert await rig.ok("fcntl", fd=s, cmd=U.F_DUPFD, arg=10) == 11
    assert await rig.ok("fcntl", fd=s, cmd=U.F_DUPFD, arg=0) == 4  # lowest free from 0
    c = await rig.ok("fcntl", fd=s, cmd=U.F_DUPFD_CLOEXEC, arg=20)
    assert c == 20 and await rig.ok("fcntl", fd=c, cmd=U.F_GETFD) == U.FD_CLOEXEC
    assert await rig.ok("fcntl", fd=10, cmd=U.F_GETFD) == 0
    assert await rig.err("fcntl", fd=s, cmd=U.F_DUPFD, arg=rig.proc.rlimit_nofile) == "EINVAL"
    assert await rig.err("fcntl", fd=s, cmd=U.F_DUPFD, arg=-1) == "EINVAL"
    assert rig.proc.fget(20) is rig.proc.fget(s)


async def test_f_getfd_f_setfd(rig: Any) -> None:
    s = await rig.socket()
    e = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_STREAM | U.SOCK_CLOEXEC, protocol=0)
    assert await rig.ok("fcntl", fd=s, cmd=U.F_GETFD) == 0
    assert await rig.ok("fcntl", fd=e, cmd=U.F_GETFD) == U.FD_CLOEXEC
    await rig.ok("fcntl", fd=s, cmd=U.F_SETFD, arg=U.FD_CLOEXEC)
    await rig.ok("fcntl", fd=e, cmd=U.F_SETFD, arg=0)
    assert await rig.ok("fcntl", fd=s, cmd=U.F_GETFD) == U.FD_CLOEXEC
    assert await rig.ok("fcntl", fd=e, cmd=U.F_GETFD) == 0


async def test_f_getfl_f_setfl_nonblock_and_async(rig: Any) -> None:
    a, b = await rig.pair()
    assert await rig.ok("fcntl", fd=a, cmd=U.F_GETFL) == U.O_RDWR
    # the access mode cannot change; O_NONBLOCK and O_ASYNC can
    await rig.ok("fcntl", fd=a, cmd=U.F_SETFL, arg=U.O_NONBLOCK | U.O_ASYNC | 0)
    assert await rig.ok("fcntl", fd=a, cmd=U.F_GETFL) == U.O_RDWR | U.O_NONBLOCK | U.O_ASYNC
    assert await rig.err("recv", fd=a, size=1, flags=0) == "EAGAIN"  # no block: O_NONBLOCK counts
    await rig.ok("fcntl", fd=a, cmd=U.F_SETFL, arg=0)
    assert await rig.ok("fcntl", fd=a, cmd=U.F_GETFL) == U.O_RDWR
    nb = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_DGRAM | U.SOCK_NONBLOCK, protocol=0)
    assert await rig.ok("fcntl", fd=nb, cmd=U.F_GETFL) == U.O_RDWR | U.O_NONBLOCK


async def test_f_setfl_keeps_o_append_and_o_noatime(rig: Any) -> None:
    s = await rig.socket()
    await rig.ok("fcntl", fd=s, cmd=U.F_SETFL, arg=0o2000 | U.O_NONBLOCK)  # O_APPEND
    assert await rig.ok("fcntl", fd=s, cmd=U.F_GETFL) == U.O_RDWR | 0o2000 | U.O_NONBLOCK
    await rig.ok("fcntl", fd=s, cmd=U.F_SETFL, arg=0o1000000)  # O_NOATIME (root owns everything)
    assert await rig.ok("fcntl", fd=s, cmd=U.F_GETFL) == U.O_RDWR | 0o1000000


async def test_f_setfl_o_direct_on_socket_is_einval(rig: Any) -> None:
    s = await rig.socket()
    assert await rig.err("fcntl", fd=s, cmd=U.F_SETFL, arg=0o40000) == "EINVAL"


async def test_f_setown_f_getown_and_unknown_cmd(rig: Any) -> None:
    s = await rig.socket()
    assert await rig.ok("fcntl", fd=s, cmd=U.F_GETOWN) == 0
    await rig.ok("fcntl", fd=s, cmd=U.F_SETOWN, arg=rig.proc.pid)
    assert await rig.ok("fcntl", fd=s, cmd=U.F_GETOWN) == rig.proc.pid
    for cmd in (9999, -1, 5):  # 5 = F_GETLK: not for sockets here
        assert await rig.err("fcntl", fd=s, cmd=cmd) == "EINVAL"


async def test_ioctl_fionbio_and_fioasync(rig: Any) -> None:
    a, _ = await rig.pair()
    assert (await rig.call("ioctl", fd=a, cmd=U.FIONBIO, arg=1)).ret == 0
    assert await rig.ok("fcntl", fd=a, cmd=U.F_GETFL) & U.O_NONBLOCK
    assert await rig.err("recv", fd=a, size=1, flags=0) == "EAGAIN"
    await rig.ok("ioctl", fd=a, cmd=U.FIONBIO, arg=0)
    assert not await rig.ok("fcntl", fd=a, cmd=U.F_GETFL) & U.O_NONBLOCK
    await rig.ok("ioctl", fd=a, cmd=U.FIOASYNC, arg=1)
    assert await rig.ok("fcntl", fd=a, cmd=U.F_GETFL) & U.O_ASYNC
    await rig.ok("ioctl", fd=0, cmd=U.FIONBIO, arg=1)  # generic: works on /dev/null too
    assert await rig.ok("fcntl", fd=0, cmd=U.F_GETFL) & U.O_NONBLOCK


async def test_ioctl_fionread_and_siocoutq_on_stream(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.ok("send", fd=a, data=b"x" * 100, flags=0)
    await rig.ok("send", fd=a, data=b"y" * 50, flags=0)
    assert (await rig.call("ioctl", fd=b, cmd=U.FIONREAD)).value == 150
    out = (await rig.call("ioctl", fd=a, cmd=U.SIOCOUTQ)).value
    assert out == 2 * 768  # two skbs of truesize 768 (kmalloc 512 + sk_buff 256), as Linux reports
    assert (await rig.call("recv", fd=b, size=120, flags=0)).ret == 120
    assert (await rig.call("ioctl", fd=b, cmd=U.FIONREAD)).value == 30
    assert (await rig.call("recv", fd=b, size=120, flags=0)).ret == 30
    assert (await rig.call("ioctl", fd=a, cmd=U.SIOCOUTQ)).value == 0


async def test_ioctl_fionread_dgram_is_first_datagram_and_listener_einval(rig: Any) -> None:
    a, b = await rig.pair(U.SOCK_DGRAM)
    await rig.ok("send", fd=a, data=b"abc", flags=0)
    await rig.ok("send", fd=a, data=b"defgh", flags=0)
    assert (await rig.call("ioctl", fd=b, cmd=U.FIONREAD)).value == 3
    lfd = await rig.listener()
    assert await rig.err("ioctl", fd=lfd, cmd=U.FIONREAD) == "EINVAL"


async def test_ioctl_fionread_seqpacket_sums_queue(rig: Any) -> None:
    a, b = await rig.pair(U.SOCK_SEQPACKET)
    await rig.ok("send", fd=a, data=b"abc", flags=0)
    await rig.ok("send", fd=a, data=b"defgh", flags=0)
    assert (await rig.call("ioctl", fd=b, cmd=U.FIONREAD)).value == 8


async def test_ioctl_unknown_cmd_is_enotty(rig: Any) -> None:
    a, _ = await rig.pair()
    ep = await rig.ok("epoll_create1", flags=0)
    for fd in (a, ep, 0):
        assert await rig.err("ioctl", fd=fd, cmd=0x1234) == "ENOTTY"
