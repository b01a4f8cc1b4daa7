"""Links between real daemons: two in-process servers (server.app.build) on loopback joined by a LinkDialer.

Host a's eth1 dials host b's eth1 (both peer-link NICs, 10.1.0.1/24 and
10.1.0.2/24).  ARP, ping and UDP cross the link; the acceptor is stopped and
restarted (carrier down, reconnect, traffic again); refused hellos give
clear errors; a flood the link cannot carry is dropped and counted with
bounded memory; TLS and mTLS links.  Waits are bounded, never sleeps on a
fixed schedule.
"""
from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import struct
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio

from kernel import uapi
from kernel.drivers.net.peerlink import peerlink_newlink
from kernel.host import Host
from kernel.net.core.dev import NetDevice, dev_queue_xmit
from kernel.net.core.skbuff import alloc_skb
from kernel.net.ipv4.devinet import inet_insert_ifa
from kernel.net.wire.checksum import internet_checksum
from kernel.net.wire.ipv4 import ip_aton
from kernel.syscalls import do_syscall
from server.app import Daemon, build
from server.link_service import LinkDialer, LinkError, LinkServicer, add_to_server, link_channel_credentials
from server.security import server_credentials

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one loop for grpc.aio, as the other in-process tests

WAIT = 10.0
FAST = dict(backoff=(0.05, 0.2), keepalive=0.2, dead_after=2.0)


def sin(addr: str, port: int = 0) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)


def echo(ident: int, seq: int, data: bytes) -> bytes:
    head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, internet_checksum(head + data), ident, seq) + data


async def until(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
    assert predicate(), what


def host_with_nic(name: str, addr: str, peer: tuple[str, str] | None, mtu: int = 1500) -> tuple[Host, NetDevice]:
    """A host with eth1, a peer link with a fixed MAC (a restarted daemon keeps it: a's ARP cache stays right)."""
    h = Host(name=name)
    dev = peerlink_newlink(h, "eth1", mtu=mtu, peer=peer, mac=b"\x02\x00\x00\x00\x01" + name.encode()[:1])
    assert inet_insert_ifa(h.netns, dev, ip_aton(addr), 24) == 0
    return h, dev


async def start_daemon(host: Host, listen: str = "127.0.0.1:0", *, lab: str = "lab1",
                       credentials: grpc.ServerCredentials | None = None) -> tuple[Daemon, LinkServicer]:
    d = build(listen, host, credentials=credentials)
    servicer = add_to_server(d.server, host, lab=lab, keepalive=0.2, dead_after=2.0)
    await d.start()
    return d, servicer


@dataclass
class Lab:
    a: Host
    b: Host
    ea: NetDevice
    eb: NetDevice
    da: Daemon
    db: Daemon
    servicer: LinkServicer
    dialer: LinkDialer


@pytest_asyncio.fixture(loop_scope="module")
async def lab() -> AsyncIterator[Lab]:
    a, ea = host_with_nic("a", "10.1.0.1", None)
    b, eb = host_with_nic("b", "10.1.0.2", ("a", "eth1"))
    da, _ = await start_daemon(a)
    db, servicer = await start_daemon(b)
    dialer = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "b", "eth1", "lab1", **FAST)  # type: ignore[arg-type]
    dialer.start()
    await dialer.wait_up(WAIT)
    yield Lab(a, b, ea, eb, da, db, servicer, dialer)
    await dialer.stop()
    await da.stop(grace=None)
    await db.stop(grace=None)


async def call(proc: Any, name: str, **args: Any) -> Any:
    return await asyncio.wait_for(do_syscall(proc, name, args, None), WAIT)


async def ping(src: Host, dst: str, seq: int = 1) -> bytes:
    """A raw ICMP echo from ``src`` to ``dst``; returns the reply's IP packet."""
    proc = src.spawn()
    try:
        fd = (await call(proc, "socket", family=uapi.AF_INET, type=uapi.SOCK_RAW, protocol=uapi.IPPROTO_ICMP)).ret
        assert fd >= 0
        rc = await call(proc, "sendto", fd=fd, data=echo(0x77, seq, b"across the link"), flags=0, addr=sin(dst))
        assert rc.ret == 23, rc
        while True:
            reply = await call(proc, "recvfrom", fd=fd, size=2048, flags=0)
            assert reply.ret > 0
            ihl = (reply.data[0] & 0xF) * 4
            if reply.data[ihl] == 0:  # echo reply
                return bytes(reply.data)
    finally:
        proc.exit()


async def test_arp_ping_and_udp_across_the_link(lab: Lab) -> None:
    assert lab.ea.carrier and lab.eb.carrier and lab.dialer.state == "up"
    reply = await ping(lab.a, "10.1.0.2")
    assert reply[12:16] == ip_aton("10.1.0.2").to_bytes(4, "big") and reply.endswith(b"across the link")
    assert lab.b.netns.mib["Icmp"]["InEchos"] == 1
    pb, pa = lab.b.spawn(), lab.a.spawn()
    rx = (await call(pb, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)).ret
    assert (await call(pb, "bind", fd=rx, addr=sin("0.0.0.0", 5000))).ret == 0
    tx = (await call(pa, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)).ret
    for i in range(20):
        assert (await call(pa, "sendto", fd=tx, data=b"datagram %d" % i, flags=0, addr=sin("10.1.0.2", 5000))).ret > 0
    got = [(await call(pb, "recvfrom", fd=rx, size=100, flags=0)).data for _ in range(20)]
    assert got == [b"datagram %d" % i for i in range(20)]
    s = lab.dialer.stats
    assert s.frames_out >= 22 and s.frames_in >= 2 and s.drops == 0 and s.connects == 1
    assert lab.servicer.stats["b:eth1"].frames_in == s.frames_out
    pa.exit()
    pb.exit()


async def test_acceptor_restart_carrier_down_then_reconnect(lab: Lab) -> None:
    await ping(lab.a, "10.1.0.2")
    port = lab.db.port
    await lab.db.stop(grace=None)
    await until(lambda: not lab.ea.carrier, "a's NIC lost its carrier")
    assert not lab.eb.carrier and lab.dialer.state in ("down", "connecting")
    xmit_drops = lab.ea.stats.tx_dropped
    proc = lab.a.spawn()
    fd = (await call(proc, "socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)).ret
    await call(proc, "sendto", fd=fd, data=b"into the void", flags=0, addr=sin("10.1.0.2", 9))
    assert lab.ea.stats.tx_dropped > xmit_drops  # no carrier: dropped by the device layer
    proc.exit()
    # the daemon comes back on the same port, a fresh host (a restarted process)
    b2, eb2 = host_with_nic("b", "10.1.0.2", ("a", "eth1"))
    lab.db, lab.servicer = await start_daemon(b2, f"127.0.0.1:{port}")
    lab.b, lab.eb = b2, eb2
    await lab.dialer.wait_up(WAIT)
    assert lab.ea.carrier and eb2.carrier and lab.dialer.stats.reconnects == 1
    reply = await ping(lab.a, "10.1.0.2", seq=2)
    assert reply.endswith(b"across the link") and b2.netns.mib["Icmp"]["InEchos"] == 1


async def test_dialer_restart_replaces_the_stale_stream(lab: Lab) -> None:
    await lab.dialer.stop()
    await until(lambda: not lab.eb.carrier, "b's NIC lost its carrier when the dialer went")
    d2 = LinkDialer(lab.a, "eth1", f"127.0.0.1:{lab.db.port}", "b", "eth1", "lab1", **FAST)  # type: ignore[arg-type]
    d2.start()
    try:
        await d2.wait_up(WAIT)
        await until(lambda: lab.eb.carrier, "b's NIC has carrier again")
        await ping(lab.a, "10.1.0.2")
    finally:
        await d2.stop()


@pytest.mark.parametrize("change,code,message", [
    (dict(lab="other"), "FAILED_PRECONDITION", "lab mismatch: this daemon is in lab 'lab1', the dialer in 'other'"),
    (dict(from_host="c"), "FAILED_PRECONDITION", "b:eth1 is wired to a:eth1, not c:eth1"),
    (dict(mtu=9000), "INVALID_ARGUMENT", "MTU mismatch: a:eth1 has 9000, b:eth1 has 1500"),
])
async def test_hello_mismatch_fails_with_a_clear_error(change: dict[str, Any], code: str, message: str) -> None:
    b, _ = host_with_nic("b", "10.1.0.2", ("a", "eth1"))
    db, _ = await start_daemon(b)
    a, _ = host_with_nic("a", "10.1.0.1", None, mtu=change.get("mtu", 1500))
    dialer = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "b", "eth1", change.get("lab", "lab1"),
                        from_host=change.get("from_host"), **FAST)  # type: ignore[arg-type]
    dialer.start()
    try:
        with pytest.raises(LinkError, match=message):
            await dialer.wait_up(WAIT)
        assert dialer.state == "failed" and dialer.last_error == f"{code}: {message}"
    finally:
        await dialer.stop()
        await db.stop(grace=None)


async def test_missing_nic_keeps_retrying_until_it_exists() -> None:
    b = Host(name="b")
    db, _ = await start_daemon(b)
    a, _ = host_with_nic("a", "10.1.0.1", None)
    dialer = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "b", "eth1", "lab1", **FAST)  # type: ignore[arg-type]
    dialer.start()
    try:
        await until(lambda: "no NIC 'eth1' on host 'b'" in dialer.last_error, "a NOT_FOUND hello")
        assert dialer.state in ("connecting", "down") and dialer.last_error.startswith("NOT_FOUND")
        other = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "nobody", "eth1", "lab1", **FAST)  # type: ignore[arg-type]
        other.start()
        await until(lambda: "no host 'nobody' in this daemon" in other.last_error, "unknown host")
        await other.stop()
        peerlink_newlink(b, "eth1")
        await dialer.wait_up(WAIT)
    finally:
        await dialer.stop()
        await db.stop(grace=None)
    with pytest.raises(ValueError, match="not a peer-link NIC"):
        LinkDialer(a, "lo", "127.0.0.1:1", "b", "eth1")


def _flood_frame(dev: NetDevice, i: int) -> Any:
    frame = b"\xff" * 6 + dev.dev_addr + b"\x88\xb5" + i.to_bytes(4, "big") + bytes(1000)
    skb = alloc_skb(len(frame))
    skb.put_data(frame)
    skb.dev = dev
    return skb


async def test_flooding_sender_drops_and_counts_with_flat_memory() -> None:
    a, ea = host_with_nic("a", "10.1.0.1", None)
    b, eb = host_with_nic("b", "10.1.0.2", ("a", "eth1"))
    db, servicer = await start_daemon(b)
    dialer = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "b", "eth1", "lab1", queue_len=64,
                        **FAST)  # type: ignore[arg-type]
    dialer.start()
    try:
        await dialer.wait_up(WAIT)
        sent = 0
        tracemalloc.start()
        try:
            for _burst in range(40):
                for _ in range(1000):  # the stack sends far faster than the link can carry
                    dev_queue_xmit(_flood_frame(ea, sent))
                    sent += 1
                assert dialer.stats.drops > 0 and len(ea.priv.send.__self__.queue._queue) <= 64
                await asyncio.sleep(0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 8 * 1024 * 1024  # 40,000 frames of 1 KB went by; at most 64 ever waited
        s = dialer.stats
        assert s.drops == ea.stats.tx_dropped == ea.stats.tx_fifo_errors and s.drops > 30_000
        await until(lambda: s.frames_out == ea.stats.tx_packets, "the queue drains")
        assert s.frames_out + s.drops == sent
        await until(lambda: servicer.stats["b:eth1"].frames_in == s.frames_out, "b got every frame sent")
        assert eb.stats.rx_packets == s.frames_out
    finally:
        await dialer.stop()
        await db.stop(grace=None)


# --- TLS ----------------------------------------------------------------------------------


def _pki(d: Path) -> dict[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime.now(datetime.UTC)

    def cert(subject: str, key: Any, issuer_key: Any, *, ca: bool = False, server: bool = False) -> bytes:
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name("link CA"))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if server:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return b.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def pem_key(key: Any) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_key, srv_key, cli_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    files = {"ca": cert("link CA", ca_key, ca_key, ca=True), "srv": cert("b", srv_key, ca_key, server=True),
             "srv_key": pem_key(srv_key), "cli": cert("a", cli_key, ca_key), "cli_key": pem_key(cli_key)}
    out = {}
    for k, v in files.items():
        (d / k).write_bytes(v)
        out[k] = str(d / k)
    return out


@pytest.mark.parametrize("mutual", [False, True])
async def test_tls_and_mtls_links(tmp_path: Path, mutual: bool) -> None:
    pki = _pki(tmp_path)
    creds = server_credentials(pki["srv"], pki["srv_key"], pki["ca"] if mutual else None)
    a, _ = host_with_nic("a", "10.1.0.1", None)
    b, _ = host_with_nic("b", "10.1.0.2", ("a", "eth1"))
    db, _ = await start_daemon(b, credentials=creds)
    dialers = []
    try:
        if mutual:  # without a client certificate the handshake fails: the dialer keeps trying
            bare = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "b", "eth1", "lab1",
                              channel_credentials=link_channel_credentials(pki["ca"]), **FAST)  # type: ignore[arg-type]
            dialers.append(bare)
            bare.start()
            with pytest.raises(LinkError, match="not up after"):
                await bare.wait_up(1.0)
            await bare.stop()
        tls = link_channel_credentials(pki["ca"], pki["cli"], pki["cli_key"]) if mutual else \
            link_channel_credentials(pki["ca"])
        dialer = LinkDialer(a, "eth1", f"127.0.0.1:{db.port}", "b", "eth1", "lab1", channel_credentials=tls,
                            **FAST)  # type: ignore[arg-type]
        dialers.append(dialer)
        dialer.start()
        await dialer.wait_up(WAIT)
        assert (await ping(a, "10.1.0.2")).endswith(b"across the link")
    finally:
        for d in dialers:
            await d.stop()
        await db.stop(grace=None)
    with pytest.raises(ValueError, match="both cert and key"):
        link_channel_credentials(pki["ca"], pki["cli"])


async def test_netem_on_both_ends_of_a_daemon_link(lab: Lab) -> None:
    """30 ms netem delay each way on the linked NICs (real clock): the ping RTT is about 60 ms."""
    from kernel.net.sched import qdisc_attach
    from kernel.net.sched.sch_netem import NetemQdisc, parse_netem_args

    await ping(lab.a, "10.1.0.2")  # ARP resolved before timing
    for host, dev in ((lab.a, lab.ea), (lab.b, lab.eb)):
        qdisc_attach(dev, NetemQdisc(host.clock, host.rng, parse_netem_args(["delay", "30ms"])))
    loop = asyncio.get_running_loop()
    rtts = []
    for seq in range(2, 7):
        t0 = loop.time()
        await ping(lab.a, "10.1.0.2", seq=seq)
        rtts.append(loop.time() - t0)
    rtts.sort()
    assert 0.060 <= rtts[2] < 0.090, rtts  # the median; a loaded machine adds a little
