"""The interface ioctls (struct ifreq) of every socket: net/core/dev_ioctl.c and devinet_ioctl.

Every expected byte string and errno was read off the host kernel (Linux
6.18, root) with fcntl.ioctl on real sockets: lo in the host namespace, a
veth pair with addresses and a label alias (v0:1) in a scratch netns
(unshare -n), and the EPERM cases as uid 65534.
"""
from __future__ import annotations

import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.drivers.net.veth import veth_pair
from kernel.net.core.dev import IFF_PROMISC, dev_get_by_name
from kernel.net.ipv4.devinet import inet_insert_ifa

SIOCGIFDSTADDR = 0x8917
SIOCGIFTXQLEN = 0x8942
SIOCGIFMETRIC = 0x891D
GETTERS = [uapi.SIOCGIFINDEX, uapi.SIOCGIFFLAGS, uapi.SIOCGIFMTU, uapi.SIOCGIFHWADDR, SIOCGIFTXQLEN, SIOCGIFMETRIC]
INET_GETTERS = [uapi.SIOCGIFADDR, uapi.SIOCGIFNETMASK, uapi.SIOCGIFBRDADDR, SIOCGIFDSTADDR]
FAMILIES = {"inet": (uapi.AF_INET, uapi.SOCK_DGRAM, 0), "raw": (uapi.AF_INET, uapi.SOCK_RAW, uapi.IPPROTO_ICMP),
            "unix": (uapi.AF_UNIX, uapi.SOCK_DGRAM, 0), "packet": (uapi.AF_PACKET, uapi.SOCK_RAW, 0)}

# what Linux gives for lo (bytes 16.. of the ifreq after the call)
LO_UNION = {
    uapi.SIOCGIFINDEX: "01000000",
    uapi.SIOCGIFFLAGS: "4900",  # UP|LOOPBACK|RUNNING (LOWER_UP does not fit a short)
    uapi.SIOCGIFMTU: "00000100",  # 65536
    uapi.SIOCGIFHWADDR: "0403",  # ARPHRD_LOOPBACK, 00:00:00:00:00:00
    SIOCGIFTXQLEN: "e8030000",
    SIOCGIFMETRIC: "00000000",
    uapi.SIOCGIFADDR: "020000007f000001",
    uapi.SIOCGIFNETMASK: "02000000ff000000",
    uapi.SIOCGIFBRDADDR: "0200000000000000",
    SIOCGIFDSTADDR: "020000007f000001",
}


def ifreq(name: bytes = b"", union: bytes = b"") -> bytes:
    return name.ljust(16, b"\0")[:16] + union.ljust(24, b"\0")


def sin(addr: str) -> bytes:
    return struct.pack("<HH", uapi.AF_INET, 0) + bytes(int(x) for x in addr.split("."))


async def ioctl(rig: Any, fd: int, cmd: int, buf: bytes | None = None, proc: Any = None) -> tuple[str, bytes]:
    args: dict[str, Any] = {"fd": fd, "cmd": cmd}
    if buf is not None:
        args["buf"] = buf
    reply = await rig.call("ioctl", proc, **args)
    return reply.error_name, reply.data


async def sock(rig: Any, kind: str, proc: Any = None) -> int:
    family, type_, proto = FAMILIES[kind]
    return await rig.ok("socket", proc, family=family, type=type_, protocol=proto)


@pytest.fixture
def veth(rig: Any) -> Any:
    """v0 (02:00:00:00:00:01, up) -- v1 (up) with 10.1.0.1/24, 10.1.0.2/24 label v0:1, 10.2.0.1/24 brd +."""
    net = rig.host.netns
    v0, _v1 = veth_pair(net, "v0", net, "v1", addr_a=bytes.fromhex("020000000001"))
    assert inet_insert_ifa(net, v0, 0x0A010001, 24) == 0
    assert inet_insert_ifa(net, v0, 0x0A010002, 24, label="v0:1") == 0
    assert inet_insert_ifa(net, v0, 0x0A020001, 24, broadcast=-1) == 0
    return v0


@pytest.mark.parametrize("kind", list(FAMILIES))
@pytest.mark.parametrize("cmd", GETTERS + INET_GETTERS)
async def test_getters_on_lo(rig: Any, kind: str, cmd: int) -> None:
    fd = await sock(rig, kind)
    err, data = await ioctl(rig, fd, cmd, ifreq(b"lo"))
    if kind == "unix" and cmd in INET_GETTERS:
        assert (err, data) == ("ENOTTY", ifreq(b"lo"))  # dev_ioctl has no case for them
        return
    assert err == ""
    assert data == ifreq(b"lo", bytes.fromhex(LO_UNION[cmd]))
    err, data = await ioctl(rig, fd, cmd, ifreq(b"bogus0"))
    assert (err, data) == ("ENODEV", ifreq(b"bogus0"))  # nothing copied back on failure


@pytest.mark.parametrize("kind", list(FAMILIES))
async def test_siocgifname(rig: Any, kind: str) -> None:
    fd = await sock(rig, kind)
    assert await ioctl(rig, fd, uapi.SIOCGIFNAME, ifreq(b"", struct.pack("<i", 1))) == (
        "", ifreq(b"lo", struct.pack("<i", 1)))
    for index in (0, -1, 999):
        assert (await ioctl(rig, fd, uapi.SIOCGIFNAME, ifreq(b"", struct.pack("<i", index))))[0] == "ENODEV"
    # strcpy: the name and its NUL over what was there, the rest kept
    err, data = await ioctl(rig, fd, uapi.SIOCGIFNAME, ifreq(b"x" * 15, struct.pack("<i", 1)))
    assert data[:16] == b"lo\0" + b"x" * 12 + b"\0"


@pytest.mark.parametrize("kind", list(FAMILIES))
async def test_efault(rig: Any, kind: str) -> None:
    """No buffer (argp is an int: NULL) or one shorter than struct ifreq: EFAULT, before any other check."""
    fd = await sock(rig, kind)
    user = rig.host.spawn(uid=1000, caps=[uapi.CAP_NET_RAW])  # raw and packet sockets need it to exist
    ufd = await sock(rig, kind, user)
    for cmd in GETTERS + INET_GETTERS + [uapi.SIOCGIFNAME, uapi.SIOCSIFFLAGS, uapi.SIOCSIFMTU]:
        assert (await ioctl(rig, fd, cmd))[0] == "EFAULT"
        assert (await ioctl(rig, fd, cmd, ifreq(b"lo")[:39]))[0] == "EFAULT"
        assert (await ioctl(rig, ufd, cmd, proc=user))[0] == "EFAULT"


async def test_name_rules(rig: Any) -> None:
    fd = await sock(rig, "inet")
    # ifr_name[15] is forced to NUL (and copied back so); an alias is cut at the colon for the lookup
    assert await ioctl(rig, fd, uapi.SIOCGIFINDEX, b"lo\0" + b"x" * 13 + bytes(24)) == (
        "", b"lo\0" + b"x" * 12 + b"\0" + struct.pack("<i", 1) + bytes(20))
    assert await ioctl(rig, fd, uapi.SIOCGIFINDEX, ifreq(b"lo:1")) == ("", ifreq(b"lo:1", struct.pack("<i", 1)))
    # ... but the IPv4 getters match the label: lo has no lo:1 address
    assert (await ioctl(rig, fd, uapi.SIOCGIFADDR, ifreq(b"lo:1")))[0] == "EADDRNOTAVAIL"
    assert (await ioctl(rig, fd, uapi.SIOCGIFADDR, ifreq(b"lo", sin("1.2.3.4"))))[0] == ""  # 4.3BSD fallback
    ufd = await sock(rig, "unix")
    assert (await ioctl(rig, ufd, uapi.SIOCGIFADDR, ifreq(b"lo:1")))[0] == "ENOTTY"


async def test_not_a_socket(rig: Any) -> None:
    ep = await rig.ok("epoll_create1", flags=0)
    for fd in (0, ep):  # /dev/null, an epoll file
        assert (await ioctl(rig, fd, uapi.SIOCGIFINDEX, ifreq(b"lo")))[0] == "ENOTTY"
    assert (await ioctl(rig, 99, uapi.SIOCGIFINDEX, ifreq(b"lo")))[0] == "EBADF"


async def test_inet_addresses(rig: Any, veth: Any) -> None:
    for kind in ("inet", "packet"):
        fd = await sock(rig, kind)
        assert await ioctl(rig, fd, uapi.SIOCGIFHWADDR, ifreq(b"v0")) == (
            "", ifreq(b"v0", bytes.fromhex("0100020000000001")))
        assert await ioctl(rig, fd, uapi.SIOCGIFADDR, ifreq(b"v0")) == ("", ifreq(b"v0", sin("10.1.0.1")))
        assert await ioctl(rig, fd, uapi.SIOCGIFADDR, ifreq(b"v0:1")) == ("", ifreq(b"v0:1", sin("10.1.0.2")))
        assert await ioctl(rig, fd, uapi.SIOCGIFBRDADDR, ifreq(b"v0")) == ("", ifreq(b"v0", sin("0.0.0.0")))
        # an AF_INET ifr_addr picks the address with that local (4.4BSD)
        assert await ioctl(rig, fd, uapi.SIOCGIFADDR, ifreq(b"v0", sin("10.2.0.1"))) == (
            "", ifreq(b"v0", sin("10.2.0.1")))
        assert await ioctl(rig, fd, uapi.SIOCGIFBRDADDR, ifreq(b"v0", sin("10.2.0.1"))) == (
            "", ifreq(b"v0", sin("10.2.0.255")))
        assert (await ioctl(rig, fd, uapi.SIOCGIFADDR, ifreq(b"v0:9")))[0] == "EADDRNOTAVAIL"
        # only the 16 bytes of the sockaddr_in are rewritten
        assert await ioctl(rig, fd, uapi.SIOCGIFADDR, ifreq(b"v0", b"\xff" * 24)) == (
            "", ifreq(b"v0", sin("10.1.0.1") + bytes(8) + b"\xff" * 8))


async def test_no_address(rig: Any) -> None:
    net = rig.host.netns
    veth_pair(net, "a0", net, "a1")
    fd = await sock(rig, "inet")
    for cmd in INET_GETTERS:
        assert (await ioctl(rig, fd, cmd, ifreq(b"a0")))[0] == "EADDRNOTAVAIL"


@pytest.mark.parametrize("kind", ["inet", "unix"])
async def test_setters_need_cap_net_admin(rig: Any, kind: str) -> None:
    user = rig.host.spawn(uid=1000)
    fd = await sock(rig, kind, user)
    for name in (b"lo", b"bogus0"):
        assert (await ioctl(rig, fd, uapi.SIOCSIFFLAGS, ifreq(name, struct.pack("<h", 0x49)), user))[0] == "EPERM"
        assert (await ioctl(rig, fd, uapi.SIOCSIFMTU, ifreq(name, struct.pack("<i", 1500)), user))[0] == "EPERM"
    # the getters need nothing
    assert (await ioctl(rig, fd, uapi.SIOCGIFFLAGS, ifreq(b"lo"), user))[0] == ""
    root = await sock(rig, kind)
    assert (await ioctl(rig, root, uapi.SIOCSIFFLAGS, ifreq(b"bogus0", struct.pack("<h", 0x49))))[0] == "ENODEV"
    assert (await ioctl(rig, root, uapi.SIOCSIFMTU, ifreq(b"bogus0", struct.pack("<i", 1500))))[0] == "ENODEV"


@pytest.mark.parametrize("kind", ["inet", "unix", "packet"])
async def test_siocsifflags(rig: Any, veth: Any, kind: str) -> None:
    fd = await sock(rig, kind)

    async def setflags(flags: int, name: bytes = b"v0") -> str:
        err, data = await ioctl(rig, fd, uapi.SIOCSIFFLAGS, ifreq(name, struct.pack("<h", flags)))
        assert data == ifreq(name, struct.pack("<h", flags))  # a setter copies nothing back
        return err

    async def getflags() -> int:
        err, data = await ioctl(rig, fd, uapi.SIOCGIFFLAGS, ifreq(b"v0"))
        assert err == ""
        return struct.unpack_from("<H", data, 16)[0]

    assert await getflags() == 0x1043
    assert await setflags(0x1C3) == ""  # + PROMISC + NOARP, - MULTICAST
    assert await getflags() == 0x1C3
    assert veth.flags & IFF_PROMISC and veth.promiscuity == 1
    assert await setflags(0x1043) == ""
    assert await getflags() == 0x1043
    assert veth.promiscuity == 0
    assert await setflags(0x1002) == ""  # down
    assert await getflags() == 0x1002
    assert await setflags(0x0008) == ""  # LOOPBACK is the driver's: ignored
    assert await getflags() == 0x0002
    assert await setflags(0x0001) == ""  # up
    assert await getflags() == 0x0043


async def test_siocsifflags_alias(rig: Any, veth: Any) -> None:
    """On an inet socket SIOCSIFFLAGS of an alias label can only take its address away."""
    fd = await sock(rig, "inet")
    assert (await ioctl(rig, fd, uapi.SIOCSIFFLAGS, ifreq(b"v0:1", struct.pack("<h", 0))))[0] == ""
    assert [a.label for a in veth.ip_ptr.ifa_list] == ["v0", "v0"]
    assert veth.flags & 1  # the device stays up
    assert (await ioctl(rig, fd, uapi.SIOCSIFFLAGS, ifreq(b"v0:9", struct.pack("<h", 0))))[0] == "EADDRNOTAVAIL"
    assert (await ioctl(rig, fd, uapi.SIOCSIFFLAGS, ifreq(b"v0:1", struct.pack("<h", 1))))[0] == "EADDRNOTAVAIL"


async def test_packet_membership_promisc_not_in_flags(rig: Any, veth: Any) -> None:
    fd = await sock(rig, "packet")
    mreq = struct.pack("<iHH8s", veth.ifindex, uapi.PACKET_MR_PROMISC, 0, b"")
    assert await rig.ok("setsockopt", fd=fd, level=uapi.SOL_PACKET, optname=uapi.PACKET_ADD_MEMBERSHIP,
                        optval=mreq) == 0
    assert veth.promiscuity == 1
    err, data = await ioctl(rig, fd, uapi.SIOCGIFFLAGS, ifreq(b"v0"))
    assert struct.unpack_from("<H", data, 16)[0] == 0x1043  # dev_get_flags shows the user's (gflags) only


async def test_siocsifmtu(rig: Any, veth: Any) -> None:
    fd = await sock(rig, "unix")
    for mtu in (10, 67, 70000, -1):  # veth: 68..65535
        assert (await ioctl(rig, fd, uapi.SIOCSIFMTU, ifreq(b"v0", struct.pack("<i", mtu))))[0] == "EINVAL"
    assert (await ioctl(rig, fd, uapi.SIOCSIFMTU, ifreq(b"v0", struct.pack("<i", 68))))[0] == ""
    assert veth.mtu == 68
    assert (await ioctl(rig, fd, uapi.SIOCSIFMTU, ifreq(b"v0:1", struct.pack("<i", 1400))))[0] == ""
    assert await ioctl(rig, fd, uapi.SIOCGIFMTU, ifreq(b"v0")) == ("", ifreq(b"v0", struct.pack("<i", 1400)))
    lo = dev_get_by_name(rig.host.netns, "lo")
    assert lo is not None
    assert (await ioctl(rig, fd, uapi.SIOCSIFMTU, ifreq(b"lo", struct.pack("<i", -1))))[0] == "EINVAL"


async def test_int_ioctls_unchanged(rig: Any) -> None:
    """FIONREAD & co. keep their int cell; a buffer passed along is left as it was."""
    fd = await sock(rig, "inet")
    reply = await rig.call("ioctl", fd=fd, cmd=uapi.FIONREAD, buf=b"\xaa" * 8)
    assert (reply.ret, reply.value, reply.data) == (0, 0, b"\xaa" * 8)
    assert (await ioctl(rig, fd, 0x89FE, ifreq(b"lo")))[0] == "ENOTTY"
