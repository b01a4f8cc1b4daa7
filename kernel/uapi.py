"""Linux user-space ABI constants (include/uapi/linux/*): the values Linux uses.

Only numbers live here; no behaviour.  Every other module imports its
AF_*, SOCK_*, SOL_*, SO_*, MSG_*, SCM_*, errno and SYS_* values from this file
so that the emulated kernel speaks exactly the ABI of x86_64 Linux.
"""
from __future__ import annotations

import errno as _errno
from typing import Final

# --- errno (asm-generic/errno-base.h, errno.h): re-exported by name -------
EPERM: Final = _errno.EPERM
ENOENT: Final = _errno.ENOENT
EINTR: Final = _errno.EINTR
EIO: Final = _errno.EIO
EBADF: Final = _errno.EBADF
EAGAIN: Final = _errno.EAGAIN
ENOMEM: Final = _errno.ENOMEM
EACCES: Final = _errno.EACCES
EFAULT: Final = _errno.EFAULT
EEXIST: Final = _errno.EEXIST
ENOTDIR: Final = _errno.ENOTDIR
EISDIR: Final = _errno.EISDIR
EINVAL: Final = _errno.EINVAL
ENFILE: Final = _errno.ENFILE
EMFILE: Final = _errno.EMFILE
ENOTTY: Final = _errno.ENOTTY
ENODEV: Final = _errno.ENODEV
ESRCH: Final = _errno.ESRCH
ENOSPC: Final = _errno.ENOSPC
EPIPE: Final = _errno.EPIPE
EDOM: Final = _errno.EDOM
ENAMETOOLONG: Final = _errno.ENAMETOOLONG
ENOSYS: Final = _errno.ENOSYS
ELOOP: Final = _errno.ELOOP
ENOTSOCK: Final = _errno.ENOTSOCK
EDESTADDRREQ: Final = _errno.EDESTADDRREQ
EMSGSIZE: Final = _errno.EMSGSIZE
EPROTOTYPE: Final = _errno.EPROTOTYPE
ENOPROTOOPT: Final = _errno.ENOPROTOOPT
EPROTONOSUPPORT: Final = _errno.EPROTONOSUPPORT
ESOCKTNOSUPPORT: Final = _errno.ESOCKTNOSUPPORT
EOPNOTSUPP: Final = _errno.EOPNOTSUPP
EAFNOSUPPORT: Final = _errno.EAFNOSUPPORT
EADDRINUSE: Final = _errno.EADDRINUSE
EADDRNOTAVAIL: Final = _errno.EADDRNOTAVAIL
ENETDOWN: Final = _errno.ENETDOWN
ENETUNREACH: Final = _errno.ENETUNREACH
ECONNABORTED: Final = _errno.ECONNABORTED
ECONNRESET: Final = _errno.ECONNRESET
ENOBUFS: Final = _errno.ENOBUFS
EISCONN: Final = _errno.EISCONN
ENOTCONN: Final = _errno.ENOTCONN
ETIMEDOUT: Final = _errno.ETIMEDOUT
ECONNREFUSED: Final = _errno.ECONNREFUSED
EHOSTUNREACH: Final = _errno.EHOSTUNREACH
EALREADY: Final = _errno.EALREADY
EINPROGRESS: Final = _errno.EINPROGRESS
EWOULDBLOCK: Final = EAGAIN
EBUSY: Final = _errno.EBUSY
ENXIO: Final = _errno.ENXIO
ENOPKG: Final = _errno.ENOPKG
EHOSTDOWN: Final = _errno.EHOSTDOWN
ENONET: Final = _errno.ENONET
EBADMSG: Final = _errno.EBADMSG
ENOMSG: Final = _errno.ENOMSG
EPROTO: Final = _errno.EPROTO
ERANGE: Final = _errno.ERANGE
ENOSR: Final = _errno.ENOSR


def errno_name(number: int) -> str:
    """The symbolic name of a (positive) errno, as glibc's errno.h spells it."""
    if number == EAGAIN:
        return "EAGAIN"
    if number == EOPNOTSUPP:
        return "EOPNOTSUPP"
    return _errno.errorcode.get(number, f"E{number}")


# --- address families (linux/socket.h) -------------------------------------
AF_UNSPEC: Final = 0
AF_UNIX: Final = 1
AF_LOCAL: Final = AF_UNIX
AF_INET: Final = 2
AF_INET6: Final = 10
AF_NETLINK: Final = 16
AF_PACKET: Final = 17
AF_MAX: Final = 46
NPROTO: Final = AF_MAX

# --- socket types (linux/net.h) ---------------------------------------------
SOCK_STREAM: Final = 1
SOCK_DGRAM: Final = 2
SOCK_RAW: Final = 3
SOCK_RDM: Final = 4
SOCK_SEQPACKET: Final = 5
SOCK_DCCP: Final = 6
SOCK_PACKET: Final = 10
SOCK_MAX: Final = SOCK_PACKET + 1
SOCK_TYPE_MASK: Final = 0xF
SOCK_CLOEXEC: Final = 0o2000000
SOCK_NONBLOCK: Final = 0o4000

# --- file flags and fcntl (asm-generic/fcntl.h) -----------------------------
O_RDWR: Final = 0o2
O_NONBLOCK: Final = 0o4000
O_ASYNC: Final = 0o20000
O_CLOEXEC: Final = 0o2000000
F_DUPFD: Final = 0
F_GETFD: Final = 1
F_SETFD: Final = 2
F_GETFL: Final = 3
F_SETFL: Final = 4
F_SETOWN: Final = 8
F_GETOWN: Final = 9
F_DUPFD_CLOEXEC: Final = 1030
FD_CLOEXEC: Final = 1

# --- ioctl (asm-generic/ioctls.h, linux/sockios.h) ---------------------------
FIONREAD: Final = 0x541B
FIONBIO: Final = 0x5421
FIOASYNC: Final = 0x5452
SIOCINQ: Final = FIONREAD
SIOCOUTQ: Final = 0x5411
SIOCATMARK: Final = 0x8905
SIOCOUTQNSD: Final = 0x894B

# --- poll (uapi/asm-generic/poll.h, eventpoll.h) ----------------------------
POLLIN: Final = 0x001
POLLPRI: Final = 0x002
POLLOUT: Final = 0x004
POLLERR: Final = 0x008
POLLHUP: Final = 0x010
POLLNVAL: Final = 0x020
POLLRDNORM: Final = 0x040
POLLRDBAND: Final = 0x080
POLLWRNORM: Final = 0x100
POLLWRBAND: Final = 0x200
POLLMSG: Final = 0x400
POLLRDHUP: Final = 0x2000
EPOLLIN: Final = POLLIN
EPOLLPRI: Final = POLLPRI
EPOLLOUT: Final = POLLOUT
EPOLLERR: Final = POLLERR
EPOLLHUP: Final = POLLHUP
EPOLLRDNORM: Final = POLLRDNORM
EPOLLRDBAND: Final = POLLRDBAND
EPOLLWRNORM: Final = POLLWRNORM
EPOLLWRBAND: Final = POLLWRBAND
EPOLLMSG: Final = POLLMSG
EPOLLRDHUP: Final = POLLRDHUP
EPOLLEXCLUSIVE: Final = 1 << 28
EPOLLWAKEUP: Final = 1 << 29
EPOLLONESHOT: Final = 1 << 30
EPOLLET: Final = 1 << 31
EPOLL_CTL_ADD: Final = 1
EPOLL_CTL_DEL: Final = 2
EPOLL_CTL_MOD: Final = 3
EPOLL_CLOEXEC: Final = O_CLOEXEC

# --- socket levels and SOL_SOCKET options (asm-generic/socket.h) ------------
SOL_SOCKET: Final = 1
SOL_IP: Final = 0
SOL_TCP: Final = 6
SOL_UDP: Final = 17
SOL_RAW: Final = 255
SOL_PACKET: Final = 263

SO_DEBUG: Final = 1
SO_REUSEADDR: Final = 2
SO_TYPE: Final = 3
SO_ERROR: Final = 4
SO_DONTROUTE: Final = 5
SO_BROADCAST: Final = 6
SO_SNDBUF: Final = 7
SO_RCVBUF: Final = 8
SO_KEEPALIVE: Final = 9
SO_OOBINLINE: Final = 10
SO_NO_CHECK: Final = 11
SO_PRIORITY: Final = 12
SO_LINGER: Final = 13
SO_BSDCOMPAT: Final = 14
SO_REUSEPORT: Final = 15
SO_PASSCRED: Final = 16
SO_PEERCRED: Final = 17
SO_RCVLOWAT: Final = 18
SO_SNDLOWAT: Final = 19
SO_RCVTIMEO_OLD: Final = 20
SO_SNDTIMEO_OLD: Final = 21
SO_RCVTIMEO: Final = SO_RCVTIMEO_OLD
SO_SNDTIMEO: Final = SO_SNDTIMEO_OLD
SO_BINDTODEVICE: Final = 25
SO_TIMESTAMP: Final = 29
SO_ACCEPTCONN: Final = 30
SO_PEERSEC: Final = 31
SO_SNDBUFFORCE: Final = 32
SO_RCVBUFFORCE: Final = 33
SO_PASSSEC: Final = 34
SO_MARK: Final = 36
SO_PROTOCOL: Final = 38
SO_DOMAIN: Final = 39
SO_RXQ_OVFL: Final = 40
SO_PEEK_OFF: Final = 42
SO_BUSY_POLL: Final = 46
SO_INCOMING_CPU: Final = 49
SO_COOKIE: Final = 57
SO_PEERGROUPS: Final = 59
SO_BINDTOIFINDEX: Final = 62

# --- SOL_TCP options (uapi/linux/tcp.h) ---------------------------------------
TCP_NODELAY: Final = 1
TCP_MAXSEG: Final = 2
TCP_CORK: Final = 3
TCP_KEEPIDLE: Final = 4
TCP_KEEPINTVL: Final = 5
TCP_KEEPCNT: Final = 6
TCP_SYNCNT: Final = 7
TCP_LINGER2: Final = 8
TCP_DEFER_ACCEPT: Final = 9
TCP_WINDOW_CLAMP: Final = 10
TCP_INFO: Final = 11
TCP_QUICKACK: Final = 12
TCP_CONGESTION: Final = 13
TCP_MD5SIG: Final = 14
TCP_THIN_LINEAR_TIMEOUTS: Final = 16
TCP_THIN_DUPACK: Final = 17
TCP_USER_TIMEOUT: Final = 18
TCP_REPAIR: Final = 19
TCP_REPAIR_QUEUE: Final = 20
TCP_QUEUE_SEQ: Final = 21
TCP_REPAIR_OPTIONS: Final = 22
TCP_FASTOPEN: Final = 23
TCP_TIMESTAMP: Final = 24
TCP_NOTSENT_LOWAT: Final = 25
TCP_CC_INFO: Final = 26
TCP_SAVE_SYN: Final = 27
TCP_SAVED_SYN: Final = 28
TCP_REPAIR_WINDOW: Final = 29
TCP_FASTOPEN_CONNECT: Final = 30
TCP_ULP: Final = 31
TCP_MD5SIG_EXT: Final = 32
TCP_FASTOPEN_KEY: Final = 33
TCP_FASTOPEN_NO_COOKIE: Final = 34
TCP_ZEROCOPY_RECEIVE: Final = 35
TCP_INQ: Final = 36
TCP_TX_DELAY: Final = 37

SCM_RIGHTS: Final = 0x01
SCM_CREDENTIALS: Final = 0x02
SCM_SECURITY: Final = 0x03

# --- message flags (linux/socket.h) -----------------------------------------
MSG_OOB: Final = 0x1
MSG_PEEK: Final = 0x2
MSG_DONTROUTE: Final = 0x4
MSG_CTRUNC: Final = 0x8
MSG_PROXY: Final = 0x10
MSG_TRUNC: Final = 0x20
MSG_DONTWAIT: Final = 0x40
MSG_EOR: Final = 0x80
MSG_WAITALL: Final = 0x100
MSG_FIN: Final = 0x200
MSG_SYN: Final = 0x400
MSG_CONFIRM: Final = 0x800
MSG_RST: Final = 0x1000
MSG_ERRQUEUE: Final = 0x2000
MSG_NOSIGNAL: Final = 0x4000
MSG_MORE: Final = 0x8000
MSG_WAITFORONE: Final = 0x10000
MSG_BATCH: Final = 0x40000
MSG_FASTOPEN: Final = 0x20000000
MSG_CMSG_CLOEXEC: Final = 0x40000000

SHUT_RD: Final = 0
SHUT_WR: Final = 1
SHUT_RDWR: Final = 2

# --- protocols (linux/in.h) -------------------------------------------------
IPPROTO_IP: Final = 0
IPPROTO_ICMP: Final = 1
IPPROTO_TCP: Final = 6
IPPROTO_UDP: Final = 17
IPPROTO_RAW: Final = 255
IPPROTO_IGMP: Final = 2
IPPROTO_IPIP: Final = 4
IPPROTO_EGP: Final = 8
IPPROTO_UDPLITE: Final = 136
IPPROTO_SCTP: Final = 132
IPPROTO_MPTCP: Final = 262
IPPROTO_MAX: Final = 263

# --- SOL_IP options (linux/in.h) --------------------------------------------
IP_TOS: Final = 1
IP_TTL: Final = 2
IP_HDRINCL: Final = 3
IP_OPTIONS: Final = 4
IP_ROUTER_ALERT: Final = 5
IP_RECVOPTS: Final = 6
IP_RETOPTS: Final = 7
IP_PKTINFO: Final = 8
IP_PKTOPTIONS: Final = 9
IP_MTU_DISCOVER: Final = 10
IP_RECVERR: Final = 11
IP_RECVTTL: Final = 12
IP_RECVTOS: Final = 13
IP_MTU: Final = 14
IP_FREEBIND: Final = 15
IP_IPSEC_POLICY: Final = 16
IP_XFRM_POLICY: Final = 17
IP_PASSSEC: Final = 18
IP_TRANSPARENT: Final = 19
IP_ORIGDSTADDR: Final = 20
IP_RECVORIGDSTADDR: Final = IP_ORIGDSTADDR
IP_MINTTL: Final = 21
IP_NODEFRAG: Final = 22
IP_CHECKSUM: Final = 23
IP_BIND_ADDRESS_NO_PORT: Final = 24
IP_RECVFRAGSIZE: Final = 25
IP_RECVERR_RFC4884: Final = 26
IP_MULTICAST_IF: Final = 32
IP_MULTICAST_TTL: Final = 33
IP_MULTICAST_LOOP: Final = 34
IP_ADD_MEMBERSHIP: Final = 35
IP_DROP_MEMBERSHIP: Final = 36
IP_UNBLOCK_SOURCE: Final = 37
IP_BLOCK_SOURCE: Final = 38
IP_ADD_SOURCE_MEMBERSHIP: Final = 39
IP_DROP_SOURCE_MEMBERSHIP: Final = 40
IP_MSFILTER: Final = 41
IP_MULTICAST_ALL: Final = 49
IP_UNICAST_IF: Final = 50
IP_LOCAL_PORT_RANGE: Final = 51
IP_PROTOCOL: Final = 52

IP_PMTUDISC_DONT: Final = 0
IP_PMTUDISC_WANT: Final = 1
IP_PMTUDISC_DO: Final = 2
IP_PMTUDISC_PROBE: Final = 3
IP_PMTUDISC_INTERFACE: Final = 4
IP_PMTUDISC_OMIT: Final = 5

IP_DEFAULT_MULTICAST_TTL: Final = 1
IP_DEFAULT_MULTICAST_LOOP: Final = 1

INADDR_ANY: Final = 0x00000000
INADDR_BROADCAST: Final = 0xFFFFFFFF
INADDR_NONE: Final = 0xFFFFFFFF
INADDR_LOOPBACK: Final = 0x7F000001
INADDR_ALLHOSTS_GROUP: Final = 0xE0000001

# --- SOL_UDP / SOL_RAW options (linux/udp.h, linux/icmp.h) -------------------
UDP_CORK: Final = 1
UDP_ENCAP: Final = 100
UDP_NO_CHECK6_TX: Final = 101
UDP_NO_CHECK6_RX: Final = 102
UDP_SEGMENT: Final = 103
UDP_GRO: Final = 104
ICMP_FILTER: Final = 1

# --- error queue (linux/errqueue.h) -----------------------------------------
SO_EE_ORIGIN_NONE: Final = 0
SO_EE_ORIGIN_LOCAL: Final = 1
SO_EE_ORIGIN_ICMP: Final = 2
SO_EE_ORIGIN_ICMP6: Final = 3
SO_EE_ORIGIN_TXSTATUS: Final = 4

# --- ICMP types and codes (linux/icmp.h) ------------------------------------
ICMP_ECHOREPLY: Final = 0
ICMP_DEST_UNREACH: Final = 3
ICMP_SOURCE_QUENCH: Final = 4
ICMP_REDIRECT: Final = 5
ICMP_ECHO: Final = 8
ICMP_TIME_EXCEEDED: Final = 11
ICMP_PARAMETERPROB: Final = 12
ICMP_TIMESTAMP: Final = 13
ICMP_TIMESTAMPREPLY: Final = 14
ICMP_INFO_REQUEST: Final = 15
ICMP_INFO_REPLY: Final = 16
ICMP_ADDRESS: Final = 17
ICMP_ADDRESSREPLY: Final = 18
NR_ICMP_TYPES: Final = 18
ICMP_NET_UNREACH: Final = 0
ICMP_HOST_UNREACH: Final = 1
ICMP_PROT_UNREACH: Final = 2
ICMP_PORT_UNREACH: Final = 3
ICMP_FRAG_NEEDED: Final = 4
ICMP_SR_FAILED: Final = 5
ICMP_NET_UNKNOWN: Final = 6
ICMP_HOST_UNKNOWN: Final = 7
ICMP_HOST_ISOLATED: Final = 8
ICMP_NET_ANO: Final = 9
ICMP_HOST_ANO: Final = 10
ICMP_NET_UNR_TOS: Final = 11
ICMP_HOST_UNR_TOS: Final = 12
ICMP_PKT_FILTERED: Final = 13
ICMP_PREC_VIOLATION: Final = 14
ICMP_PREC_CUTOFF: Final = 15
NR_ICMP_UNREACH: Final = 15
ICMP_EXC_TTL: Final = 0
ICMP_EXC_FRAGTIME: Final = 1

# --- AF_PACKET (linux/if_packet.h, linux/if_ether.h) -------------------------
ETH_P_ALL: Final = 0x0003
ETH_P_IP: Final = 0x0800
ETH_P_ARP: Final = 0x0806
ETH_P_IPV6: Final = 0x86DD
PACKET_HOST: Final = 0
PACKET_BROADCAST: Final = 1
PACKET_MULTICAST: Final = 2
PACKET_OTHERHOST: Final = 3
PACKET_OUTGOING: Final = 4
PACKET_ADD_MEMBERSHIP: Final = 1
PACKET_DROP_MEMBERSHIP: Final = 2
PACKET_RECV_OUTPUT: Final = 3
PACKET_RX_RING: Final = 5
PACKET_STATISTICS: Final = 6
PACKET_AUXDATA: Final = 8
PACKET_ORIGDEV: Final = 9
PACKET_VERSION: Final = 10
PACKET_IGNORE_OUTGOING: Final = 23
PACKET_MR_MULTICAST: Final = 0
PACKET_MR_PROMISC: Final = 1
PACKET_MR_ALLMULTI: Final = 2
PACKET_MR_UNICAST: Final = 3

# --- interfaces and socket ioctls (linux/if.h, linux/sockios.h) --------------
IFNAMSIZ: Final = 16
SIOCGIFNAME: Final = 0x8910
SIOCGIFCONF: Final = 0x8912
SIOCGIFFLAGS: Final = 0x8913
SIOCSIFFLAGS: Final = 0x8914
SIOCGIFADDR: Final = 0x8915
SIOCSIFADDR: Final = 0x8916
SIOCGIFBRDADDR: Final = 0x8919
SIOCGIFNETMASK: Final = 0x891B
SIOCGIFMTU: Final = 0x8921
SIOCSIFMTU: Final = 0x8922
SIOCGIFHWADDR: Final = 0x8927
SIOCGIFINDEX: Final = 0x8933
SIOCGSTAMP: Final = 0x8906

# --- sys_socketcall numbers (linux/net.h) -----------------------------------
SYS_SOCKET: Final = 1
SYS_BIND: Final = 2
SYS_CONNECT: Final = 3
SYS_LISTEN: Final = 4
SYS_ACCEPT: Final = 5
SYS_GETSOCKNAME: Final = 6
SYS_GETPEERNAME: Final = 7
SYS_SOCKETPAIR: Final = 8
SYS_SEND: Final = 9
SYS_RECV: Final = 10
SYS_SENDTO: Final = 11
SYS_RECVFROM: Final = 12
SYS_SHUTDOWN: Final = 13
SYS_SETSOCKOPT: Final = 14
SYS_GETSOCKOPT: Final = 15
SYS_SENDMSG: Final = 16
SYS_RECVMSG: Final = 17
SYS_ACCEPT4: Final = 18
SYS_RECVMMSG: Final = 19
SYS_SENDMMSG: Final = 20

# --- sizes (x86_64) ----------------------------------------------------------
SOCKADDR_STORAGE_SIZE: Final = 128  # sizeof(struct sockaddr_storage)
UNIX_PATH_MAX: Final = 108
SOCKADDR_UN_SIZE: Final = 2 + UNIX_PATH_MAX  # sizeof(struct sockaddr_un)
SCM_MAX_FD: Final = 253
UIO_MAXIOV: Final = 1024
SOMAXCONN: Final = 4096
MAX_SCHEDULE_TIMEOUT: Final = float("inf")

# --- capabilities (linux/capability.h) --------------------------------------
CAP_CHOWN: Final = 0
CAP_DAC_OVERRIDE: Final = 1
CAP_NET_BIND_SERVICE: Final = 10
CAP_NET_BROADCAST: Final = 11
CAP_NET_ADMIN: Final = 12
CAP_NET_RAW: Final = 13
CAP_SYS_ADMIN: Final = 21
CAP_SYS_RESOURCE: Final = 24

# --- rlimits ------------------------------------------------------------------
RLIMIT_NOFILE_DEFAULT: Final = 1024
