"""TCP states (include/net/tcp_states.h) and the RFC 9293 3.3.2 transition table, in one place.

The numbers are Linux's (``TCP_INFO``'s tcpi_state, /proc/net/tcp's ``st``
column and ``ss`` all show them).  ``TCP_NEW_SYN_RECV`` is Linux's
request-socket state (a SYN-RECEIVED connection still on a listener's SYN
queue); the eleven RFC states are the others but ``TCP_NEW_SYN_RECV``.

``TRANSITIONS`` maps ``(state, event)`` to the next state; every state change
the core makes goes through :func:`tcp_next_state`, and a pair that is not in
the table is a bug (``KeyError``), never a silent move (h11's style).  The
events are the RFC's: user calls (``open_active``, ``open_passive``, ``close``,
``abort``), segments (``rcv_syn``, ``rcv_syn_ack``, ``rcv_ack_of_syn``,
``rcv_ack_of_fin``, ``rcv_fin``, ``rcv_rst``), and timeouts (``timeout``:
TIME-WAIT's 2MSL, FIN-WAIT-2's linger, a retransmission giving up).
"""
from __future__ import annotations

from typing import Final

TCP_ESTABLISHED: Final = 1
TCP_SYN_SENT: Final = 2
TCP_SYN_RECV: Final = 3
TCP_FIN_WAIT1: Final = 4
TCP_FIN_WAIT2: Final = 5
TCP_TIME_WAIT: Final = 6
TCP_CLOSE: Final = 7
TCP_CLOSE_WAIT: Final = 8
TCP_LAST_ACK: Final = 9
TCP_LISTEN: Final = 10
TCP_CLOSING: Final = 11
TCP_NEW_SYN_RECV: Final = 12

STATE_NAMES: Final = {
    TCP_ESTABLISHED: "ESTABLISHED", TCP_SYN_SENT: "SYN-SENT", TCP_SYN_RECV: "SYN-RECV",
    TCP_FIN_WAIT1: "FIN-WAIT-1", TCP_FIN_WAIT2: "FIN-WAIT-2", TCP_TIME_WAIT: "TIME-WAIT", TCP_CLOSE: "CLOSE",
    TCP_CLOSE_WAIT: "CLOSE-WAIT", TCP_LAST_ACK: "LAST-ACK", TCP_LISTEN: "LISTEN", TCP_CLOSING: "CLOSING",
    TCP_NEW_SYN_RECV: "NEW-SYN-RECV",
}

# TCPF_* masks (1 << state), as tcp.c tests sets of states
def tcpf(*states: int) -> int:
    mask = 0
    for s in states:
        mask |= 1 << s
    return mask


# the events of RFC 9293 3.3.2's state diagram
OPEN_ACTIVE: Final = "open_active"
OPEN_PASSIVE: Final = "open_passive"
SEND_SYN: Final = "send_syn"  # a listening socket's connect() (RFC: LISTEN --SEND--> SYN-SENT; Linux: EISCONN)
CLOSE: Final = "close"  # the user's close / shutdown(SHUT_WR): a FIN is queued
ABORT: Final = "abort"
RCV_SYN: Final = "rcv_syn"  # SYN without ACK (LISTEN's passive open; SYN-SENT's simultaneous open)
RCV_SYN_ACK: Final = "rcv_syn_ack"
RCV_ACK_OF_SYN: Final = "rcv_ack_of_syn"
RCV_ACK_OF_FIN: Final = "rcv_ack_of_fin"
RCV_FIN: Final = "rcv_fin"
RCV_RST: Final = "rcv_rst"
TIMEOUT: Final = "timeout"

TRANSITIONS: Final[dict[tuple[int, str], int]] = {
    # CLOSED
    (TCP_CLOSE, OPEN_ACTIVE): TCP_SYN_SENT,
    (TCP_CLOSE, OPEN_PASSIVE): TCP_LISTEN,
    # LISTEN
    (TCP_LISTEN, RCV_SYN): TCP_SYN_RECV,  # on the new (child) connection; the listener stays
    (TCP_LISTEN, CLOSE): TCP_CLOSE,
    (TCP_LISTEN, ABORT): TCP_CLOSE,
    # SYN-SENT
    (TCP_SYN_SENT, RCV_SYN_ACK): TCP_ESTABLISHED,
    (TCP_SYN_SENT, RCV_SYN): TCP_SYN_RECV,  # simultaneous open (and self-connect)
    (TCP_SYN_SENT, RCV_RST): TCP_CLOSE,
    (TCP_SYN_SENT, CLOSE): TCP_CLOSE,
    (TCP_SYN_SENT, ABORT): TCP_CLOSE,
    (TCP_SYN_SENT, TIMEOUT): TCP_CLOSE,
    # SYN-RECEIVED
    (TCP_SYN_RECV, RCV_ACK_OF_SYN): TCP_ESTABLISHED,
    (TCP_SYN_RECV, CLOSE): TCP_FIN_WAIT1,
    (TCP_SYN_RECV, RCV_RST): TCP_CLOSE,
    (TCP_SYN_RECV, ABORT): TCP_CLOSE,
    (TCP_SYN_RECV, TIMEOUT): TCP_CLOSE,
    (TCP_SYN_RECV, RCV_FIN): TCP_CLOSE_WAIT,
    # ESTABLISHED
    (TCP_ESTABLISHED, CLOSE): TCP_FIN_WAIT1,
    (TCP_ESTABLISHED, RCV_FIN): TCP_CLOSE_WAIT,
    (TCP_ESTABLISHED, RCV_RST): TCP_CLOSE,
    (TCP_ESTABLISHED, ABORT): TCP_CLOSE,
    (TCP_ESTABLISHED, TIMEOUT): TCP_CLOSE,
    # FIN-WAIT-1
    (TCP_FIN_WAIT1, RCV_ACK_OF_FIN): TCP_FIN_WAIT2,
    (TCP_FIN_WAIT1, RCV_FIN): TCP_CLOSING,
    (TCP_FIN_WAIT1, RCV_RST): TCP_CLOSE,
    (TCP_FIN_WAIT1, ABORT): TCP_CLOSE,
    (TCP_FIN_WAIT1, TIMEOUT): TCP_CLOSE,
    # FIN-WAIT-2
    (TCP_FIN_WAIT2, RCV_FIN): TCP_TIME_WAIT,
    (TCP_FIN_WAIT2, RCV_RST): TCP_CLOSE,
    (TCP_FIN_WAIT2, ABORT): TCP_CLOSE,
    (TCP_FIN_WAIT2, TIMEOUT): TCP_CLOSE,  # tcp_fin_timeout / TCP_LINGER2 on an orphan
    # CLOSE-WAIT
    (TCP_CLOSE_WAIT, CLOSE): TCP_LAST_ACK,
    (TCP_CLOSE_WAIT, RCV_RST): TCP_CLOSE,
    (TCP_CLOSE_WAIT, ABORT): TCP_CLOSE,
    (TCP_CLOSE_WAIT, TIMEOUT): TCP_CLOSE,
    # CLOSING
    (TCP_CLOSING, RCV_ACK_OF_FIN): TCP_TIME_WAIT,
    (TCP_CLOSING, RCV_RST): TCP_CLOSE,
    (TCP_CLOSING, ABORT): TCP_CLOSE,
    (TCP_CLOSING, TIMEOUT): TCP_CLOSE,
    # LAST-ACK
    (TCP_LAST_ACK, RCV_ACK_OF_FIN): TCP_CLOSE,
    (TCP_LAST_ACK, RCV_RST): TCP_CLOSE,
    (TCP_LAST_ACK, ABORT): TCP_CLOSE,
    (TCP_LAST_ACK, TIMEOUT): TCP_CLOSE,
    # TIME-WAIT
    (TCP_TIME_WAIT, TIMEOUT): TCP_CLOSE,
    (TCP_TIME_WAIT, RCV_RST): TCP_CLOSE,  # unless net.ipv4.tcp_rfc1337 (RFC 1337 TIME-WAIT assassination)
    (TCP_TIME_WAIT, ABORT): TCP_CLOSE,
    (TCP_TIME_WAIT, RCV_SYN): TCP_SYN_RECV,  # an acceptable new SYN reopens (tcp_timewait_state_process)
}


def tcp_next_state(state: int, event: str) -> int:
    """The state ``event`` leads to from ``state``; ``KeyError`` for a move the RFC does not have."""
    return TRANSITIONS[(state, event)]
