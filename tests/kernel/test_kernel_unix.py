"""AF_UNIX across processes of one host: exit, backlog, SCM_RIGHTS/CREDENTIALS, SIGIO, path names."""
from __future__ import annotations

import struct
from typing import Any

import pytest

from kernel import uapi as U
from kernel.process import SIGIO, SIGPIPE

UCRED = struct.Struct("<iII")


# --- process exit -----------------------------------------------------------------------

async def test_process_exit_closes_its_fds_and_the_peer_sees_eof(rig: Any) -> None:
    client = rig.host.spawn()
    _, cfd, afd = await rig.connected(client=client)
    blocked = await rig.start("recv", fd=afd, size=10, flags=0)
    assert not blocked.done()
    await rig.ok("socket", client, family=U.AF_UNIX, type=U.SOCK_DGRAM, protocol=0)
    client.exit()
    await rig.settle()
    assert (blocked.result().ret, blocked.result().data) == (0, b"")  # EOF wakes the reader
    assert client.fdtable == {} and client.pid not in rig.host.processes
    assert rig.host.nr_files == 3 + 2  # our stdio + listener + accepted socket
    assert await rig.err("send", fd=afd, data=b"x", flags=U.MSG_NOSIGNAL) == "EPIPE"
    client.exit()  # idempotent
    assert rig.host.nr_files == 5


async def test_process_exit_with_unread_data_gives_the_peer_econnreset(rig: Any) -> None:
    client = rig.host.spawn()
    _, cfd, afd = await rig.connected(client=client)
    await rig.ok("send", fd=afd, data=b"never read", flags=0)
    client.exit()
    assert await rig.err("recv", fd=afd, size=10, flags=0) == "ECONNRESET"
    reply = await rig.call("recv", fd=afd, size=10, flags=0)  # reported once, then EOF
    assert (reply.ret, reply.data) == (0, b"")


async def test_process_exit_closes_a_listener_and_its_pending_connections_reset(rig: Any) -> None:
    server = rig.host.spawn()
    await rig.listener(proc=server)
    c = await rig.socket()
    await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))
    await rig.ok("send", fd=c, data=b"hi", flags=0)
    server.exit()
    assert await rig.err("recv", fd=c, size=10, flags=0) == "ECONNRESET"
    assert (await rig.call("recv", fd=c, size=10, flags=0)).ret == 0
    assert await rig.err("send", fd=c, data=b"x", flags=U.MSG_NOSIGNAL) == "EPIPE"
    other = await rig.socket()
    assert await rig.err("connect", fd=other, addr=rig.sun("/tmp/srv")) == "ECONNREFUSED"
    assert rig.host.nr_files == 3 + 2


# --- listen backlog ---------------------------------------------------------------------

@pytest.mark.parametrize("backlog", [0, 1, 3])
async def test_listen_backlog_admits_backlog_plus_one(rig: Any, backlog: int) -> None:
    await rig.listener(backlog=backlog)
    for _ in range(backlog + 1):
        c = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_STREAM | U.SOCK_NONBLOCK, protocol=0)
        await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))
    c = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_STREAM | U.SOCK_NONBLOCK, protocol=0)
    assert await rig.err("connect", fd=c, addr=rig.sun("/tmp/srv")) == "EAGAIN"
    assert await rig.err("getpeername", fd=c) == "ENOTCONN"  # EAGAIN left it unconnected


async def test_listen_again_with_a_bigger_backlog_wakes_blocked_connectors(rig: Any) -> None:
    lfd = await rig.listener(backlog=0)
    await rig.ok("connect", fd=await rig.socket(), addr=rig.sun("/tmp/srv"))
    c = await rig.socket()
    task = await rig.start("connect", fd=c, addr=rig.sun("/tmp/srv"))
    assert not task.done()
    await rig.ok("listen", fd=lfd, backlog=5)
    await rig.settle()
    assert task.result().ret == 0
    assert len(rig.sk(lfd).sk_receive_queue) == 2


async def test_listen_and_connect_errnos(rig: Any) -> None:
    unbound = await rig.socket()
    assert await rig.err("listen", fd=unbound, backlog=1) == "EINVAL"
    d = await rig.socket(U.SOCK_DGRAM)
    await rig.ok("bind", fd=d, addr=rig.sun("/tmp/dgram"))
    assert await rig.err("listen", fd=d, backlog=1) == "EOPNOTSUPP"
    s = await rig.socket()
    assert await rig.err("connect", fd=s, addr=rig.sun("/tmp/dgram")) == "EPROTOTYPE"
    assert await rig.err("connect", fd=s, addr=rig.sun("/tmp")) == "ECONNREFUSED"  # a directory
    lfd = await rig.listener()
    assert await rig.err("connect", fd=lfd, addr=rig.sun("/tmp/srv")) == "EINVAL"
    await rig.ok("connect", fd=s, addr=rig.sun("/tmp/srv"))
    assert await rig.err("connect", fd=s, addr=rig.sun("/tmp/srv")) == "EISCONN"


async def test_blocking_accept_reserves_its_fd_first(rig: Any) -> None:
    lfd = await rig.listener()  # fd 3
    task = await rig.start("accept", fd=lfd)  # takes fd 4 before it sleeps
    made_meanwhile = await rig.socket()
    peer = rig.host.spawn()
    await rig.ok("connect", peer, fd=await rig.socket(proc=peer), addr=rig.sun("/tmp/srv"))
    await rig.settle()
    assert (task.result().ret, made_meanwhile) == (4, 5)


# --- SCM_RIGHTS --------------------------------------------------------------------------

async def test_scm_rights_between_two_processes_shares_the_file(rig: Any) -> None:
    client = rig.host.spawn()
    _, cfd, afd = await rig.connected(client=client)
    x, y = await rig.pair(proc=client)  # the sender's x is fd 4
    for _ in range(3):  # ours: 0-2 stdio, 3 listener, 4 accepted, then 5, 6, 7; free 6
        await rig.socket()
    await rig.ok("close", fd=6)
    files = rig.host.nr_files
    sent = await rig.call("sendmsg", client, fd=cfd, flags=0, iov=[b"fd"], control=rig.rights(x))
    assert sent.ret == 2
    assert rig.host.nr_files == files  # in flight: a reference, not a new file
    got = await rig.call("recvmsg", fd=afd, flags=0, size=8, controllen=64)
    assert got.data == b"fd" and got.msg_flags == 0
    [(level, type_, data)] = rig.parse_cmsgs(got.control)
    assert (level, type_) == (U.SOL_SOCKET, U.SCM_RIGHTS)
    (newfd,) = struct.unpack("<i", data)
    assert newfd == 6  # the receiver's lowest free descriptor, not the sender's number
    assert rig.proc.fget(newfd) is client.fget(x)  # one open file, two tables
    assert await rig.ok("fcntl", fd=newfd, cmd=U.F_GETFD) == 0
    await rig.ok("close", client, fd=x)  # the sender's fd goes; the socket lives on in ours
    await rig.ok("send", fd=newfd, data=b"via passed fd", flags=0)
    assert (await rig.call("recv", client, fd=y, size=64, flags=0)).data == b"via passed fd"
    assert rig.host.nr_files == files  # x's file moved tables; nothing leaked or duplicated


async def test_scm_rights_msg_cmsg_cloexec_and_ctrunc(rig: Any) -> None:
    a, b = await rig.pair()
    x, y = await rig.pair()
    baseline = rig.host.nr_files
    await rig.ok("sendmsg", fd=a, flags=0, iov=[b"1"], control=rig.rights(x))
    got = await rig.call("recvmsg", fd=b, flags=U.MSG_CMSG_CLOEXEC, size=8, controllen=64)
    (fd,) = struct.unpack("<i", rig.parse_cmsgs(got.control)[0][2])
    assert await rig.ok("fcntl", fd=fd, cmd=U.F_GETFD) == U.FD_CLOEXEC
    await rig.ok("close", fd=fd)
    # room for one fd of two: MSG_CTRUNC, the other reference dropped
    await rig.ok("sendmsg", fd=a, flags=0, iov=[b"2"], control=rig.rights(x, y))
    got = await rig.call("recvmsg", fd=b, flags=0, size=8, controllen=16 + 4)
    assert got.msg_flags & U.MSG_CTRUNC and len(rig.parse_cmsgs(got.control)) == 1
    (fd,) = struct.unpack("<i", rig.parse_cmsgs(got.control)[0][2])
    await rig.ok("close", fd=fd)
    # no room at all
    await rig.ok("sendmsg", fd=a, flags=0, iov=[b"3"], control=rig.rights(x))
    got = await rig.call("recvmsg", fd=b, flags=0, size=8, controllen=0)
    assert got.data == b"3" and got.msg_flags == U.MSG_CTRUNC and got.control == b""
    assert rig.host.nr_files == baseline


async def test_scm_rights_bad_fd_is_ebadf_and_sends_nothing(rig: Any) -> None:
    a, b = await rig.pair()
    x, _ = await rig.pair()
    await rig.ok("close", fd=_)
    files = rig.host.nr_files
    assert (await rig.call("sendmsg", fd=a, flags=0, iov=[b"m"], control=rig.rights(x, _))).error_name == "EBADF"
    assert rig.host.nr_files == files and rig.proc.fget(x).f_count == 1
    assert await rig.err("recv", fd=b, size=8, flags=U.MSG_DONTWAIT) == "EAGAIN"


async def test_scm_rights_unread_when_the_receiver_closes_releases_the_file(rig: Any) -> None:
    client = rig.host.spawn()
    baseline = rig.baseline_files()
    lfd, cfd, afd = await rig.connected(client=client)
    x, y = await rig.pair(proc=client)
    await rig.ok("sendmsg", client, fd=cfd, flags=0, iov=[b"m"], control=rig.rights(x))
    await rig.ok("close", client, fd=x)  # only the message holds x now
    await rig.ok("close", fd=afd)  # the receiver goes with the message unread
    # x was released: its peer y sees EOF, and the file count is back
    assert (await rig.call("recv", client, fd=y, size=8, flags=U.MSG_DONTWAIT)).ret == 0
    for fd in (cfd, y):
        await rig.ok("close", client, fd=fd)
    await rig.ok("close", fd=lfd)
    assert rig.host.nr_files == baseline


async def test_scm_rights_cycle_is_collected(rig: Any) -> None:
    baseline = rig.baseline_files()
    a, b = await rig.pair()
    c, d = await rig.pair()
    await rig.ok("sendmsg", fd=a, flags=0, iov=[b"m"], control=rig.rights(b, c))  # b holds itself and c
    for fd in (a, b, c):
        await rig.ok("close", fd=fd)
    # closing b and c released nothing (the message holds them): no GC ran, the dead cycle lives on
    # (Linux's GC runs when an AF_UNIX socket is released -- asynchronously there, so a close right
    # after a's may still catch it; a moment later it never does)
    assert (await rig.call("recv", fd=d, size=8, flags=U.MSG_DONTWAIT)).ret == -U.EAGAIN
    e, f = await rig.pair()
    await rig.ok("close", fd=e)  # a release: the GC collects the cycle, c's peer d sees EOF
    assert (await rig.call("recv", fd=d, size=8, flags=U.MSG_DONTWAIT)).ret == 0
    for fd in (d, f):
        await rig.ok("close", fd=fd)
    assert rig.host.nr_files == baseline


# --- SCM_CREDENTIALS / SO_PASSCRED ----------------------------------------------------------

async def test_scm_credentials_of_a_non_root_process(rig: Any) -> None:
    user = rig.host.spawn(uid=1000, gid=1000)
    assert user.caps == frozenset()
    a, b = await rig.pair(proc=user)
    other = rig.host.spawn()

    async def send(pid: int, uid: int, gid: int) -> str:
        reply = await rig.call("sendmsg", user, fd=a, flags=0, iov=[b"c"], control=rig.creds(pid, uid, gid))
        return reply.error_name

    assert await send(other.pid, 1000, 1000) == "EPERM"  # someone else's pid
    assert await send(user.pid, 0, 1000) == "EPERM"  # root's uid
    assert await send(user.pid, 1000, 0) == "EPERM"  # root's gid
    assert await rig.err("recv", user, fd=b, size=8, flags=U.MSG_DONTWAIT) == "EAGAIN"
    assert await send(user.pid, 1000, 1000) == ""  # its own credentials are fine
    # root may claim any live pid, but not a dead one
    ra, rb = await rig.pair()
    ok = await rig.call("sendmsg", fd=ra, flags=0, iov=[b"c"], control=rig.creds(other.pid, 5, 6))
    assert ok.ret == 1
    bad = await rig.call("sendmsg", fd=ra, flags=0, iov=[b"c"], control=rig.creds(99999, 0, 0))
    assert bad.error_name == "ESRCH"


async def test_so_passcred_delivers_the_senders_credentials(rig: Any) -> None:
    user = rig.host.spawn(uid=1000, gid=100)
    _, cfd, afd = await rig.connected(client=user)
    await rig.ok("send", user, fd=cfd, data=b"no creds", flags=0)
    got = await rig.call("recvmsg", fd=afd, flags=0, size=64, controllen=64)
    assert got.control == b""
    await rig.set_int(afd, U.SO_PASSCRED, 1)
    await rig.ok("send", user, fd=cfd, data=b"creds", flags=0)
    got = await rig.call("recvmsg", fd=afd, flags=0, size=64, controllen=64)
    [(level, type_, data)] = rig.parse_cmsgs(got.control)
    assert (level, type_) == (U.SOL_SOCKET, U.SCM_CREDENTIALS)
    assert UCRED.unpack(data) == (user.pid, 1000, 100)
    # root sending explicit credentials of another live process: the receiver sees those
    other = rig.host.spawn(uid=7, gid=8)
    a, b = await rig.pair()
    await rig.set_int(b, U.SO_PASSCRED, 1)
    await rig.ok("sendmsg", fd=a, flags=0, iov=[b"x"], control=rig.creds(other.pid, 7, 8))
    got = await rig.call("recvmsg", fd=b, flags=0, size=8, controllen=64)
    assert UCRED.unpack(rig.parse_cmsgs(got.control)[0][2]) == (other.pid, 7, 8)


async def test_so_peercred_across_processes(rig: Any) -> None:
    user = rig.host.spawn(uid=1000, gid=100)
    _, cfd, afd = await rig.connected(client=user)
    mine = await rig.call("getsockopt", fd=afd, level=U.SOL_SOCKET, optname=U.SO_PEERCRED, optlen=12)
    theirs = await rig.call("getsockopt", user, fd=cfd, level=U.SOL_SOCKET, optname=U.SO_PEERCRED, optlen=12)
    assert UCRED.unpack(mine.data) == (user.pid, 1000, 100)
    assert UCRED.unpack(theirs.data) == (rig.proc.pid, 0, 0)  # the listener's credentials


# --- SIGIO ----------------------------------------------------------------------------------

async def test_sigio_on_data_for_an_o_async_owned_socket(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.ok("send", fd=a, data=b"before", flags=0)
    assert rig.proc.sigio.empty()  # nothing without O_ASYNC + owner
    await rig.ok("fcntl", fd=b, cmd=U.F_SETFL, arg=U.O_ASYNC)
    await rig.ok("send", fd=a, data=b"x", flags=0)
    assert rig.proc.sigio.empty()  # O_ASYNC but no owner yet
    await rig.ok("fcntl", fd=b, cmd=U.F_SETOWN, arg=rig.proc.pid)
    await rig.ok("send", fd=a, data=b"y", flags=0)
    info = rig.proc.sigio.get_nowait()
    assert (info.signo, info.fd) == (SIGIO, b) and info.band & U.POLLIN
    await rig.ok("fcntl", fd=b, cmd=U.F_SETFL, arg=0)
    while not rig.proc.sigio.empty():
        rig.proc.sigio.get_nowait()
    await rig.ok("send", fd=a, data=b"z", flags=0)
    assert rig.proc.sigio.empty()


async def test_sigio_goes_to_the_owner_process(rig: Any) -> None:
    owner = rig.host.spawn()
    _, cfd, afd = await rig.connected(client=owner)
    a, b = await rig.pair()
    # pass b to the owner, whose fd number for it differs from ours
    await rig.ok("sendmsg", fd=afd, flags=0, iov=[b"f"], control=rig.rights(b))
    got = await rig.call("recvmsg", owner, fd=cfd, flags=0, size=4, controllen=64)
    (ofd,) = struct.unpack("<i", rig.parse_cmsgs(got.control)[0][2])
    assert ofd != b
    await rig.ok("fcntl", fd=b, cmd=U.F_SETOWN, arg=owner.pid)
    await rig.ok("ioctl", fd=b, cmd=U.FIOASYNC, arg=1)
    await rig.ok("send", fd=a, data=b"data", flags=0)
    assert rig.proc.sigio.empty()
    info = owner.sigio.get_nowait()
    assert (info.signo, info.fd) == (SIGIO, ofd) and info.band & U.POLLIN


@pytest.mark.parametrize(("type_", "signalled"), [(U.SOCK_STREAM, True), (U.SOCK_SEQPACKET, False)])
async def test_epipe_raises_sigpipe_on_stream_sockets_only(rig: Any, type_: int, signalled: bool) -> None:
    # as the host kernel does: unix_stream_sendmsg sends SIGPIPE, the seqpacket path does not
    a, b = await rig.pair(type_)
    await rig.ok("close", fd=b)
    assert await rig.err("send", fd=a, data=b"x", flags=U.MSG_NOSIGNAL) == "EPIPE"
    assert rig.proc.sigio.empty()
    assert await rig.err("send", fd=a, data=b"x", flags=0) == "EPIPE"
    notices = [rig.proc.sigio.get_nowait() for _ in range(rig.proc.sigio.qsize())]
    assert [n.signo for n in notices] == ([SIGPIPE] if signalled else [])


# --- path names in the host's filesystem ---------------------------------------------------

async def test_bind_path_errnos_and_unlink(rig: Any) -> None:
    s = await rig.socket()
    await rig.ok("bind", fd=s, addr=rig.sun("/tmp/sock"))
    name = await rig.call("getsockname", fd=s)
    assert name.addr == rig.sun(b"/tmp/sock\0") and name.addrlen == 2 + len("/tmp/sock") + 1
    assert await rig.err("bind", fd=await rig.socket(), addr=rig.sun("/tmp/sock")) == "EADDRINUSE"
    assert await rig.err("bind", fd=await rig.socket(), addr=rig.sun("/tmp/../tmp/./sock")) == "EADDRINUSE"
    assert await rig.err("bind", fd=await rig.socket(), addr=rig.sun("/nonexistent/sock")) == "ENOENT"
    assert await rig.err("bind", fd=await rig.socket(), addr=rig.sun("/tmp/sock/child")) == "ENOTDIR"
    assert await rig.err("bind", fd=await rig.socket(), addr=rig.sun("/tmp")) == "EADDRINUSE"
    assert await rig.err("bind", fd=s, addr=rig.sun("/tmp/second")) == "EINVAL"  # already bound
    assert rig.host.vfs.lookup(b"/tmp/second")[1] == -U.ENOENT  # ... and the failed inode is gone
    assert await rig.err("unlink", path="/tmp/sock") == ""
    assert await rig.err("unlink", path="/tmp/sock") == "ENOENT"
    assert await rig.err("unlink", path="/tmp") == "EISDIR"
    t = await rig.socket()
    await rig.ok("bind", fd=t, addr=rig.sun("/tmp/sock"))  # free again after unlink


# (bind, connect, unlink) of /tmp/sock<suffix> with /tmp/sock a bound socket, as Linux 6.x answers
PATH_WALK = {
    "/a/b/c": ("ENOTDIR", "ENOTDIR", "ENOTDIR"),
    "/": ("EADDRINUSE", "ENOTDIR", "ENOTDIR"),
    "/.": ("ENOTDIR", "ENOTDIR", "ENOTDIR"),
    "/..": ("ENOTDIR", "ENOTDIR", None),
    "/../x": ("ENOTDIR", "ENOTDIR", "ENOTDIR"),
}


@pytest.mark.parametrize("suffix", list(PATH_WALK))
async def test_path_walk_through_a_socket(rig: Any, suffix: str) -> None:
    await rig.ok("bind", fd=await rig.socket(), addr=rig.sun("/tmp/sock"))
    path = "/tmp/sock" + suffix
    want_bind, want_connect, want_unlink = PATH_WALK[suffix]
    assert await rig.err("bind", fd=await rig.socket(), addr=rig.sun(path)) == want_bind
    assert await rig.err("connect", fd=await rig.socket(), addr=rig.sun(path)) == want_connect
    if want_unlink is not None:
        assert await rig.err("unlink", path=path) == want_unlink
    assert rig.host.vfs.lookup(b"/tmp/sock")[1] == 0  # untouched by any of it


async def test_connect_by_path_after_the_binder_closed_or_unlinked(rig: Any) -> None:
    c = await rig.socket()
    assert await rig.err("connect", fd=c, addr=rig.sun("/tmp/none")) == "ENOENT"
    lfd = await rig.listener("/tmp/srv")
    await rig.ok("close", fd=lfd)
    assert await rig.err("connect", fd=c, addr=rig.sun("/tmp/srv")) == "ECONNREFUSED"  # the inode stays
    assert await rig.err("bind", fd=await rig.socket(), addr=rig.sun("/tmp/srv")) == "EADDRINUSE"
    await rig.ok("unlink", path=b"/tmp/srv")
    assert await rig.err("connect", fd=c, addr=rig.sun("/tmp/srv")) == "ENOENT"
    # unlinking a live listener's path: existing name lost, the socket still works for its clients
    lfd = await rig.listener("/tmp/live")
    await rig.ok("unlink", path="/tmp/live")
    assert await rig.err("connect", fd=c, addr=rig.sun("/tmp/live")) == "ENOENT"
    assert (await rig.call("getsockname", fd=lfd)).addr == rig.sun(b"/tmp/live\0")


async def test_abstract_names_vanish_with_the_socket(rig: Any) -> None:
    s = await rig.socket(U.SOCK_DGRAM)
    await rig.ok("bind", fd=s, addr=rig.sun(b"\0abstract"))
    assert await rig.err("bind", fd=await rig.socket(U.SOCK_DGRAM), addr=rig.sun(b"\0abstract")) == "EADDRINUSE"
    await rig.ok("bind", fd=await rig.socket(U.SOCK_STREAM), addr=rig.sun(b"\0abstract"))  # per socket type
    await rig.ok("close", fd=s)
    await rig.ok("bind", fd=await rig.socket(U.SOCK_DGRAM), addr=rig.sun(b"\0abstract"))
