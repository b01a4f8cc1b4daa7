"""The daemon's resource limits: gRPC transport settings and caps on what clients may hold.

Every limit has a command-line flag (``python -m server --help`` lists them
with their defaults) and a field of :class:`Limits`:

- ``--max-streams`` (``grpc.max_concurrent_streams``): concurrent streams on
  one HTTP/2 connection.  A client process multiplexes all its emulated
  processes (one Session stream each) and its blocking calls on one
  connection, so the default is generous; over the limit the client's new
  streams wait for a free slot (HTTP/2 flow control), they do not fail.
- ``--keepalive-time`` / ``--keepalive-timeout``: the daemon pings an idle
  connection every KEEPALIVE_TIME seconds and drops it when no ack comes
  within KEEPALIVE_TIMEOUT (its sessions then end: their processes exit).
  Clients may ping too, no more often than every ``MIN_CLIENT_PING`` seconds.
- ``--idle-timeout``: a session that sends no message and has no call
  pending (typed calls on its handle count) for that many seconds ends with
  DEADLINE_EXCEEDED; its process exits as on a broken stream.  0 (the
  default) = never.
- ``--max-processes``: processes the daemon holds open at once; opening one
  more ends that Session with RESOURCE_EXHAUSTED.
- ``--file-max``: the host's ``fs.file-max`` sysctl (open files of all
  processes together); over it socket()/accept()/... fail with ENFILE, as on
  Linux (a process with CAP_SYS_ADMIN may exceed it, as alloc_empty_file
  allows: give clients capabilities without it to see ENFILE).
- ``--max-message`` (``grpc.max_{send,receive}_message_length``): a larger
  request ends its RPC with RESOURCE_EXHAUSTED before any handler runs.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

MIB = 1024 * 1024
MIN_CLIENT_PING = 10.0  # seconds: clients pinging more often get GOAWAY (too_many_pings)


@dataclass(frozen=True)
class Limits:
    """What one daemon allows its clients (see the module docstring)."""

    max_streams: int = 4096
    keepalive_time: float = 60.0
    keepalive_timeout: float = 20.0
    idle_timeout: float = 0.0  # 0: sessions never time out
    max_processes: int = 100_000
    file_max: int | None = None  # None: the kernel's default fs.file-max
    max_message: int = 64 * MIB

    def grpc_options(self) -> list[tuple[str, int]]:
        """The grpc.aio server options these limits give (besides so_reuseport)."""
        return [
            ("grpc.max_send_message_length", self.max_message),
            ("grpc.max_receive_message_length", self.max_message),
            ("grpc.max_concurrent_streams", self.max_streams),
            ("grpc.keepalive_time_ms", int(self.keepalive_time * 1000)),
            ("grpc.keepalive_timeout_ms", int(self.keepalive_timeout * 1000)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", int(MIN_CLIENT_PING * 1000)),
            ("grpc.http2.max_ping_strikes", 2),
        ]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text}")
    return value


def _positive_seconds(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``limits`` group of the daemon's command line."""
    d = Limits()
    group = parser.add_argument_group("limits")
    group.add_argument("--max-streams", type=_positive_int, default=d.max_streams, metavar="N",
                       help="concurrent gRPC streams per client connection (one per process session "
                            "and per blocked typed call; default %(default)s)")
    group.add_argument("--keepalive-time", type=_positive_seconds, default=d.keepalive_time, metavar="SECONDS",
                       help="ping an idle client connection this often (default %(default)s)")
    group.add_argument("--keepalive-timeout", type=_positive_seconds, default=d.keepalive_timeout, metavar="SECONDS",
                       help="drop a connection whose ping is not answered within this (default %(default)s)")
    group.add_argument("--idle-timeout", type=_seconds, default=d.idle_timeout, metavar="SECONDS",
                       help="end a session (its process exits) after this long without a message or a "
                            "pending call; 0 = never (default %(default)s)")
    group.add_argument("--max-processes", type=_positive_int, default=d.max_processes, metavar="N",
                       help="processes open at once; one more session gets RESOURCE_EXHAUSTED "
                            "(default %(default)s)")
    group.add_argument("--file-max", type=_positive_int, default=None, metavar="N",
                       help="the host's fs.file-max: open files of all processes (ENFILE beyond it, "
                            "except with CAP_SYS_ADMIN; default: the kernel's, 1048576)")
    group.add_argument("--max-message", type=_positive_int, default=d.max_message, metavar="BYTES",
                       help="largest gRPC message either way; larger gets RESOURCE_EXHAUSTED "
                            "(default %(default)s)")


def from_args(ns: argparse.Namespace) -> Limits:
    """The Limits of parsed command-line arguments."""
    return Limits(
        max_streams=ns.max_streams, keepalive_time=ns.keepalive_time, keepalive_timeout=ns.keepalive_timeout,
        idle_timeout=ns.idle_timeout, max_processes=ns.max_processes, file_max=ns.file_max,
        max_message=ns.max_message,
    )
