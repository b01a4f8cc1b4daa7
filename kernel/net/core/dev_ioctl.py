"""net/core/dev_ioctl.c: the interface ioctls every socket answers (struct ifreq).

``sock_do_ioctl`` (kernel.net.socket) first offers an ifreq command to the
family (inet and packet sockets take the IPv4 address ones to
``devinet_ioctl``); what the family leaves (-ENOIOCTLCMD) comes here:

=============  ===========================================================
SIOCGIFNAME    ifr_ifindex -> ifr_name (ENODEV for an unknown index)
SIOCGIFINDEX   ifr_name -> ifr_ifindex
SIOCGIFFLAGS   ifr_flags (short): dev_get_flags
SIOCGIFMTU     ifr_mtu
SIOCGIFHWADDR  ifr_hwaddr: sa_family = ARPHRD_*, sa_data = the address
SIOCGIFTXQLEN  ifr_qlen
SIOCGIFMETRIC  ifr_metric (always 0)
SIOCSIFFLAGS   CAP_NET_ADMIN (EPERM), dev_change_flags
SIOCSIFMTU     CAP_NET_ADMIN (EPERM), dev_set_mtu (EINVAL out of range)
=============  ===========================================================

A name is looked up as Linux does: ``ifr_name[IFNAMSIZ-1]`` is forced to NUL
(and written back so), an alias suffix (``lo:1``) is cut at the colon for the
lookup and put back; an unknown name is ENODEV.  The IPv4 address commands
(SIOCGIFADDR ...) on any other family are ENOTTY, as Linux's dev_ioctl has
no case for them.  SIOCGIFCONF is not modelled (its struct ifconf holds a
second user pointer).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.dev import (
    NetDevice,
    dev_change_flags,
    dev_get_by_index,
    dev_get_by_name,
    dev_get_flags,
    dev_set_mtu,
)

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net
    from kernel.process import Process

ENOIOCTLCMD = 515  # kernel-internal (include/linux/errno.h): "not mine", the socket layer goes on

SIOCGIFMETRIC = 0x891D
SIOCGIFDSTADDR = 0x8917
SIOCGIFTXQLEN = 0x8942
SIZEOF_IFREQ = 40  # x86_64: char ifr_name[16] + a 24-byte union (struct ifmap is the largest)
SIZEOF_SOCKADDR = 16

#: The commands that take a struct ifreq and that this kernel models.
IFREQ_CMDS = frozenset({
    uapi.SIOCGIFNAME, uapi.SIOCGIFINDEX, uapi.SIOCGIFFLAGS, uapi.SIOCSIFFLAGS, uapi.SIOCGIFMTU, uapi.SIOCSIFMTU,
    uapi.SIOCGIFHWADDR, SIOCGIFTXQLEN, SIOCGIFMETRIC,
    uapi.SIOCGIFADDR, uapi.SIOCGIFBRDADDR, uapi.SIOCGIFNETMASK, SIOCGIFDSTADDR,
})


class Ifreq:
    """struct ifreq as the kernel holds it after get_user_ifreq: a mutable 40-byte copy."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = bytearray(raw[:SIZEOF_IFREQ].ljust(SIZEOF_IFREQ, b"\0"))

    @property
    def name(self) -> str:
        """ifr_name up to its NUL (bytes that are no UTF-8 match no device)."""
        return bytes(self.raw[: uapi.IFNAMSIZ]).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")

    def set_name(self, name: str) -> None:
        """strcpy(ifr_name, name): the name and its NUL, the rest left as it was."""
        raw = name.encode("utf-8", "surrogateescape")[: uapi.IFNAMSIZ - 1] + b"\0"
        self.raw[: len(raw)] = raw

    def terminate_name(self) -> None:
        """ifr_name[IFNAMSIZ - 1] = 0."""
        self.raw[uapi.IFNAMSIZ - 1] = 0

    def split_alias(self) -> int:
        """strchr(ifr_name, ':') = 0: the colon's offset (-1 if none), to put it back later."""
        name = bytes(self.raw[: uapi.IFNAMSIZ]).split(b"\0", 1)[0]
        colon = name.find(b":")
        if colon >= 0:
            self.raw[colon] = 0
        return colon

    def put_alias(self, colon: int) -> None:
        if colon >= 0:
            self.raw[colon] = ord(":")

    def get_int(self) -> int:
        """ifr_ifindex / ifr_mtu / ifr_metric / ifr_qlen (an int at the union)."""
        return int(struct.unpack_from("<i", self.raw, uapi.IFNAMSIZ)[0])

    def set_int(self, value: int) -> None:
        struct.pack_into("<i", self.raw, uapi.IFNAMSIZ, value)

    def get_short(self) -> int:
        """ifr_flags (a short)."""
        return int(struct.unpack_from("<h", self.raw, uapi.IFNAMSIZ)[0])

    def set_short(self, value: int) -> None:
        struct.pack_into("<H", self.raw, uapi.IFNAMSIZ, value & 0xFFFF)

    def get_sockaddr(self) -> bytes:
        """ifr_addr (struct sockaddr, 16 bytes)."""
        return bytes(self.raw[uapi.IFNAMSIZ: uapi.IFNAMSIZ + SIZEOF_SOCKADDR])

    def set_sockaddr(self, raw: bytes) -> None:
        self.raw[uapi.IFNAMSIZ: uapi.IFNAMSIZ + len(raw)] = raw


def dev_ifname(net: Net, ifr: Ifreq) -> int:
    """dev_ifname / netdev_get_name: ifr_ifindex -> ifr_name."""
    ifr.terminate_name()
    dev = dev_get_by_index(net, ifr.get_int())
    if dev is None:
        return -uapi.ENODEV
    ifr.set_name(dev.name)
    return 0


def dev_get_mac_address(dev: NetDevice, ifr: Ifreq) -> int:
    """dev_get_mac_address: sa_family = dev->type, sa_data = the address (14 bytes at most)."""
    size = SIZEOF_SOCKADDR - 2
    if not dev.dev_addr:
        data = bytes(size)
    else:
        data = dev.dev_addr[:size]
    ifr.set_sockaddr(struct.pack("<H", dev.type & 0xFFFF) + data)
    return 0


def dev_ifsioc_locked(net: Net, ifr: Ifreq, cmd: int) -> int:
    """The getters anyone may call."""
    dev = dev_get_by_name(net, ifr.name)
    if dev is None:
        return -uapi.ENODEV
    if cmd == uapi.SIOCGIFFLAGS:
        ifr.set_short(dev_get_flags(dev))
    elif cmd == SIOCGIFMETRIC:
        ifr.set_int(0)
    elif cmd == uapi.SIOCGIFMTU:
        ifr.set_int(dev.mtu)
    elif cmd == uapi.SIOCGIFINDEX:
        ifr.set_int(dev.ifindex)
    elif cmd == SIOCGIFTXQLEN:
        ifr.set_int(dev.tx_queue_len)
    elif cmd == uapi.SIOCGIFHWADDR:
        return dev_get_mac_address(dev, ifr)
    else:
        return -uapi.ENOTTY
    return 0


def dev_ifsioc(net: Net, ifr: Ifreq, cmd: int) -> int:
    """The setters (the caller's CAP_NET_ADMIN is checked already)."""
    dev = dev_get_by_name(net, ifr.name)
    if dev is None:
        return -uapi.ENODEV
    if cmd == uapi.SIOCSIFFLAGS:
        # (short) ifr_flags widened to unsigned int, as dev_change_flags(dev, ifr->ifr_flags) does
        return dev_change_flags(dev, ifr.get_short() & 0xFFFFFFFF)
    if cmd == uapi.SIOCSIFMTU:
        return dev_set_mtu(dev, ifr.get_int())
    return -uapi.ENOTTY


def dev_ioctl(proc: Process, net: Net, cmd: int, ifr: Ifreq) -> tuple[int, bool]:
    """dev_ioctl: (result, need_copyout) -- the setters copy nothing back."""
    if cmd == uapi.SIOCGIFNAME:
        return dev_ifname(net, ifr), True
    ifr.terminate_name()
    colon = ifr.split_alias()
    if cmd in (uapi.SIOCGIFFLAGS, SIOCGIFMETRIC, uapi.SIOCGIFMTU, uapi.SIOCGIFHWADDR, uapi.SIOCGIFINDEX,
               SIOCGIFTXQLEN):
        ret = dev_ifsioc_locked(net, ifr, cmd)
        ifr.put_alias(colon)
        return ret, True
    if cmd in (uapi.SIOCSIFFLAGS, uapi.SIOCSIFMTU):
        if not proc.capable(uapi.CAP_NET_ADMIN):
            return -uapi.EPERM, False
        return dev_ifsioc(net, ifr, cmd), False
    return -uapi.ENOTTY, True
