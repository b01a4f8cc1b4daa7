"""Resource accounting: open files (host.nr_files) and send-buffer memory (sk_wmem_alloc)."""
from __future__ import annotations

from typing import Any

import pytest

from kernel import uapi as U


async def test_nr_files_returns_to_baseline_after_everything_closes(rig: Any) -> None:
    client = rig.host.spawn()
    baseline = rig.baseline_files()
    assert rig.host.nr_files == baseline == 6
    lfd, cfd, afd = await rig.connected(client=client)
    pending = await rig.socket(proc=client)
    await rig.ok("connect", client, fd=pending, addr=rig.sun("/tmp/srv"))  # never accepted
    pairs = [await rig.pair(t) for t in (U.SOCK_STREAM, U.SOCK_DGRAM, U.SOCK_SEQPACKET)]
    for a, _ in pairs:
        await rig.ok("send", fd=a, data=b"unread", flags=0)
    d = await rig.ok("dup", fd=pairs[0][0])
    ep = await rig.ok("epoll_create1", flags=0)
    for _, b in pairs:
        await rig.ok("epoll_ctl", epfd=ep, op=U.EPOLL_CTL_ADD, fd=b, events=U.EPOLLIN)
    x, y = await rig.pair(proc=client)
    await rig.ok("sendmsg", client, fd=cfd, flags=0, iov=[b"fd"], control=rig.rights(x, y))  # unread, in flight
    await rig.ok("close", client, fd=x)
    assert rig.host.nr_files > baseline
    for fd in sorted(rig.proc.fdtable):
        if fd > 2:
            await rig.ok("close", fd=fd)
    client.exit()
    assert rig.host.nr_files == rig.baseline_files() == 3
    assert d and rig.host.vfs.lookup(b"/tmp/srv")[1] == 0  # the path stays until unlink


async def test_nr_files_after_many_processes_exit(rig: Any) -> None:
    procs = [rig.host.spawn() for _ in range(5)]
    await rig.listener()
    for p in procs:
        c = await rig.socket(proc=p)
        await rig.ok("connect", p, fd=c, addr=rig.sun("/tmp/srv"))
        await rig.pair(proc=p)
    for p in procs[:3]:
        p.exit()
    assert rig.host.nr_files == rig.baseline_files() + 1 + 2 * 3  # listener + two live clients' 3 sockets each
    for p in procs[3:]:
        p.exit()
    rig.proc.exit()
    assert rig.host.nr_files == 0 and rig.host.processes == {}


async def test_stream_wmem_is_charged_until_the_reader_consumes_it(rig: Any) -> None:
    a, b = await rig.pair()
    sk = rig.sk(a)
    assert sk.sk_wmem_alloc == 0
    await rig.ok("send", fd=a, data=b"x" * 100_000, flags=0)
    charged = sk.sk_wmem_alloc
    assert charged > 100_000
    assert (await rig.call("recv", fd=b, size=100_000, flags=U.MSG_PEEK)).ret > 0
    assert sk.sk_wmem_alloc == charged  # peeking frees nothing
    await rig.ok("recv", fd=b, size=10, flags=0)
    assert sk.sk_wmem_alloc == charged  # a partly read skb is still charged
    while (await rig.call("recv", fd=b, size=65536, flags=U.MSG_DONTWAIT)).ret > 0:
        pass
    assert sk.sk_wmem_alloc == 0 and rig.sk(b).sk_rmem_alloc == 0
    assert (await rig.call("ioctl", fd=a, cmd=U.SIOCOUTQ)).value == 0


@pytest.mark.parametrize("type_", [U.SOCK_DGRAM, U.SOCK_SEQPACKET, U.SOCK_STREAM])
async def test_wmem_is_released_when_the_receiver_closes_with_data_queued(rig: Any, type_: int) -> None:
    a, b = await rig.pair(type_)
    for _ in range(3):
        await rig.ok("send", fd=a, data=b"q" * 1000, flags=0)
    assert rig.sk(a).sk_wmem_alloc > 0
    sk = rig.sk(a)
    await rig.ok("close", fd=b)
    assert sk.sk_wmem_alloc == 0


async def test_dgram_wmem_released_by_receive_and_by_truncation(rig: Any) -> None:
    rx = await rig.socket(U.SOCK_DGRAM)
    await rig.ok("bind", fd=rx, addr=rig.sun("/tmp/rx"))
    tx = await rig.socket(U.SOCK_DGRAM)
    await rig.ok("sendto", fd=tx, data=b"d" * 5000, flags=0, addr=rig.sun("/tmp/rx"))
    await rig.ok("sendto", fd=tx, data=b"e" * 10, flags=0, addr=rig.sun("/tmp/rx"))
    assert rig.sk(tx).sk_wmem_alloc > 5000
    reply = await rig.call("recv", fd=rx, size=10, flags=0)  # truncated: the rest is dropped
    assert reply.ret == 10 and reply.msg_flags & U.MSG_TRUNC
    await rig.ok("recv", fd=rx, size=10, flags=0)
    assert rig.sk(tx).sk_wmem_alloc == 0


async def test_enfile_at_fs_file_max_leaves_nothing_behind(rig: Any) -> None:
    user = rig.host.spawn(uid=1000)  # unprivileged: CAP_SYS_ADMIN may exceed fs.file-max
    rig.host.sysctl["fs.file-max"] = rig.host.nr_files + 1
    s = await rig.socket(proc=user)
    fds = sorted(user.fdtable)
    assert await rig.err("socket", user, family=U.AF_UNIX, type=U.SOCK_STREAM, protocol=0) == "ENFILE"
    assert await rig.err("epoll_create1", user, flags=0) == "ENFILE"
    await rig.ok("close", user, fd=s)
    files = rig.host.nr_files
    assert await rig.err("socketpair", user, family=U.AF_UNIX, type=U.SOCK_STREAM, protocol=0) == "ENFILE"
    assert rig.host.nr_files == files and sorted(user.fdtable) == fds[:-1]
    assert await rig.ok("dup", user, fd=0) == s  # dup makes no new file: fine at the limit


async def test_root_may_exceed_fs_file_max(rig: Any) -> None:
    rig.host.sysctl["fs.file-max"] = rig.host.nr_files
    assert await rig.err("socket", family=U.AF_UNIX, type=U.SOCK_STREAM, protocol=0) == ""


async def test_accept_at_enfile_keeps_the_connection_queued(rig: Any) -> None:
    user = rig.host.spawn(uid=1000)
    lfd = await rig.listener(proc=user)
    c = await rig.socket()
    await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))
    rig.host.sysctl["fs.file-max"] = rig.host.nr_files
    assert await rig.err("accept", user, fd=lfd) == "ENFILE"
    rig.host.sysctl["fs.file-max"] = 1 << 20
    new = await rig.call("accept4", user, fd=lfd, flags=U.SOCK_NONBLOCK)
    assert new.ret >= 0, new.error_name
    await rig.ok("send", fd=c, data=b"hello", flags=0)
    assert (await rig.call("recv", user, fd=new.ret, size=8, flags=0)).data == b"hello"
