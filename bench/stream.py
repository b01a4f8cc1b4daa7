"""Figure 2: streaming bulk through the API on a TCP connection of one daemon.

socketlab has no dedicated read-stream / write-stream RPC (proto/socketlab/v1
has the per-syscall Session stream only), so the bulk goes the way a stdlib
program moves it: one Python client process (``client.connect``) holds both
ends of a TCP connection on the daemon's loopback (127.0.0.1, 64 KiB MTU); a
sender thread ``sendall``s ``MESSAGE``-byte messages on one end while the
caller ``recv_into``s a ``MESSAGE``-byte buffer on the other.  One operation
moves ``batch`` bytes (``BATCH``, 1 MiB, in full mode; ``--quick`` moves
less); every byte crosses gRPC twice (up in a send, back in a recv), as in
the baseline :class:`bench.echo.BidiBulk` (64 KiB messages echoed on a bare
bidi stream).  Throughput = batch / median time per op.
"""
from __future__ import annotations

import threading
from typing import Any

from bench.timing import Op

MESSAGE = 64 * 1024
BATCH = 16 * MESSAGE  # 1 MiB per operation
_DATA = bytes(range(256)) * (MESSAGE // 256)


class ApiBulk:
    """A TCP connection inside one daemon, both ends held by one client process, and the bulk op on it."""

    def __init__(self, target: str, batch: int = BATCH) -> None:
        import client

        self.batch = batch
        self.net = client.connect(target)
        net = self.net
        self.listener = net.socket(net.AF_INET, net.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.tx = net.create_connection(self.listener.getsockname())
        self.rx, _ = self.listener.accept()
        self.buf = bytearray(MESSAGE)
        self._go = threading.Semaphore(0)
        self._failure: BaseException | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._send_loop, name="bench-api-bulk-sender", daemon=True)
        self._thread.start()
        self.check()

    def _send_loop(self) -> None:
        while True:
            self._go.acquire()
            if self._closing:
                return
            try:
                for _ in range(self.batch // MESSAGE):
                    self.tx.sendall(_DATA)
            except BaseException as exc:  # noqa: BLE001 - reported by the receiving side
                self._failure = exc
                return

    def _receive(self, keep: bytearray | None = None) -> None:
        got = 0
        view = memoryview(self.buf)
        while got < self.batch:
            n = self.rx.recv_into(view, MESSAGE)
            if n <= 0:
                raise RuntimeError(f"API bulk: unexpected EOF after {got} bytes ({self._failure!r})")
            if keep is not None:
                keep += view[:n]
            got += n

    def op(self) -> None:
        """Move one batch from tx to rx."""
        self._go.release()
        self._receive()

    def check(self) -> None:
        """One batch checked byte for byte."""
        kept = bytearray()
        self._go.release()
        self._receive(kept)
        if bytes(kept) != _DATA * (self.batch // MESSAGE):
            raise RuntimeError("API bulk: wrong payload")

    def close(self) -> None:
        self._closing = True
        self._go.release()
        self._thread.join(timeout=5.0)
        for s in (self.tx, self.rx, self.listener):
            s.close()
        self.net.close()


def api_bulk(target: str, stack: Any, batch: int = BATCH) -> Op:
    bulk = ApiBulk(target, batch)
    stack.callback(bulk.close)
    return bulk.op
