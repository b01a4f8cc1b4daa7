"""Packet capture: pcap / pcapng encoders, Capture sinks, exactly-once taps, read back by scapy."""
from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import PcapNgReader, rdpcap

from kernel.clock import ManualClock
from kernel.drivers.net.channel import channel_dev
from kernel.drivers.net.sniffer import sniffer_attach, summary
from kernel.drivers.net.veth import veth_dellink, veth_pair
from kernel.host import Host
from kernel.net.core.capture import start_capture
from kernel.net.core.dev import dev_close
from kernel.net.core.pcap import (
    BT_EPB,
    BT_IDB,
    BT_SHB,
    EPB_DIR_INBOUND,
    EPB_DIR_OUTBOUND,
    EPB_RX_BROADCAST,
    EPB_RX_MULTICAST,
    EPB_RX_PROMISCUOUS,
    EPB_RX_UNICAST,
    epb_flags,
    pcap_file_header,
    pcap_record,
    pcapng_epb,
)
from kernel.net.core.skbuff import PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST


def _pair(hosts: tuple[Host, Host]) -> tuple[Any, Any]:
    a, b = hosts
    return veth_pair(a.netns, "eth0", b.netns, "eth0")


def _blocks(data: bytes) -> list[tuple[int, bytes]]:
    """Walk a pcapng section: every block's two length fields agree and are 32-bit aligned."""
    out, off = [], 0
    while off < len(data):
        btype, total = struct.unpack_from("<II", data, off)
        assert total % 4 == 0 and total >= 12 and off + total <= len(data)
        assert struct.unpack_from("<I", data, off + total - 4)[0] == total
        out.append((btype, data[off + 8:off + total - 4]))
        off += total
    return out


def _options(body: bytes) -> dict[int, bytes]:
    opts, off = {}, 0
    while off + 4 <= len(body):
        code, length = struct.unpack_from("<HH", body, off)
        if code == 0:
            break
        opts[code] = body[off + 4:off + 4 + length]
        off += 4 + length + (-length % 4)
    return opts


def _epb_id_and_flags(body: bytes) -> tuple[int, int]:
    if_id, _, _, caplen, _ = struct.unpack_from("<IIIII", body)
    opts = _options(body[20 + caplen + (-caplen % 4):])
    return if_id, struct.unpack("<I", opts[2])[0]


# --- encoders -----------------------------------------------------------------

def test_pcap_header_and_record_layout() -> None:
    assert pcap_file_header(65535) == struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    rec = pcap_record(1000.25, b"abc", 60)
    assert rec == struct.pack("<IIII", 1000, 250000, 3, 60) + b"abc"
    assert pcap_record(1.0000004, b"")[:8] == struct.pack("<II", 1, 0)
    assert pcap_record(1.9999996, b"")[:8] == struct.pack("<II", 2, 0)  # rounded to the microsecond


def test_epb_flags_words() -> None:
    assert epb_flags(True) == EPB_DIR_OUTBOUND
    assert epb_flags(False, PACKET_HOST) == EPB_DIR_INBOUND | EPB_RX_UNICAST << 2
    assert epb_flags(False, PACKET_BROADCAST) == EPB_DIR_INBOUND | EPB_RX_BROADCAST << 2
    assert epb_flags(False, PACKET_MULTICAST) == EPB_DIR_INBOUND | EPB_RX_MULTICAST << 2
    assert epb_flags(False, PACKET_OTHERHOST) == EPB_DIR_INBOUND | EPB_RX_PROMISCUOUS << 2
    (btype, body), = _blocks(pcapng_epb(3, 2**33 / 1e6, b"\x01\x02\x03", 9, epb_flags(True)))
    assert btype == BT_EPB
    assert struct.unpack_from("<IIIII", body) == (3, 2, 0, 3, 9)
    assert body[20:24] == b"\x01\x02\x03\x00"
    assert _options(body[24:]) == {2: struct.pack("<I", EPB_DIR_OUTBOUND)}


# --- captures ------------------------------------------------------------------

def test_pcap_capture_of_a_veth_read_back_by_scapy(clock: ManualClock, hosts: tuple[Host, Host], frames: Any,
                                                   xmit: Any) -> None:
    ea, eb = _pair(hosts)
    cap = start_capture(ea)
    t0 = clock.now()
    out = frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 40000, 40001, b"ping")
    back = frames.udp(eb.dev_addr, ea.dev_addr, "10.0.0.2", "10.0.0.1", 40001, 40000, b"pong" * 100)
    xmit(ea, out)
    clock.advance(0.001234)
    xmit(eb, back)
    cap.stop()
    assert cap.packets == 2 and cap.bytes == len(out) + len(back)
    pkts = rdpcap(io.BytesIO(cap.getvalue()))
    assert [bytes(p) for p in pkts] == [out, back]
    assert float(pkts[0].time) == pytest.approx(t0, abs=1e-6)
    assert float(pkts[1].time) == pytest.approx(t0 + 0.001234, abs=1e-6)
    for p in pkts:
        ip_sum, udp_sum = p[IP].chksum, p[UDP].chksum
        rebuilt = Ether(bytes(p))
        del rebuilt[IP].chksum, rebuilt[UDP].chksum
        rebuilt = Ether(bytes(rebuilt))
        assert (rebuilt[IP].chksum, rebuilt[UDP].chksum) == (ip_sum, udp_sum)
    assert pkts[1][UDP].load == b"pong" * 100


def test_pcapng_of_two_nics_marks_direction_once_per_nic(clock: ManualClock, hosts: tuple[Host, Host],
                                                         frames: Any, xmit: Any) -> None:
    ea, eb = _pair(hosts)
    cap = start_capture([ea, eb, ea], fmt="pcapng")  # a NIC named twice is captured once
    f1 = frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 1, 2, b"x")
    f2 = frames.udp(eb.dev_addr, b"\xff" * 6, "10.0.0.2", "10.0.0.255", 3, 4, b"y")
    xmit(ea, f1)
    clock.advance(1)
    xmit(eb, f2)
    cap.stop()
    data = cap.getvalue()
    blocks = _blocks(data)
    assert [t for t, _ in blocks] == [BT_SHB, BT_IDB, BT_IDB, BT_EPB, BT_EPB, BT_EPB, BT_EPB]
    shb = blocks[0][1]
    assert struct.unpack_from("<IHHq", shb) == (0x1A2B3C4D, 1, 0, -1)
    assert _options(shb[16:])[4] == b"socketlab"
    idb_opts = [_options(body[8:]) for t, body in blocks if t == BT_IDB]
    assert [o[2] for o in idb_opts] == [b"eth0", b"eth0"]
    assert idb_opts[0][3].startswith(b"a/eth0") and idb_opts[1][3].startswith(b"b/eth0")
    assert all(o[9] == b"\x06" for o in idb_opts)
    epbs = [_epb_id_and_flags(body) for t, body in blocks if t == BT_EPB]
    assert epbs == [(0, EPB_DIR_OUTBOUND), (1, EPB_DIR_INBOUND | EPB_RX_UNICAST << 2),
                    (1, EPB_DIR_OUTBOUND), (0, EPB_DIR_INBOUND | EPB_RX_BROADCAST << 2)]
    with PcapNgReader(io.BytesIO(data)) as reader:
        pkts = list(reader)
    assert [bytes(p) for p in pkts] == [f1, f1, f2, f2]
    assert [p.direction for p in pkts] == [2, 1, 2, 1]
    assert [p.sniffed_on for p in pkts] == ["eth0"] * 4
    assert float(pkts[2].time) - float(pkts[0].time) == pytest.approx(1.0, abs=1e-6)


def test_loopback_frames_are_captured_once(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    a, _ = hosts
    lo = a.netns.loopback_dev
    cap = start_capture(lo, fmt="pcapng")
    f = frames.raw(bytes(6), bytes(6), b"loop" * 12)  # not IPv4: no ICMP port unreachable comes back
    xmit(lo, f)
    cap.stop()
    with PcapNgReader(io.BytesIO(cap.getvalue())) as reader:
        pkts = list(reader)
    assert [bytes(p) for p in pkts] == [f] and pkts[0].direction == 1


def test_frames_dropped_for_want_of_carrier_are_not_captured(hosts: tuple[Host, Host], frames: Any,
                                                             xmit: Any) -> None:
    ea, eb = _pair(hosts)
    cap = start_capture([ea, eb])
    dev_close(eb)
    xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))
    cap.stop()
    assert cap.packets == 0 and ea.stats.tx_dropped == 1


def test_unregistering_the_nic_ends_its_capture(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    ea, eb = _pair(hosts)
    cap = start_capture([ea, eb])
    assert cap.active
    veth_dellink(ea)
    assert not cap.active
    cap.stop()


def test_snaplen_truncates_and_keeps_the_wire_length(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    ea, eb = _pair(hosts)
    cap = start_capture(eb, snaplen=64)
    f = frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 1, 2, bytes(500))
    xmit(ea, f)
    cap.stop()
    data = cap.getvalue()
    assert struct.unpack_from("<I", data, 16)[0] == 64
    assert struct.unpack_from("<II", data, 24 + 8) == (64, len(f))
    (p,) = rdpcap(io.BytesIO(data))
    assert bytes(p) == f[:64] and p.wirelen == len(f)


def test_sinks_file_callable_filelike_memory_agree(tmp_path: Path, clock: ManualClock, hosts: tuple[Host, Host],
                                                   frames: Any, xmit: Any) -> None:
    ea, eb = _pair(hosts)
    path = tmp_path / "eth0.pcapng"
    chunks: list[bytes] = []
    buf = io.BytesIO()
    caps = [start_capture(ea, str(path), fmt="pcapng"), start_capture(ea, chunks.append, fmt="pcapng"),
            start_capture(ea, buf, fmt="pcapng"), start_capture(ea, fmt="pcapng")]
    assert len(chunks) == 1  # the header comes at once: a stream is a valid (empty) capture from the start
    assert path.read_bytes() == chunks[0]  # flushed
    for i in range(3):
        xmit(ea, frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 7, 9, bytes([i]) * i))
        clock.advance(0.1)
    assert len(chunks) == 4 and path.read_bytes() == b"".join(chunks)  # each frame is one chunk, flushed
    for c in caps:
        c.stop()
        c.stop()  # idempotent
    xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))  # after stop: nothing more
    assert not caps[0].active
    assert path.read_bytes() == b"".join(chunks) == buf.getvalue() == caps[3].getvalue()
    assert not buf.closed  # the caller's file stays open
    with pytest.raises(ValueError):
        caps[0].getvalue()
    with PcapNgReader(str(path)) as reader:
        assert len(list(reader)) == 3


def test_ts_offset_and_bad_arguments(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    ea, eb = _pair(hosts)
    cap = start_capture(ea, ts_offset=1_700_000_000.0)
    xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))
    (p,) = rdpcap(io.BytesIO(cap.getvalue()))
    assert float(p.time) == pytest.approx(1_700_000_000.0 + ea.net.clock.now(), abs=1e-6)
    with pytest.raises(ValueError):
        start_capture(ea, fmt="erf")
    with pytest.raises(ValueError):
        start_capture([])
    with pytest.raises(TypeError):
        start_capture(ea, 42)  # type: ignore[arg-type]


def test_capture_of_a_channel_sees_injected_and_transmitted_frames(hosts: tuple[Host, Host], frames: Any,
                                                                   xmit: Any) -> None:
    a, _ = hosts
    ch = channel_dev(a.netns, "eth1")
    cap = start_capture(ch, fmt="pcapng")
    inbound = frames.arp_request(b"\x02\x00\x00\x00\x00\x07", "10.0.0.7", "10.0.0.1")
    ch.inject(inbound)
    outbound = frames.icmp_echo(ch.dev_addr, b"\x02\x00\x00\x00\x00\x07", "10.0.0.1", "10.0.0.7", 1, 1, b"abc")
    xmit(ch, outbound)
    cap.stop()
    with PcapNgReader(io.BytesIO(cap.getvalue())) as reader:
        pkts = list(reader)
    got = [(bytes(p), p.direction) for p in pkts]
    assert (inbound, 1) in got and (outbound, 2) in got


# --- sniffer -------------------------------------------------------------------

def test_sniffer_fans_out_both_directions_with_summaries(hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    ea, eb = _pair(hosts)
    seen: list[Any] = []
    sn = sniffer_attach(ea, seen.append, keep=True)
    cap = sn.start_pcap(fmt="pcapng")
    xmit(ea, frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 5000, 53, b"q" * 12))
    xmit(eb, frames.icmp_echo(eb.dev_addr, ea.dev_addr, "10.0.0.2", "10.0.0.1", 7, 1, b"", reply=True))
    xmit(eb, frames.arp_request(eb.dev_addr, "10.0.0.2", "10.0.0.1"))
    xmit(eb, frames.raw(eb.dev_addr, ea.dev_addr, bytes(46)))
    assert seen == sn.frames and len(seen) == 4
    assert [f.outgoing for f in seen] == [True, False, False, False]
    assert sn.log() == [
        "eth0 out 10.0.0.1:5000 > 10.0.0.2:53 udp len 20",
        "eth0 in 10.0.0.2 > 10.0.0.1 icmp type 0 code 0 ttl 64",
        "eth0 in arp who-has 10.0.0.1 tell 10.0.0.2",
        f"eth0 in {':'.join(f'{x:02x}' for x in eb.dev_addr)} > {':'.join(f'{x:02x}' for x in ea.dev_addr)} "
        "ethertype 0x88b5 len 60",
    ]
    bad = type(seen[0])(0.0, ea, False, 0, frames.raw(eb.dev_addr, ea.dev_addr, b"\x45\x00", ethertype=0x0800))
    assert "malformed" in summary(bad)
    sn.remove_sink(seen.append)
    sn.clear()
    xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))
    assert len(seen) == 4 and len(sn.frames) == 1
    sn.detach()
    xmit(ea, frames.raw(ea.dev_addr, eb.dev_addr, bytes(46)))
    assert len(sn.frames) == 1 and not sn.attached and not cap.active and cap.packets == 5
