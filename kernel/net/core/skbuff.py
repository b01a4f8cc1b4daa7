"""struct sk_buff, as far as socket queues need it.

A buffer carries its bytes, how much of them a stream reader already took
(``consumed``), the sender's credentials (its address is read from the owner ``sk`` at receive time), passed files
(SCM_RIGHTS), and ``truesize``: the memory charged to its owner socket
(sk_wmem_alloc for AF_UNIX) until it is freed.  ``skb_truesize`` reproduces
Linux's SKB_TRUESIZE on x86_64 (kmalloc buckets + struct sk_buff + page frags)
so buffer-full points match the reference kernel.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kernel.fs.file import File

PAGE_SIZE = 4096
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


class SkBuff:
    """A packet buffer on a socket queue."""

    __slots__ = ("data", "consumed", "cred", "fp", "truesize", "destructor", "sk", "oob", "embryo", "fp_release", "peeked")

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
