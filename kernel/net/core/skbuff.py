"""struct sk_buff: the one buffer for socket queues and for packets.

Queue use (AF_UNIX): a buffer carries its bytes, how much of them a stream reader already took
(``consumed``), the sender's credentials (its address is read from the owner ``sk`` at receive time), passed files
(SCM_RIGHTS), and ``truesize``: the memory charged to its owner socket
(sk_wmem_alloc for AF_UNIX) until it is freed.  ``skb_truesize`` reproduces
Linux's SKB_TRUESIZE on x86_64 (kmalloc buckets + struct sk_buff + page frags)
so buffer-full points match the reference kernel.

Packet use (AF_INET, AF_PACKET, devices): the bytes live in ``head`` (a
bytearray, or read-only bytes for a received frame) between ``doff`` and
``tail``, with headroom before ``doff`` so lower layers ``push`` their headers
without copying, as skb_push/skb_pull/skb_put/skb_reserve do.  Header
positions are absolute offsets into ``head`` (``mac_header``,
``network_header``, ``transport_header``; -1 when unset).  ``dev``,
``protocol`` (the ethertype, host order), ``pkt_type`` (PACKET_HOST ...) and
``cb`` (per-layer scratch, like skb->cb: IPCB options, fragment state) follow
the packet through the stack.  ``clone`` shares the bytes (never mutate
``head`` of a received or cloned skb; ``copy`` when a layer must rewrite).

Checksum offload (``ip_summed``, as Linux's): a TCP segment leaves its socket
CHECKSUM_PARTIAL -- the checksum field holds the folded pseudo-header sum and
``csum_start``/``csum_offset`` say where the sum starts (an absolute offset
into ``head``) and where it goes.  Devices with ``hw_csum`` (lo, veth: the
NETIF_F_HW_CSUM of Linux's virtual devices) carry it so, and the receiver
trusts it, as Linux does; everywhere the bytes become observable or leave the
emulation -- a device without ``hw_csum`` (peerlink, TAP, test channels), a
capture or packet-socket tap, a bridge, netem's corruption, IP fragmentation
-- ``skb_checksum_help`` fills in the real checksum first (CHECKSUM_NONE
after), so every packet anyone can see carries a correct checksum.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kernel.fs.file import File

PAGE_SIZE = 4096
CHECKSUM_NONE = 0
CHECKSUM_UNNECESSARY = 1
CHECKSUM_COMPLETE = 2
CHECKSUM_PARTIAL = 3
SKB_SHINFO = 320  # SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
SKB_HEAD = 256  # SKB_DATA_ALIGN(sizeof(struct sk_buff))
SKB_MAX_HEAD = PAGE_SIZE - SKB_SHINFO  # SKB_MAX_HEAD(0)
_KMALLOC = (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192)


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def kmalloc_size(n: int) -> int:
    for bucket in _KMALLOC:
        if n <= bucket:
            return bucket
    size = PAGE_SIZE
    while size < n:
        size <<= 1
    return size


def skb_truesize(linear: int, frags: int = 0) -> int:
    """Memory charged for an skb with ``linear`` head bytes and ``frags`` page bytes."""
    return kmalloc_size(_align(linear, 64) + SKB_SHINFO) + SKB_HEAD + _align(frags, PAGE_SIZE)


MAX_HEADER = 128  # LL_MAX_HEADER + 48: headroom for Ethernet + IPv4 (+ options) + TCP

# skb->pkt_type (include/uapi/linux/if_packet.h)
PACKET_HOST = 0
PACKET_BROADCAST = 1
PACKET_MULTICAST = 2
PACKET_OTHERHOST = 3
PACKET_OUTGOING = 4
PACKET_LOOPBACK = 5


class SkBuff:
    """A buffer on a socket queue, or a packet on its way through the stack."""

    __slots__ = ("data", "consumed", "cred", "fp", "truesize", "destructor", "sk", "oob", "embryo", "fp_release", "peeked",
                 "head", "doff", "tail", "mac_header", "network_header", "transport_header",
                 "dev", "protocol", "pkt_type", "cb", "tstamp", "skb_iif", "mark", "priority",
                 "ip_summed", "csum_start", "csum_offset", "csum", "gso_size", "gso_segs")

    def __init__(self, data: bytes, truesize: int = 0) -> None:
        self.data = data
        self.consumed = 0
        self.cred: tuple[int, int, int] | None = None
        self.fp: list[File] | None = None
        self.truesize = truesize or skb_truesize(len(data))
        self.destructor: Callable[[SkBuff], None] | None = None
        self.sk: Any = None
        self.oob = False
        self.fp_release: Callable[[list[File]], None] | None = None  # told when passed files drop
        self.embryo: Any = None
        self.peeked = False  # a zero-length datagram already seen by MSG_PEEK at an offset  # AF_UNIX: the new sock a connect() queues on a listener
        self.head: bytearray | bytes = b""
        self.doff = 0
        self.tail = 0
        self.mac_header = -1
        self.network_header = -1
        self.transport_header = -1
        self.dev: Any = None
        self.protocol = 0
        self.pkt_type = PACKET_HOST
        self.cb: dict[str, Any] = {}
        self.tstamp = 0.0
        self.skb_iif = 0
        self.mark = 0
        self.priority = 0
        self.ip_summed = CHECKSUM_NONE
        self.csum_start = 0  # CHECKSUM_PARTIAL: absolute offset in head where the summed bytes start
        self.csum_offset = 0  # ... and the checksum field's offset from there
        self.csum = 0  # ... and the pseudo-header partial sum (kernel.net.wire.checksum.ones_sum terms)
        self.gso_size = 0  # a TSO/GSO super-packet: the payload size of each segment it stands for (0: none)
        self.gso_segs = 0  # ... and how many segments

    def __len__(self) -> int:
        return len(self.data) - self.consumed

    def free(self) -> None:
        """kfree_skb: run the destructor (uncharge memory) and drop passed files."""
        if self.destructor is not None:
            destructor, self.destructor = self.destructor, None
            destructor(self)
        if self.fp:
            files, self.fp = self.fp, None
            if self.fp_release is not None:
                self.fp_release(files)
            for f in files:
                f.fput()

    # --- packet buffer operations (skb_reserve/push/pull/put/trim) ------------

    @property
    def len(self) -> int:
        """skb->len: bytes between data and tail."""
        return self.tail - self.doff

    def headroom(self) -> int:
        return self.doff

    def reserve(self, n: int) -> None:
        """skb_reserve: grow headroom of an empty buffer."""
        self.doff += n
        self.tail += n

    def put(self, n: int) -> int:
        """skb_put: extend the data area at the tail; returns the old tail offset."""
        old = self.tail
        self.tail += n
        if self.tail > len(self.head):
            assert isinstance(self.head, bytearray)
            self.head.extend(bytes(self.tail - len(self.head)))
        return old

    def put_data(self, data: bytes | memoryview) -> None:
        """skb_put_data: append bytes at the tail."""
        old = self.put(len(data))
        self.head[old:self.tail] = data  # type: ignore[index]

    def push(self, n: int) -> int:
        """skb_push: prepend n bytes of header room; returns the new data offset."""
        if n > self.doff:
            # skb_cow_head: reallocate with more headroom (never happens with MAX_HEADER)
            grow = max(n - self.doff, MAX_HEADER)
            self.head = bytearray(grow) + bytes(self.head)
            self.doff += grow
            self.tail += grow
            for attr in ("mac_header", "network_header", "transport_header"):
                if getattr(self, attr) >= 0:
                    setattr(self, attr, getattr(self, attr) + grow)
        self.doff -= n
        return self.doff

    def pull(self, n: int) -> int:
        """skb_pull: drop n bytes from the front; returns the new data offset.

        Raises ValueError when fewer than n bytes are there (pskb_may_pull
        failing: callers drop the packet)."""
        if n > self.tail - self.doff:
            raise ValueError("skb_pull beyond tail")
        self.doff += n
        return self.doff

    def trim(self, length: int) -> None:
        """skb_trim / pskb_trim_rcsum: keep only the first length data bytes."""
        if length < self.tail - self.doff:
            self.tail = self.doff + length

    def view(self) -> memoryview:
        """The data area, without copying."""
        return memoryview(self.head)[self.doff:self.tail]

    def tobytes(self) -> bytes:
        return bytes(self.head[self.doff:self.tail])

    def reset_network_header(self) -> None:
        self.network_header = self.doff

    def reset_transport_header(self) -> None:
        self.transport_header = self.doff

    def reset_mac_header(self) -> None:
        self.mac_header = self.doff

    def network_view(self) -> memoryview:
        return memoryview(self.head)[self.network_header:self.tail]

    def transport_view(self) -> memoryview:
        return memoryview(self.head)[self.transport_header:self.tail]

    def mac_view(self) -> memoryview:
        return memoryview(self.head)[self.mac_header:self.tail]

    def clone(self) -> SkBuff:
        """skb_clone: a new buffer header sharing the same bytes (read-only use)."""
        c = SkBuff(b"", truesize=self.truesize)
        c.head, c.doff, c.tail = self.head, self.doff, self.tail
        c.mac_header, c.network_header, c.transport_header = self.mac_header, self.network_header, self.transport_header
        c.dev, c.protocol, c.pkt_type, c.cb = self.dev, self.protocol, self.pkt_type, dict(self.cb)
        c.tstamp, c.skb_iif, c.mark, c.priority = self.tstamp, self.skb_iif, self.mark, self.priority
        c.ip_summed, c.csum_start, c.csum_offset, c.csum = self.ip_summed, self.csum_start, self.csum_offset, self.csum
        c.gso_size, c.gso_segs = self.gso_size, self.gso_segs
        return c

    def copy(self) -> SkBuff:
        """skb_copy: a clone with its own writable bytes."""
        c = self.clone()
        c.head = bytearray(self.head)
        return c


def skb_checksum_help(skb: SkBuff) -> None:
    """skb_checksum_help: a CHECKSUM_PARTIAL packet gets its real checksum, summed from csum_start with
    the pseudo-header sum ``csum`` and without whatever the field holds (so a clone sharing the bytes
    that already filled them in computes the same value); CHECKSUM_NONE after.  The bytes are
    rewritten in place."""
    if skb.ip_summed != CHECKSUM_PARTIAL:
        return
    from kernel.net.wire.checksum import internet_checksum

    if not isinstance(skb.head, bytearray):
        skb.head = bytearray(skb.head)
    head = skb.head
    start, where = skb.csum_start, skb.csum_start + skb.csum_offset
    if 0 <= start and where + 2 <= skb.tail:
        field = (head[where] << 8) | head[where + 1]
        c = internet_checksum(memoryview(head)[start:skb.tail], skb.csum + 0xFFFF - field)
        head[where] = c >> 8
        head[where + 1] = c & 0xFF
    skb.ip_summed = CHECKSUM_NONE


def skb_rebase(dst: SkBuff, src: SkBuff, base: int) -> None:
    """The offload state of ``src`` on ``dst``, whose head is ``src.head[base:]`` (a driver's copy)."""
    dst.ip_summed = src.ip_summed
    dst.gso_size, dst.gso_segs = src.gso_size, src.gso_segs
    if src.ip_summed == CHECKSUM_PARTIAL:
        dst.csum_start, dst.csum_offset, dst.csum = src.csum_start - base, src.csum_offset, src.csum


def alloc_skb(size: int, headroom: int = MAX_HEADER) -> SkBuff:
    """alloc_skb + skb_reserve(headroom): an empty packet buffer with room for size bytes."""
    skb = SkBuff(b"", truesize=skb_truesize(headroom + size))
    skb.head = bytearray(headroom + size)
    skb.doff = skb.tail = headroom
    return skb


def skb_from_frame(frame: bytes | bytearray, dev: Any = None) -> SkBuff:
    """A received frame as an skb (netdev_alloc_skb + copy): data covers the whole frame."""
    skb = SkBuff(b"", truesize=skb_truesize(len(frame)))
    skb.head = frame
    skb.doff, skb.tail = 0, len(frame)
    skb.dev = dev
    return skb
