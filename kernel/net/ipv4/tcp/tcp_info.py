"""TCP_INFO: ``struct tcp_info`` bytes exactly as Linux 6.18 lays them out (include/uapi/linux/tcp.h).

``tcp_get_info(sk)`` fills the 280-byte struct from the socket and its
``TcpConn`` as net/ipv4/tcp.c's tcp_get_info does: a listener reports only
its state, the accept-queue length (tcpi_unacked) and backlog (tcpi_sacked),
cwnd, reordering and the pacing rates; a socket with no connection yet
reports tcp_init_sock's values (RTO 1 s, rttvar 250 ms, MSS 536, cwnd 10,
ssthresh infinite, min_rtt ~0) and, once tcp_disconnect has run, the fields it
keeps (``sk.tcp_kept``: MSS, route and window values, the unsent gap); a connection reports the core's fields
(times in microseconds, ``tcpi_last_*`` in milliseconds since the event).
The getsockopt caller truncates to its optlen.  Rates Linux samples per ACK
(delivery rate, busy/limited times) are 0; the pacing rate is computed from
srtt and cwnd as tcp_update_pacing_rate does.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from kernel.net.ipv4.tcp.segment import seq_sub
from kernel.net.ipv4.tcp.states import TCP_LISTEN

if TYPE_CHECKING:
    from kernel.net.ipv4.tcp.tcp_sock import TcpSock

__all__ = ["TCP_INFO_FMT", "TCP_INFO_FIELDS", "TCP_INFO_SIZE", "tcp_get_info", "tcp_info_unpack"]

TCP_INFO_FMT = "<8B24I4Q6I4Q2I2Q6I2H8I2H"
TCP_INFO_SIZE = struct.calcsize(TCP_INFO_FMT)  # 280 on Linux 6.18
TCP_INFO_FIELDS = tuple((
    "state ca_state retransmits probes backoff options wscale app_limited_fo_fail "
    "rto ato snd_mss rcv_mss unacked sacked lost retrans fackets "
    "last_data_sent last_ack_sent last_data_recv last_ack_recv "
    "pmtu rcv_ssthresh rtt rttvar snd_ssthresh snd_cwnd advmss reordering rcv_rtt rcv_space total_retrans "
    "pacing_rate max_pacing_rate bytes_acked bytes_received "
    "segs_out segs_in notsent_bytes min_rtt data_segs_in data_segs_out "
    "delivery_rate busy_time rwnd_limited sndbuf_limited delivered delivered_ce bytes_sent bytes_retrans "
    "dsack_dups reord_seen rcv_ooopack snd_wnd rcv_wnd rehash total_rto total_rto_recoveries total_rto_time "
    "received_ce delivered_e1_bytes delivered_e0_bytes delivered_ce_bytes received_e1_bytes received_e0_bytes "
    "received_ce_bytes accecn_fail_mode accecn_opt_seen").split())
assert len(TCP_INFO_FIELDS) == len(struct.Struct(TCP_INFO_FMT).unpack(bytes(TCP_INFO_SIZE)))

TCPI_OPT_TIMESTAMPS = 1
TCPI_OPT_SACK = 2
TCPI_OPT_WSCALE = 4
TCPI_OPT_ECN = 8
TCPI_OPT_ECN_SEEN = 16
TCPI_OPT_SYN_DATA = 32

U32 = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF
TCP_TIMEOUT_INIT_US = 1_000_000
TCP_DELACK_MAX_US = 200_000
TCP_PACING_SS_RATIO = 200
TCP_PACING_CA_RATIO = 120


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000)) & U32


def _jiffies_us(seconds: float) -> int:
    """jiffies_to_usecs at HZ=1000: whole milliseconds."""
    return (int(round(seconds * 1000)) * 1000) & U32


def tcp_info_unpack(raw: bytes) -> dict[str, int]:
    """The fields of a (possibly truncated) struct tcp_info, by name (tests, ss)."""
    full = raw.ljust(TCP_INFO_SIZE, b"\0")[:TCP_INFO_SIZE]
    return dict(zip(TCP_INFO_FIELDS, struct.unpack(TCP_INFO_FMT, full), strict=True))


def tcp_get_info(sk: TcpSock) -> bytes:
    """struct tcp_info for ``sk`` (all 280 bytes; the caller truncates)."""
    f = dict.fromkeys(TCP_INFO_FIELDS, 0)
    state = sk.sk_state
    p = sk.tcp_params
    f["state"] = state
    f["pacing_rate"] = U64_MAX
    f["max_pacing_rate"] = U64_MAX
    f["reordering"] = p.reordering
    f["snd_cwnd"] = 10
    tp = sk.tp
    if state == TCP_LISTEN:
        f["unacked"] = len(sk.icsk_accept_queue)
        f["sacked"] = sk.sk_max_ack_backlog
        return _pack(f)
    now = sk.host.clock.now()
    f["app_limited_fo_fail"] = 1  # tcpi_delivery_rate_app_limited
    if tp is None:  # tcp_init_sock's values, or what tcp_disconnect left (TcpKept)
        kept = sk.tcp_kept
        f["rto"] = TCP_TIMEOUT_INIT_US
        f["snd_mss"] = kept.mss_cache
        f["rcv_mss"] = kept.rcv_mss
        f["pmtu"] = kept.pmtu
        f["advmss"] = kept.advmss
        f["rcv_ssthresh"] = kept.rcv_ssthresh & U32
        f["rcv_wnd"] = kept.rcv_wnd & U32
        f["notsent_bytes"] = max(0, seq_sub(kept.write_seq, kept.snd_nxt))
        f["rttvar"] = TCP_TIMEOUT_INIT_US >> 2
        f["snd_ssthresh"] = 0x7FFFFFFF
        f["min_rtt"] = U32
        f["last_data_sent"] = f["last_data_recv"] = f["last_ack_recv"] = _ms(now)
        return _pack(f)
    f["reordering"] = tp.reordering
    f["snd_cwnd"] = tp.snd_cwnd & U32
    f["ca_state"] = tp.ca_state
    f["retransmits"] = tp.icsk_retransmits & 0xFF
    f["probes"] = tp.icsk_probes_out & 0xFF
    f["backoff"] = tp.icsk_backoff & 0xFF
    opts = 0
    if tp.tstamp_ok:
        opts |= TCPI_OPT_TIMESTAMPS
    if tp.sack_ok:
        opts |= TCPI_OPT_SACK
    if tp.wscale_ok:
        opts |= TCPI_OPT_WSCALE
        f["wscale"] = (tp.snd_wscale & 0xF) | ((tp.rcv_wscale & 0xF) << 4)
    ecn = int(getattr(tp, "ecn_flags", 0))
    if ecn & 1:
        opts |= TCPI_OPT_ECN
    if ecn & 2:
        opts |= TCPI_OPT_ECN_SEEN
    if getattr(tp, "syn_data_acked", False):
        opts |= TCPI_OPT_SYN_DATA
    f["options"] = opts
    f["rto"] = _jiffies_us(tp.rto)
    # icsk_ack.ato is 0 until the first data segment arrives (tcp_event_data_recv sets TCP_ATO_MIN)
    f["ato"] = min(_jiffies_us(tp.ack_ato), TCP_DELACK_MAX_US) if tp.data_segs_in else 0
    f["snd_mss"] = tp.mss_cache
    f["rcv_mss"] = tp.ack_rcv_mss
    f["unacked"] = tp.packets_out
    f["sacked"] = tp.sacked_out
    f["lost"] = tp.lost_out
    f["retrans"] = tp.retrans_out
    f["last_data_sent"] = _ms(now - tp.lsndtime)
    f["last_data_recv"] = _ms(now - tp.ack_lrcvtime)
    f["last_ack_recv"] = _ms(now - tp.rcv_tstamp)
    f["pmtu"] = tp.pmtu_cookie
    f["rcv_ssthresh"] = tp.rcv_ssthresh & U32
    f["rtt"] = tp.srtt_us >> 3
    f["rttvar"] = tp.mdev_us >> 2
    f["snd_ssthresh"] = tp.snd_ssthresh & U32
    f["advmss"] = tp.advmss
    f["rcv_rtt"] = tp.rcv_rtt_est_us >> 3
    f["rcv_space"] = tp.rcvq_space_space & U32
    f["total_retrans"] = tp.total_retrans & U32
    f["pacing_rate"] = _pacing_rate(tp)
    f["bytes_acked"] = tp.bytes_acked
    f["bytes_received"] = tp.bytes_received
    f["segs_out"] = tp.segs_out & U32
    f["segs_in"] = tp.segs_in & U32
    f["notsent_bytes"] = max(0, seq_sub(tp.write_seq, tp.snd_nxt))
    f["min_rtt"] = tp.rtt_min_us if tp.rtt_min_us else U32
    f["data_segs_in"] = tp.data_segs_in & U32
    f["data_segs_out"] = tp.data_segs_out & U32
    f["delivered"] = tp.delivered & U32
    f["bytes_sent"] = tp.bytes_sent
    f["bytes_retrans"] = tp.bytes_retrans
    f["dsack_dups"] = tp.dsack_dups & U32
    f["reord_seen"] = int(getattr(tp, "reord_seen", 0)) & U32
    f["rcv_ooopack"] = tp.rcv_ooopack & U32
    f["snd_wnd"] = tp.snd_wnd & U32
    f["rcv_wnd"] = tp.rcv_wnd & U32
    f["total_rto"] = int(getattr(tp, "total_rto", 0)) & 0xFFFF
    f["total_rto_recoveries"] = int(getattr(tp, "total_rto_recoveries", 0)) & 0xFFFF
    f["total_rto_time"] = int(getattr(tp, "total_rto_time", 0)) & U32
    return _pack(f)


def _pacing_rate(tp: object) -> int:
    """tcp_update_pacing_rate: mss * cwnd / srtt at 200 % in slow start, 120 % after; ~0 before an RTT sample."""
    srtt_us = int(getattr(tp, "srtt_us", 0))
    if not srtt_us:
        return U64_MAX
    mss = int(getattr(tp, "mss_cache", 536))
    cwnd = int(getattr(tp, "snd_cwnd", 10))
    ssthresh = int(getattr(tp, "snd_ssthresh", 0x7FFFFFFF))
    rate = mss * ((1_000_000 // 100) << 3)
    rate *= TCP_PACING_SS_RATIO if cwnd < ssthresh // 2 else TCP_PACING_CA_RATIO
    rate *= max(cwnd, int(getattr(tp, "packets_out", 0)))
    return min(rate // srtt_us, U64_MAX)


def _pack(f: dict[str, int]) -> bytes:
    return struct.pack(TCP_INFO_FMT, *(f[name] for name in TCP_INFO_FIELDS))
