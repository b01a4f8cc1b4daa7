"""Capture file formats: classic pcap and pcapng, as pure encoders (bytes out, no I/O).

pcap (the libpcap format, draft-ietf-opsawg-pcap): ``pcap_file_header(snaplen,
linktype)`` is the 24-byte global header (magic 0xa1b2c3d4 = microsecond
timestamps, version 2.4, little-endian as written on x86), and
``pcap_record(ts, data, orig_len)`` one record header (seconds, microseconds,
captured length, original length) + the captured bytes.

pcapng (draft-ietf-opsawg-pcapng): ``pcapng_shb()`` is the Section Header
Block (byte-order magic 0x1A2B3C4D, version 1.0, section length -1, option
shb_userappl), ``pcapng_idb(linktype, snaplen, if_name)`` an Interface
Description Block (options if_name and if_tsresol = 6: microseconds; an
interface's id is the order of its IDB in the section, from 0), and
``pcapng_epb(if_id, ts, data, orig_len, flags)`` an Enhanced Packet Block
with the epb_flags option (``epb_flags(outgoing, pkt_type)``: direction bits
0-1 = 01 inbound / 10 outbound, reception type bits 2-4 = unicast,
multicast, broadcast or promiscuous).  Every block is padded to 32 bits and
carries its total length at both ends; options end with opt_endofopt.

Timestamps are float seconds (what ``net.clock.now()`` gives), rounded to
microseconds.  LINKTYPE_ETHERNET (1) is the link type of every NIC here
(loopback included: it carries zero-address Ethernet headers, as Linux's lo).
"""
from __future__ import annotations

import struct

from kernel.net.core.skbuff import PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST

LINKTYPE_ETHERNET = 1
DEFAULT_SNAPLEN = 262144

PCAP_MAGIC_USEC = 0xA1B2C3D4
PCAP_VERSION = (2, 4)

# pcapng block types and option codes
BT_SHB = 0x0A0D0D0A
BT_IDB = 0x00000001
BT_EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_ENDOFOPT = 0
OPT_COMMENT = 1
SHB_HARDWARE = 2
SHB_OS = 3
SHB_USERAPPL = 4
IF_NAME = 2
IF_DESCRIPTION = 3
IF_TSRESOL = 9
EPB_FLAGS = 2

# epb_flags (draft-ietf-opsawg-pcapng, "Enhanced Packet Block Flags Word")
EPB_DIR_UNKNOWN = 0
EPB_DIR_INBOUND = 1
EPB_DIR_OUTBOUND = 2
EPB_RX_UNSPEC = 0
EPB_RX_UNICAST = 1
EPB_RX_MULTICAST = 2
EPB_RX_BROADCAST = 3
EPB_RX_PROMISCUOUS = 4

_PKT_TYPE_RX = {
    PACKET_HOST: EPB_RX_UNICAST,
    PACKET_MULTICAST: EPB_RX_MULTICAST,
    PACKET_BROADCAST: EPB_RX_BROADCAST,
    PACKET_OTHERHOST: EPB_RX_PROMISCUOUS,
}

_PCAP_HDR = struct.Struct("<IHHiIII")
_PCAP_REC = struct.Struct("<IIII")
_BLOCK_HEAD = struct.Struct("<II")
_U32 = struct.Struct("<I")


def _usec(ts: float) -> int:
    return max(0, round(ts * 1_000_000))


def _pad4(n: int) -> int:
    return (4 - n % 4) % 4


# --- pcap -------------------------------------------------------------------

def pcap_file_header(snaplen: int = DEFAULT_SNAPLEN, linktype: int = LINKTYPE_ETHERNET) -> bytes:
    """The pcap global header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type."""
    return _PCAP_HDR.pack(PCAP_MAGIC_USEC, *PCAP_VERSION, 0, 0, snaplen, linktype)


def pcap_record(ts: float, data: bytes, orig_len: int | None = None) -> bytes:
    """One packet record: ts_sec, ts_usec, incl_len, orig_len, then the captured bytes."""
    us = _usec(ts)
    return _PCAP_REC.pack(us // 1_000_000, us % 1_000_000, len(data),
                          len(data) if orig_len is None else orig_len) + data


# --- pcapng -----------------------------------------------------------------

def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + bytes(_pad4(len(value)))


def _options(opts: list[tuple[int, bytes]]) -> bytes:
    if not opts:
        return b""
    return b"".join(_option(c, v) for c, v in opts) + _option(OPT_ENDOFOPT, b"")


def _block(block_type: int, body: bytes) -> bytes:
    body += bytes(_pad4(len(body)))
    total = 12 + len(body)
    return _BLOCK_HEAD.pack(block_type, total) + body + _U32.pack(total)


def pcapng_shb(userappl: str = "socketlab", os_name: str | None = None) -> bytes:
    """Section Header Block: byte-order magic, version 1.0, unknown section length, shb_userappl."""
    opts = [(SHB_USERAPPL, userappl.encode())]
    if os_name:
        opts.append((SHB_OS, os_name.encode()))
    body = struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + _options(opts)
    return _block(BT_SHB, body)


def pcapng_idb(linktype: int = LINKTYPE_ETHERNET, snaplen: int = DEFAULT_SNAPLEN, if_name: str | None = None,
               if_description: str | None = None) -> bytes:
    """Interface Description Block: link type, snaplen, if_name, if_description, if_tsresol=6 (microseconds)."""
    opts: list[tuple[int, bytes]] = []
    if if_name:
        opts.append((IF_NAME, if_name.encode()))
    if if_description:
        opts.append((IF_DESCRIPTION, if_description.encode()))
    opts.append((IF_TSRESOL, bytes([6])))
    body = struct.pack("<HHI", linktype, 0, snaplen) + _options(opts)
    return _block(BT_IDB, body)


def epb_flags(outgoing: bool, pkt_type: int = PACKET_HOST) -> int:
    """The epb_flags word: direction, and for a received frame its reception type (from skb->pkt_type)."""
    if outgoing:
        return EPB_DIR_OUTBOUND
    return EPB_DIR_INBOUND | (_PKT_TYPE_RX.get(pkt_type, EPB_RX_UNSPEC) << 2)


def pcapng_epb(if_id: int, ts: float, data: bytes, orig_len: int | None = None, flags: int | None = None) -> bytes:
    """Enhanced Packet Block: interface id, 64-bit microsecond timestamp, lengths, data, epb_flags."""
    us = _usec(ts)
    head = struct.pack("<IIIII", if_id, us >> 32, us & 0xFFFFFFFF, len(data),
                       len(data) if orig_len is None else orig_len)
    opts = _options([(EPB_FLAGS, _U32.pack(flags))] if flags is not None else [])
    return _block(BT_EPB, head + data + bytes(_pad4(len(data))) + opts)
