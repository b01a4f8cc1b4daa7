"""The daemon side of a TAP NIC: the Linux TAP file descriptor, read and written on the asyncio loop.

``attach_tap(dev, ifname, *, netns=None) -> TapIO`` opens ``/dev/net/tun``,
creates (or takes) the Linux TAP device ``ifname`` (IFF_TAP | IFF_NO_PI: bare
Ethernet frames) -- inside the named network namespace ``netns``
(/run/netns/NAME, as ``ip netns add`` makes it) when given, else in the
daemon's own -- and wires it to ``dev`` (a kernel.drivers.net.tap NIC):

- each frame the Linux side sends is read (non-blocking, by ``add_reader``)
  and handed to ``tap_rx``;
- each frame the emulated host transmits on ``dev`` is written to the fd at
  once; when the TAP's queue is full (EAGAIN) the frame is dropped and
  counted (``dev.stats.tx_dropped``, ``TapIO.stats['tx_full']``), nothing
  buffers without bound.

Root only: without CAP_NET_ADMIN (euid 0 here) a ``PermissionError`` says so
before anything is touched; a missing /dev/net/tun or a refused TUNSETIFF is
an ``OSError`` naming the device and the reason.  ``TapIO.close()`` stops
reading, closes the fd (a non-persistent TAP disappears) and takes the
carrier down.  The Linux side must bring its end up and address it
(``ip link set IFNAME up``; ``ip addr add ...``).
"""
from __future__ import annotations

import asyncio
import ctypes
import errno
import fcntl
import os
import struct
import threading
from dataclasses import dataclass, field

from kernel.drivers.net.tap import is_tap, tap_attach, tap_detach, tap_rx
from kernel.net.core.dev import NetDevice

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
IFNAMSIZ = 16
READ_BURST = 64  # frames read per readiness callback, so one busy TAP cannot starve the loop


def _open_tun(ifname: str) -> int:
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot open /dev/net/tun for TAP {ifname!r}: {exc.strerror}") from None
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", ifname.encode(), IFF_TAP | IFF_NO_PI))
    except OSError as exc:
        os.close(fd)
        raise OSError(exc.errno, f"TUNSETIFF {ifname!r} (IFF_TAP) refused: {exc.strerror}") from None
    return fd


def _open_tun_in_netns(ifname: str, netns: str) -> int:
    """Open the TAP from a thread that joined ``netns`` (network namespaces are per thread)."""
    path = netns if "/" in netns else f"/run/netns/{netns}"
    result: dict[str, object] = {}

    def work() -> None:
        try:
            ns_fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            result["error"] = OSError(exc.errno, f"network namespace {netns!r}: {exc.strerror}")
            return
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(ns_fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                result["error"] = OSError(err, f"setns into {netns!r}: {os.strerror(err)}")
                return
            result["fd"] = _open_tun(ifname)
        except OSError as exc:
            result["error"] = exc
        finally:
            os.close(ns_fd)

    t = threading.Thread(target=work, name=f"tap-open-{ifname}")
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return int(result["fd"])  # type: ignore[call-overload]


@dataclass(eq=False)
class TapIO:
    """An open TAP fd wired to an emulated NIC."""

    dev: NetDevice
    ifname: str
    fd: int
    loop: asyncio.AbstractEventLoop
    stats: dict[str, int] = field(default_factory=lambda: {"rx_frames": 0, "tx_frames": 0, "tx_full": 0,
                                                           "errors": 0})
    closed: bool = False

    def write(self, frame: bytes) -> bool:
        """The NIC's send: one frame to the TAP, False (dropped) when its queue is full."""
        if self.closed:
            return False
        try:
            os.write(self.fd, frame)
        except BlockingIOError:
            self.stats["tx_full"] += 1
            return False
        except OSError:
            self.stats["errors"] += 1
            return False
        self.stats["tx_frames"] += 1
        return True

    def _readable(self) -> None:
        for _ in range(READ_BURST):
            try:
                frame = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            except OSError as exc:
                self.stats["errors"] += 1
                if exc.errno in (errno.EBADFD, errno.EBADF, errno.EIO):
                    self.close()
                return
            if not frame:
                return
            self.stats["rx_frames"] += 1
            tap_rx(self.dev, frame)

    def close(self) -> None:
        """Stop reading, close the fd, carrier off (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self.loop.remove_reader(self.fd)
        os.close(self.fd)
        tap_detach(self.dev)


def attach_tap(dev: NetDevice, ifname: str, *, netns: str | None = None) -> TapIO:
    """Open TAP ``ifname`` (in ``netns`` if given) and wire it to ``dev``; must run on the daemon's loop."""
    if not is_tap(dev):
        raise TypeError(f"{dev.name} is not a TAP NIC (kernel.drivers.net.tap.tap_newlink)")
    if not ifname or len(ifname) >= IFNAMSIZ:
        raise ValueError(f"bad TAP interface name {ifname!r} (1 to {IFNAMSIZ - 1} characters)")
    if os.geteuid() != 0:
        raise PermissionError(errno.EPERM, f"attaching {dev.name} to the Linux TAP device {ifname!r} needs root "
                                           "(CAP_NET_ADMIN); run socketlabd as root or leave the NIC unattached")
    loop = asyncio.get_running_loop()
    fd = _open_tun_in_netns(ifname, netns) if netns else _open_tun(ifname)
    io = TapIO(dev, ifname, fd, loop)
    loop.add_reader(fd, io._readable)
    tap_attach(dev, io.write)
    return io
