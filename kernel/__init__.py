"""socketlab's emulated Linux kernel: pure Python, no gRPC.

Layering follows Linux: ``kernel.syscalls`` (the transports' entry point) →
``kernel.net.socket`` (net/socket.c) → a family's ``proto_ops`` (e.g.
``kernel.net.unix``) → its ``proto``.  ``kernel.host.Host`` is one emulated
machine; ``kernel.process.Process`` one process with its fd table.
"""
