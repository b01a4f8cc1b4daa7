"""tshark reads our captures: no malformed frame, no checksum error, direction and interface names intact.

Skipped when tshark is not installed (.ci/run installs it).  Checksum
validation is switched on for IPv4, UDP, TCP and ICMP; a frame with a
deliberately broken UDP checksum proves the check would catch one.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kernel.clock import ManualClock
from kernel.drivers.net.channel import channel_dev
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.core.capture import start_capture
from kernel.net.sched import DelayQdisc, qdisc_attach

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


def _traffic(clock: ManualClock, hosts: tuple[Host, Host], frames: Any, xmit: Any) -> tuple[Any, Any, Any]:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    ch = channel_dev(a.netns, "eth1")
    qdisc_attach(eb, DelayQdisc(clock, 0.002))
    return ea, eb, ch


def _send_all(clock: ManualClock, ea: Any, eb: Any, ch: Any, frames: Any, xmit: Any) -> int:
    sent = [
        (ea, frames.arp_request(ea.dev_addr, "10.0.0.1", "10.0.0.2")),
        (ea, frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 40000, 40001, b"hello")),
        (eb, frames.udp(eb.dev_addr, ea.dev_addr, "10.0.0.2", "10.0.0.1", 40001, 40000, bytes(range(256)) * 5)),
        (ea, frames.icmp_echo(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 0x1234, 1, b"abcdefgh" * 7)),
        (eb, frames.icmp_echo(eb.dev_addr, ea.dev_addr, "10.0.0.2", "10.0.0.1", 0x1234, 1, b"abcdefgh" * 7,
                              reply=True)),
        (ea, frames.udp(ea.dev_addr, b"\xff" * 6, "10.0.0.1", "10.0.0.255", 40002, 40003, b"")),
        (ch, frames.udp(ch.dev_addr, b"\x02" * 6, "192.0.2.1", "192.0.2.9", 40004, 40005, b"x" * 1472)),
    ]
    for dev, f in sent:
        xmit(dev, f)
        clock.advance(0.001)
    ch.inject(frames.udp(b"\x02" * 6, ch.dev_addr, "192.0.2.9", "192.0.2.1", 40005, 40004, b"in"))
    clock.advance(0.01)  # the delay qdisc on eb lets its frames go
    return len(sent) + 1


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_tshark_decodes_every_frame_clean(tshark: Any, tmp_path: Path, fmt: str, clock: ManualClock, hosts: tuple[Host, Host],
                                          frames: Any, xmit: Any) -> None:
    ea, eb, ch = _traffic(clock, hosts, frames, xmit)
    files = {dev: tmp_path / f"{dev.net.host.name}-{dev.name}.{fmt}" for dev in (ea, eb, ch)}
    caps = [start_capture(dev, str(path), fmt=fmt) for dev, path in files.items()]
    merged = tmp_path / f"all.{fmt}"
    caps.append(start_capture([ea, eb, ch], str(merged), fmt=fmt))
    _send_all(clock, ea, eb, ch, frames, xmit)
    for c in caps:
        c.stop()
    counts = {}
    for dev, path in files.items():
        rows = tshark.fields(path)
        assert tshark.problems(rows) == [], path.name
        counts[dev.name if dev is not eb else "b-eth0"] = len(rows)
    # veth: every frame once at each end (6 crossed the cable); channel: one out, one in
    assert counts == {"eth0": 6, "b-eth0": 6, "eth1": 2}
    rows = tshark.fields(merged)
    assert tshark.problems(rows) == [] and len(rows) == 14
    protos = {r["_ws.col.Protocol"] for r in rows}
    assert {"ARP", "UDP", "ICMP"} <= protos
    if fmt == "pcapng":
        assert {r["frame.interface_name"] for r in rows} == {"eth0", "eth1"}
        assert {int(r["frame.packet_flags_direction"], 16) for r in rows} == {1, 2}


def test_tshark_flags_a_bad_checksum(tshark: Any, tmp_path: Path, hosts: tuple[Host, Host], frames: Any, xmit: Any) -> None:
    """The negative control: the same check sees a broken UDP checksum."""
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    path = tmp_path / "bad.pcap"
    cap = start_capture(ea, str(path))
    good = frames.udp(ea.dev_addr, eb.dev_addr, "10.0.0.1", "10.0.0.2", 40000, 40001, b"hello")
    bad = bytearray(good)
    bad[14 + 20 + 6] ^= 0xFF
    xmit(ea, good)
    xmit(ea, bytes(bad))
    cap.stop()
    found = tshark.problems(tshark.fields(path))
    assert len(found) == 1 and found[0].startswith("frame 2:") and "checksum" in found[0].lower()
