"""A NIC whose wire is a Linux TAP device: real programs on the machine talk to the emulated host.

``tap_newlink(host, name, mtu=1500, mac=None, *, up=True) -> NetDevice``
registers an Ethernet NIC without carrier (nothing is plugged in yet).  The
daemon side (server/tap_io.py, root only) opens the TAP file descriptor and
calls ``tap_attach(dev, write)``: ``write(frame) -> bool`` puts one frame on
the TAP (False when the TAP's queue is full: the frame is dropped and
counted in tx_dropped / tx_fifo_errors); the carrier comes on.  Frames the
Linux side sends arrive through ``tap_rx(dev, frame)`` (MTU and up checks as
a veth peer: counted in rx_dropped).  ``tap_detach(dev)`` when the fd
closes: carrier off.

The driver is the peer-link driver with another kind name: the device layer
does not care whether the cable is a gRPC stream or a file descriptor.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.drivers.net.peerlink import (
    PeerlinkPriv,
    peerlink_attach,
    peerlink_detach,
    peerlink_newlink,
    peerlink_rx,
)
from kernel.net.core.dev import NetDevice


class TapPriv(PeerlinkPriv):
    """A peer link whose far end is a TAP file descriptor."""


def is_tap(dev: NetDevice | None) -> bool:
    return dev is not None and isinstance(dev.priv, TapPriv)


def tap_newlink(host: Any, name: str, mtu: int = 1500, mac: bytes | None = None, *, up: bool = True) -> NetDevice:
    """ip link add NAME type tap (emulated side): an up NIC without carrier; OSError(errno) on a bad name."""
    dev = peerlink_newlink(host, name, mtu=mtu, mac=mac, up=up)
    dev.priv = TapPriv()
    return dev


def tap_attach(dev: NetDevice, write: Callable[[bytes], bool]) -> None:
    """The TAP fd is open: frames go to ``write``; carrier on."""
    if not is_tap(dev):
        raise TypeError(f"{dev.name} is not a TAP NIC")
    peerlink_attach(dev, write)


def tap_detach(dev: NetDevice) -> None:
    """The TAP fd closed: carrier off."""
    peerlink_detach(dev)


def tap_rx(dev: NetDevice, frame: bytes) -> int:
    """A frame from the Linux side (NET_RX_SUCCESS / NET_RX_DROP)."""
    return peerlink_rx(dev, frame)
