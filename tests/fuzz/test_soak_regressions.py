"""Minimised findings of the soak fuzzer (tests/fuzz/soak.py), one test each.

Each was an INTERNAL reply (a Python exception inside the daemon) or a hang;
the expectations are Linux's, checked on the host kernel where it matters.
"""
from __future__ import annotations

import struct

import client


def test_raw_socket_protocol_above_255_sends() -> None:
    """socket(AF_INET, SOCK_RAW, 258) is valid (protocol < IPPROTO_MAX = 263) and its datagrams
    carry iph->protocol = 258 & 0xFF = 2, as Linux 6.x (where sk_protocol is truncated into the
    u8 header field).  Soak seed 2: struct.error in ip_build_xmit -> INTERNAL."""
    net = client.local()
    try:
        sender = net.socket(net.AF_INET, net.SOCK_RAW, 258)
        igmp = net.socket(net.AF_INET, net.SOCK_RAW, 2)
        igmp.settimeout(1.0)
        assert sender.sendto(b"hello", ("127.0.0.1", 0)) == 5
        packet = igmp.recv(100)
        assert packet[9] == 2
        assert packet[20:] == b"hello"
        assert struct.unpack_from(">H", packet, 2)[0] == 25  # tot_len
    finally:
        net.close()
