"""The sans-IO TCP endpoint: ``TcpConn`` (Linux's struct tcp_sock + inet_connection_sock).

Segments and time in, segments and events out (RFC 9293; RFC 5961 for RST
and SYN checks; RFC 6298 RTO; RFC 7323 window scale and timestamps; RFC
2018/6675 SACK; RFC 6582 NewReno; RFC 9438 CUBIC; RFC 8985 RACK-TLP).  No
I/O, no clock, no randomness: every entry point takes ``now`` (seconds, a
float from the injected clock); the initial sequence number comes from the
caller.  After every call the owner drains:

- ``outbox``: ``TcpSegment``s to transmit, in order (the glue adds the IP
  header and routes them; tests inspect them);
- ``events``: ``TcpEvent``s (state changes, readable, writable, errors, urgent
  data) for the socket layer to wake sleepers with;
- ``next_timer()``: the earliest deadline, or None; the owner calls
  ``on_timer(now)`` when it passes (calling it early does nothing harmful).

Field names are Linux's (tcp_sock, inet_connection_sock, tcp_options_received)
so TCP_INFO, /proc/net/tcp and ss read them directly.  Sequence numbers are
32-bit ints (wrap with kernel.net.ipv4.tcp.segment.seq_add / before / after).
Times: ``*_us`` fields are microseconds (ints, as Linux keeps srtt_us);
deadlines and stamps are seconds (floats, ``now``'s units).

Who writes what (one owner per module):
- this module, tcp_input.py (receive path: tcp_rcv_state_process, data queue,
  out-of-order queue, FIN, RST/SYN per RFC 5961, urgent data, SACK blocks we
  advertise, delayed-ACK decisions, receive-buffer auto-tuning) and
  tcp_timer.py (delayed ACK, keepalive, FIN-WAIT-2, TIME-WAIT);
- tcp_output.py (segment building: tcp_transmit_skb with window, options,
  MSS; tcp_write_xmit with Nagle/cork/cwnd/rwnd; SYN, SYN-ACK, ACK, FIN,
  RST; zero-window probes), tcp_ack.py (tcp_ack: clean the retransmit queue,
  RTT/RTO, window update, SACK scoreboard, fast retransmit/recovery, undo),
  tcp_retrans.py (retransmission, probe and loss-probe timers, write timeouts),
  tcp_recovery.py (RACK), tcp_cong.py (+ reno), tcp_cubic.py.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernel.net.ipv4.tcp.segment import TcpSegment
from kernel.net.ipv4.tcp.states import (
    ABORT,
    TCP_CLOSE,
    TCP_CLOSE_WAIT,
    TCP_ESTABLISHED,
    TCP_SYN_RECV,
    TCP_SYN_SENT,
    TCP_TIME_WAIT,
    tcp_next_state,
)

if TYPE_CHECKING:
    from kernel.net.ipv4.tcp.tcp_cong import TcpCongestionOps

# --- constants (include/net/tcp.h), seconds where Linux has jiffies --------------------
TCP_TIMEWAIT_LEN = 60.0  # 2MSL as Linux fixes it
TCP_FIN_TIMEOUT = TCP_TIMEWAIT_LEN
TCP_RTO_MAX = 120.0
TCP_RTO_MIN = 0.2
TCP_TIMEOUT_INIT = 1.0  # RFC 6298 2.1
TCP_TIMEOUT_FALLBACK = 3.0  # RFC 1122 initial RTO when the SYN was retransmitted
TCP_DELACK_MAX = 0.2
TCP_DELACK_MIN = 0.04
TCP_ATO_MIN = 0.04
TCP_KEEPALIVE_TIME = 7200.0
TCP_KEEPALIVE_INTVL = 75.0
TCP_KEEPALIVE_PROBES = 9
TCP_MSS_DEFAULT = 536
TCP_MIN_MSS = 88
TCP_MAX_WSCALE = 14
TCP_INIT_CWND = 10
TCP_INFINITE_SSTHRESH = 0x7FFFFFFF
MAX_TCP_WINDOW = 32767
TCP_MAX_QUICKACKS = 16

# inet_csk pending timer kinds (icsk_pending)
ICSK_TIME_RETRANS = 1
ICSK_TIME_DACK = 2
ICSK_TIME_PROBE0 = 3
ICSK_TIME_LOSS_PROBE = 5
ICSK_TIME_REO_TIMEOUT = 6

# icsk_ca_state (enum tcp_ca_state)
TCP_CA_Open = 0
TCP_CA_Disorder = 1
TCP_CA_CWR = 2
TCP_CA_Recovery = 3
TCP_CA_Loss = 4

# icsk_ack.pending bits
ICSK_ACK_SCHED = 1
ICSK_ACK_TIMER = 2
ICSK_ACK_PUSHED = 4
ICSK_ACK_PUSHED2 = 8
ICSK_ACK_NOW = 16


@dataclass(frozen=True, slots=True)
class TcpEvent:
    """Something the socket layer must hear about.

    kinds: "state" (``old`` -> ``new``), "connected" (handshake done, either
    side), "readable" (data or FIN now readable), "writable" (send space freed),
    "urgent" (urgent data announced: SIGURG), "error" (``err`` = positive errno
    now in ``sk_err``: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH...),
    "closed" (reached CLOSE: the owner unhashes it), "timewait" (entered TIME-WAIT).
    """

    kind: str
    old: int = 0
    new: int = 0
    err: int = 0


@dataclass(slots=True)
class TcpParams:
    """What the core reads from sysctls and socket options (the socket layer keeps it current).

    Defaults are Linux 6.x's (net.ipv4.tcp_* and include/net/tcp.h)."""

    # sysctls
    syn_retries: int = 6
    synack_retries: int = 5
    retries1: int = 3
    retries2: int = 15
    orphan_retries: int = 0  # 0 means 8, as tcp_orphan_retries() reads it
    fin_timeout: float = 60.0
    keepalive_time: float = TCP_KEEPALIVE_TIME
    keepalive_intvl: float = TCP_KEEPALIVE_INTVL
    keepalive_probes: int = TCP_KEEPALIVE_PROBES
    timestamps: int = 1
    window_scaling: bool = True
    sack: bool = True
    dsack: bool = True
    rmem: tuple[int, int, int] = (4096, 131072, 33554432)
    wmem: tuple[int, int, int] = (4096, 16384, 4194304)
    moderate_rcvbuf: bool = True
    adv_win_scale: int = 1
    app_win: int = 31
    rfc1337: bool = False
    abort_on_overflow: bool = False
    base_mss: int = 1024
    mtu_probing: int = 0
    min_snd_mss: int = 48
    reordering: int = 3
    max_reordering: int = 300
    recovery: int = 1  # TCP_RACK_LOSS_DETECTION
    early_retrans: int = 3  # TLP on
    frto: int = 2
    slow_start_after_idle: bool = True
    no_metrics_save: bool = False
    tw_reuse: int = 2
    challenge_ack_limit: int = 1000
    invalid_ratelimit: float = 0.5
    congestion_control: str = "cubic"
    # socket options (tcp_sock / inet_connection_sock / sock fields)
    nodelay: bool = False
    cork: bool = False
    quickack: bool = False
    keepalive: bool = False  # SO_KEEPALIVE
    keepidle: float = 0.0  # TCP_KEEPIDLE, 0 = the sysctl
    keepintvl: float = 0.0
    keepcnt: int = 0
    user_timeout: float = 0.0  # TCP_USER_TIMEOUT (seconds; 0 = off)
    linger2: float = 0.0  # TCP_LINGER2 (0 = fin_timeout, < 0 = no FIN-WAIT-2 wait)
    syncnt: int = 0  # TCP_SYNCNT, 0 = the sysctl
    defer_accept: int = 0  # retransmissions of the SYN-ACK to wait for data
    window_clamp: int = 0
    user_mss: int = 0  # TCP_MAXSEG before connect
    oobinline: bool = False  # SO_OOBINLINE
    rcvbuf: int = 131072  # sk_rcvbuf
    sndbuf: int = 16384  # sk_sndbuf
    rcvbuf_locked: bool = False  # SOCK_RCVBUF_LOCK
    sndbuf_locked: bool = False
    rcvlowat: int = 1
    thin_linear_timeouts: bool = False
    notsent_lowat: int = 0
    recverr: bool = False  # IP_RECVERR: ICMP errors become sk_err in the synchronized states
    dst_mtu: int = 1500  # the route's MTU (dst_mtu) for MSS and advmss: the glue sets it before connect / from_syn


class TcpConn:
    """One TCP endpoint (any state but LISTEN; a listener is the glue's business).

    Construct with ``TcpConn(params, sport, dport, iss, now)``; then either
    ``connect(now)`` (active open) or build it with ``TcpConn.from_syn(...)``
    (passive open, SYN-RECEIVED).  User calls return a value or a negative
    errno, as Linux's lower layers do.
    """

    # one slot per field (no per-instance dict: ~2 KiB less per connection, issue #8's memory figure)
    __slots__ = ("params", "sport", "dport", "state", "outbox", "events", "sk_err", "sk_err_soft", "shutdown",
                 "orphan", "iss", "snd_una", "snd_nxt", "snd_sml", "snd_up", "snd_wnd", "snd_wl1", "snd_wl2",
                 "max_window", "write_seq", "pushed_seq", "notsent_bytes", "write_queue", "write_queue_seq",
                 "rtx_queue", "fin_queued", "wmem_skbs", "nospace", "fin_seq", "irs", "rcv_nxt", "rcv_wnd",
                 "rcv_wup", "copied_seq", "rcv_ssthresh", "window_clamp", "rcvq_space_space", "rcvq_space_seq",
                 "rcvq_space_time", "rcv_rtt_est_us", "receive_queue", "rmem_alloc", "out_of_order", "fin_rcvd",
                 "urg_data", "urg_seq", "selective_acks", "duplicate_sack", "tstamp_ok", "sack_ok", "wscale_ok",
                 "snd_wscale", "rcv_wscale", "ts_recent", "ts_recent_stamp", "ts_offset", "rcv_tsval", "rcv_tsecr",
                 "saw_tstamp", "mss_clamp", "advmss", "mss_cache", "pmtu_cookie", "tcp_header_len", "srtt_us",
                 "mdev_us", "mdev_max_us", "rttvar_us", "rtt_seq", "rtt_min_us", "rto", "icsk_backoff",
                 "icsk_retransmits", "icsk_probes_out", "retrans_stamp", "total_retrans", "undo_marker",
                 "undo_retrans", "ca_ops", "ca_priv", "ca_state", "snd_cwnd", "snd_cwnd_cnt", "snd_cwnd_clamp",
                 "snd_cwnd_stamp", "snd_ssthresh", "prior_ssthresh", "prior_cwnd", "high_seq", "packets_out",
                 "retrans_out", "sacked_out", "lost_out", "reordering", "delivered", "lost", "is_cwnd_limited",
                 "icsk_pending", "icsk_timeout", "ack_pending", "ack_timeout", "ack_ato", "ack_quick",
                 "ack_pingpong", "ack_lrcvtime", "ack_rcv_mss", "keepalive_timeout", "tw_timeout", "segs_in",
                 "segs_out", "data_segs_in", "data_segs_out", "bytes_acked", "bytes_received", "bytes_sent",
                 "bytes_retrans", "lsndtime", "rcv_tstamp", "last_data_recv", "dsack_dups", "rcv_ooopack", "mib",
                 "syn_data", "fastopen", "opened_at", "req_passive", "icsk_probes_tstamp", "tlp_high_seq",
                 "tlp_retrans", "prr_delivered", "prr_out", "prior_delivered", "snd_cwnd_used", "max_packets_out",
                 "nonagle_push", "tx_priv", "ofo_fin_seq", "last_seg_size", "rcv_rtt_seq_time", "last_oow_ack_time",
                 "challenge_timestamp", "challenge_count", "tw_isn", "syn_sent_at", "rcv_rtt_last_tsecr",
                 "gso_max_size")


    def __init__(self, params: TcpParams, sport: int, dport: int, iss: int, now: float,
                 ts_offset: int = 0) -> None:
        self.params = params
        self.sport = sport
        self.dport = dport
        self.state = TCP_CLOSE
        self.outbox: list[TcpSegment] = []
        self.events: list[TcpEvent] = []
        self.sk_err = 0  # the error the next call reports (sock_error): positive errno
        self.sk_err_soft = 0
        self.shutdown = 0  # RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 (sk_shutdown)
        self.orphan = False  # closed by the user (no socket): the glue frees it at CLOSE
        # --- send sequence space (RFC 9293 3.3.1) ---
        self.iss = iss
        self.snd_una = iss
        self.snd_nxt = iss
        self.snd_sml = iss
        self.snd_up = iss
        self.snd_wnd = 0
        self.snd_wl1 = 0
        self.snd_wl2 = 0
        self.max_window = 0
        self.write_seq = iss  # one past the last byte the user queued (SYN counts)
        self.pushed_seq = iss
        self.notsent_bytes = 0
        # the user's data not yet acknowledged, from snd_una's data byte on (tcp_output/tcp_ack own it)
        self.write_queue: bytearray = bytearray()
        self.write_queue_seq = iss  # the sequence number of write_queue[0]
        self.rtx_queue: deque[Any] = deque()  # sent, unacknowledged segments (tcp_ack.py's records)
        self.fin_queued = False  # a FIN follows write_queue (tcp_send_fin)
        # the write queue's skbs (for sk_wmem_queued: each charges TCP_SKB_OVERHEAD + its unacked bytes):
        # the end sequence number of each, oldest first (tcp_output.tcp_sendmsg_copy / tcp_ack trim them)
        self.wmem_skbs: deque[int] = deque()
        self.nospace = False  # SOCK_NOSPACE: a writer found the buffer full (send() short, poll not writable)
        self.fin_seq = 0
        # --- receive sequence space ---
        self.irs = 0
        self.rcv_nxt = 0
        self.rcv_wnd = 0
        self.rcv_wup = 0  # rcv_nxt at the last window update we sent
        self.copied_seq = 0  # next byte the user reads
        self.rcv_ssthresh = 0
        self.window_clamp = 0
        self.rcvq_space_space = 0  # rcvq_space.space (autotuning)
        self.rcvq_space_seq = 0
        self.rcvq_space_time = 0.0
        self.rcv_rtt_est_us = 0
        # in-order bytes not yet read, from copied_seq on (tcp_input owns it)
        self.receive_queue: bytearray = bytearray()
        self.rmem_alloc = 0  # truesize-like charge of received data (receive_queue + out_of_order)
        self.out_of_order: list[tuple[int, bytes]] = []  # (seq, data), sorted, non-overlapping
        self.fin_rcvd = False  # a FIN is in sequence (RCV_SHUTDOWN)
        self.urg_data = 0  # Linux's tp->urg_data: TCP_URG_VALID 0x100 | byte, TCP_URG_NOTYET 0x200, READ 0x400
        self.urg_seq = 0
        self.selective_acks: list[tuple[int, int]] = []  # SACK blocks we advertise (RFC 2018 4)
        self.duplicate_sack: tuple[int, int] | None = None  # D-SACK block for the next ACK (RFC 2883)
        # --- options negotiated (tcp_options_received) ---
        self.tstamp_ok = False
        self.sack_ok = False
        self.wscale_ok = False
        self.snd_wscale = 0  # the peer's shift: applied to windows we receive
        self.rcv_wscale = 0  # our shift: applied to windows we send
        self.ts_recent = 0
        self.ts_recent_stamp = 0.0
        self.ts_offset = ts_offset
        self.rcv_tsval = 0
        self.rcv_tsecr = 0
        self.saw_tstamp = False
        self.mss_clamp = 0  # the peer's MSS option (rx_opt.mss_clamp)
        self.advmss = 0  # what we announce
        self.mss_cache = TCP_MSS_DEFAULT  # current effective send MSS (tcp_current_mss, options excluded)
        self.pmtu_cookie = params.dst_mtu
        self.tcp_header_len = 20
        # --- RTT / RTO (RFC 6298) ---
        self.srtt_us = 0  # << 3 as Linux keeps it
        self.mdev_us = 0
        self.mdev_max_us = 0
        self.rttvar_us = 0
        self.rtt_seq = 0
        self.rtt_min_us = 0
        self.rto = TCP_TIMEOUT_INIT  # icsk_rto
        self.icsk_backoff = 0
        self.icsk_retransmits = 0
        self.icsk_probes_out = 0
        self.retrans_stamp = 0.0
        self.total_retrans = 0
        self.undo_marker = 0
        self.undo_retrans = -1
        # --- congestion control ---
        self.ca_ops: TcpCongestionOps | None = None  # set by tcp_cong.tcp_init_congestion_control
        self.ca_priv: Any = None  # the algorithm's private state (icsk_ca_priv)
        self.ca_state = TCP_CA_Open
        self.snd_cwnd = TCP_INIT_CWND
        self.snd_cwnd_cnt = 0
        self.snd_cwnd_clamp = 0xFFFFFFFF
        self.snd_cwnd_stamp = 0.0
        self.snd_ssthresh = TCP_INFINITE_SSTHRESH
        self.prior_ssthresh = 0
        self.prior_cwnd = 0
        self.high_seq = 0
        self.packets_out = 0
        self.retrans_out = 0
        self.sacked_out = 0
        self.lost_out = 0
        self.reordering = params.reordering
        self.delivered = 0
        self.lost = 0
        self.is_cwnd_limited = False
        # --- timers: deadlines in ``now``'s seconds, None when not armed ---
        self.icsk_pending = 0  # ICSK_TIME_RETRANS / PROBE0 / LOSS_PROBE / REO_TIMEOUT
        self.icsk_timeout: float | None = None  # that timer's deadline (tcp_retrans.py)
        self.ack_pending = 0  # icsk_ack.pending bits
        self.ack_timeout: float | None = None  # delayed ACK deadline (tcp_timer.py)
        self.ack_ato = TCP_ATO_MIN
        self.ack_quick = 0
        self.ack_pingpong = 0
        self.ack_lrcvtime = 0.0
        self.ack_rcv_mss = TCP_MSS_DEFAULT
        self.keepalive_timeout: float | None = None  # keepalive / FIN-WAIT-2 / SYN-ACK (tcp_timer.py)
        self.tw_timeout: float | None = None  # TIME-WAIT expiry
        # --- statistics (TCP_INFO, /proc/net/snmp) ---
        self.segs_in = 0
        self.segs_out = 0
        self.data_segs_in = 0
        self.data_segs_out = 0
        self.bytes_acked = 0
        self.bytes_received = 0
        self.bytes_sent = 0
        self.bytes_retrans = 0
        self.lsndtime = now  # last data sent
        self.rcv_tstamp = now  # last ACK received
        self.last_data_recv = now
        self.dsack_dups = 0
        self.rcv_ooopack = 0
        self.mib: dict[str, int] = {}  # increments for the namespace's Tcp:/TcpExt: counters, drained by the glue
        self.syn_data = False
        self.fastopen = False
        self.opened_at = now
        # --- CORE-TX (tcp_output / tcp_ack / tcp_retrans / tcp_recovery) ---
        self.req_passive = False  # made by from_syn: SYN-RECV retransmits the SYN-ACK up to synack_retries
        self.icsk_probes_tstamp = 0.0  # first zero-window probe of a series (TCP_USER_TIMEOUT)
        self.tlp_high_seq = 0  # TLP probe outstanding (RFC 8985 7)
        self.tlp_retrans = False
        self.prr_delivered = 0  # RFC 6937
        self.prr_out = 0
        self.prior_delivered = 0
        self.snd_cwnd_used = 0
        self.max_packets_out = 0
        self.nonagle_push = False  # TCP_NAGLE_PUSH: one push regardless of Nagle (uncork with NODELAY)
        self.tx_priv: Any = None  # tcp_recovery's RACK state and other CORE-TX-private state
        self.gso_max_size = 0  # TSO: the largest super-segment payload the route's device takes (0: none)
        # --- CORE-RX (tcp_input / tcp_timer) ---
        self.ofo_fin_seq: int | None = None  # a FIN seen out of order: its sequence number
        self.last_seg_size = 0  # icsk_ack.last_seg_size (tcp_measure_rcv_mss)
        self.rcv_rtt_seq_time: tuple[int, float] | None = None  # rcv_rtt_est.seq / .time (no timestamps)
        self.last_oow_ack_time: float | None = None  # tcp_oow_rate_limited
        self.challenge_timestamp = -1  # RFC 5961 7 budget (per namespace in Linux; per connection here)
        self.challenge_count = 0
        self.tw_isn = 0  # the ISN a TIME-WAIT reopening SYN gets ("tw_syn" event)
        self.syn_sent_at = 0.0
        self.rcv_rtt_last_tsecr = 0

    # --- state changes: the one place ---------------------------------------------------
    def set_state(self, event: str) -> None:
        """Move along TRANSITIONS (KeyError for a move the RFC does not have) and report it."""
        old = self.state
        new = tcp_next_state(old, event)
        if new != old:
            self.state = new
            self.events.append(TcpEvent("state", old, new))
            if new == TCP_CLOSE:
                if old in (TCP_ESTABLISHED, TCP_CLOSE_WAIT):
                    self.mib_inc("EstabResets")
                self.icsk_timeout = None
                self.icsk_pending = 0
                self.ack_timeout = None
                self.ack_pending = 0
                self.keepalive_timeout = None
                self.tw_timeout = None
                self.events.append(TcpEvent("closed", old, new))
            elif new == TCP_TIME_WAIT:
                self.icsk_timeout = None
                self.icsk_pending = 0
                self.ack_timeout = None
                self.keepalive_timeout = None
                self.events.append(TcpEvent("timewait", old, new))

    def mib_inc(self, name: str, n: int = 1) -> None:
        self.mib[name] = self.mib.get(name, 0) + n

    def next_timer(self) -> float | None:
        """The earliest armed deadline."""
        deadlines = [t for t in (self.icsk_timeout, self.ack_timeout, self.keepalive_timeout, self.tw_timeout)
                     if t is not None]
        return min(deadlines) if deadlines else None

    # --- the API the socket layer and tests use -----------------------------------------
    # The bodies live in tcp_input.py (receive side, user calls) and tcp_timer.py; the
    # imports are local because those modules import this one.

    def connect(self, now: float, *, mtu: int | None = None) -> int:
        """Active open from CLOSE (tcp_v4_connect's core + tcp_connect_init): SYN queued, SYN-SENT.

        ``mtu`` is the route's MTU (advmss = mtu - 40, clamped by TCP_MAXSEG); None takes
        ``params.dst_mtu``.  Returns 0 or a negative errno (-EISCONN / -EALREADY when not CLOSE)."""
        from kernel.net.ipv4.tcp import tcp_input
        return tcp_input.tcp_active_open(self, now, mtu)

    @classmethod
    def from_syn(cls, params: TcpParams, syn: TcpSegment, iss: int, now: float, ts_offset: int = 0, *,
                 mtu: int | None = None) -> TcpConn:
        """Passive open: options negotiated from ``syn``, SYN-ACK in the outbox, state SYN-RECV."""
        from kernel.net.ipv4.tcp import tcp_input
        return tcp_input.tcp_passive_open(cls, params, syn, iss, now, ts_offset, mtu)

    def segment_arrived(self, seg: TcpSegment, now: float) -> None:
        """RFC 9293 3.10.7 / tcp_rcv_state_process for whatever state we are in."""
        from kernel.net.ipv4.tcp import tcp_input
        tcp_input.tcp_rcv(self, seg, now)

    def on_timer(self, now: float) -> None:
        """Fire every deadline that has passed (calling it early is harmless)."""
        from kernel.net.ipv4.tcp import tcp_timer
        tcp_timer.tcp_on_timer(self, now)

    def send(self, data: bytes | memoryview, now: float, *, more: bool = False, oob: bool = False) -> int:
        """Queue up to send_space() bytes and push them; returns the count taken (0 when full)."""
        from kernel.net.ipv4.tcp import tcp_input
        return tcp_input.tcp_user_send(self, data, now, more, oob)

    def send_space(self) -> int:
        """Bytes a send() would take now (tcp_sendmsg's copy loop against sk_sndbuf, charging each
        skb's truesize as sk_wmem_queued does: see tcp_output.tcp_send_room)."""
        from kernel.net.ipv4.tcp import tcp_output
        return tcp_output.tcp_send_room(self)

    def send_queued(self) -> int:
        """Bytes in the write queue, sent or not (SIOCOUTQ): write_seq - snd_una minus SYN/FIN."""
        from kernel.net.ipv4.tcp.segment import seq_sub
        n = seq_sub(self.write_seq, self.snd_una)
        if self.state in (TCP_SYN_SENT, TCP_SYN_RECV) and n > 0:
            n -= 1  # the SYN
        if self.fin_queued and n > 0:
            n -= 1
        return max(0, n)

    def writable(self) -> bool:
        """sk_stream_is_writeable: sk_sndbuf - sk_wmem_queued >= sk_wmem_queued / 2 and memory free.
        As tcp_poll, a False answer sets SOCK_NOSPACE (the next ACK that frees space says "writable")."""
        from kernel.net.ipv4.tcp import tcp_output
        if tcp_output.tcp_stream_is_writeable(self):
            return True
        self.nospace = True
        return False

    def recv(self, n: int, now: float, *, peek: bool = False, trunc: bool = False) -> bytes:
        """Up to ``n`` in-order bytes (stops at the urgent mark; skips the urgent byte unless
        SO_OOBINLINE).  ``trunc`` (MSG_TRUNC) discards them: the result is then ``n'`` zero bytes,
        its length the count discarded.  b"" means nothing to read (check ``fin_rcvd``/state)."""
        from kernel.net.ipv4.tcp import tcp_input
        return tcp_input.tcp_recvmsg(self, n, now, peek, trunc)

    def readable_bytes(self) -> int:
        """SIOCINQ (tcp_inq)."""
        from kernel.net.ipv4.tcp import tcp_input
        return tcp_input.tcp_inq(self)

    def at_mark(self) -> bool:
        """SIOCATMARK: the next byte to read is the urgent mark."""
        return bool(self.urg_data) and self.urg_seq == self.copied_seq

    def recv_oob(self, now: float, peek: bool = False) -> bytes | int:
        """MSG_OOB (tcp_recv_urg): the urgent byte, or -EINVAL / -EAGAIN / -ENOTCONN; b"" at EOF."""
        from kernel.net.ipv4.tcp import tcp_input
        return tcp_input.tcp_recv_urg(self, now, peek)

    def shutdown_send(self, now: float) -> None:
        """shutdown(SHUT_WR): tcp_shutdown -> tcp_close_state + tcp_send_fin."""
        from kernel.net.ipv4.tcp import tcp_input
        tcp_input.tcp_shutdown(self, now)

    def shutdown_recv(self) -> None:
        """shutdown(SHUT_RD): RCV_SHUTDOWN in sk_shutdown (no segment; new data after our FIN is then
        answered with a RST, RFC 1122 4.2.2.13)."""
        self.shutdown |= 1

    def close(self, now: float) -> None:
        """The user's close (tcp_close without the socket): unread data -> RST; else FIN; orphan."""
        from kernel.net.ipv4.tcp import tcp_input
        tcp_input.tcp_user_close(self, now)

    def abort(self, now: float, send_rst: bool = True) -> None:
        """To CLOSE at once (SO_LINGER 0, tcp_abort); RST when the state warrants it."""
        from kernel.net.ipv4.tcp import tcp_input
        tcp_input.tcp_user_abort(self, now, send_rst)

    def disconnect(self, now: float) -> int:
        """tcp_disconnect: back to CLOSE with queues purged, ready to connect again."""
        from kernel.net.ipv4.tcp import tcp_input
        return tcp_input.tcp_disconnect(self, now)

    def icmp_error(self, type_: int, code: int, info: int, now: float) -> None:
        """tcp_v4_err's core (soft/hard errors, PMTU)."""
        from kernel.net.ipv4.tcp import tcp_input
        tcp_input.tcp_v4_err(self, type_, code, info, now)

    def set_quickack(self, on: bool, now: float) -> None:
        """TCP_QUICKACK: 1 leaves pingpong mode (and sends a pending ACK), 0 enters it."""
        from kernel.net.ipv4.tcp import tcp_input
        tcp_input.tcp_set_quickack(self, on, now)

    def keepalive_changed(self, now: float) -> None:
        """SO_KEEPALIVE / TCP_KEEPIDLE changed in params: (re)arm or stop the keepalive timer."""
        from kernel.net.ipv4.tcp import tcp_timer
        tcp_timer.tcp_reset_keepalive_timer(self, now)

    def timewait_ack(self, now: float) -> None:
        """After a "tw_syn" event the glue found no listener: answer with an ACK (TCP_TW_ACK)."""
        from kernel.net.ipv4.tcp import tcp_input
        tcp_input.tcp_send_ack_now(self, now)

    def done(self) -> None:
        """tcp_done: to CLOSE from any state, timers stopped (AttemptFails counted from SYN states)."""
        if self.state == TCP_CLOSE:
            return
        if self.state in (TCP_SYN_SENT, TCP_SYN_RECV):
            self.mib_inc("AttemptFails")
        self.set_state(ABORT)
        self.shutdown = 3


def new_params_default() -> TcpParams:
    return TcpParams()


__all__ = ["TcpConn", "TcpEvent", "TcpParams"]
