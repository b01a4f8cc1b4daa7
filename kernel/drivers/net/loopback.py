"""drivers/net/loopback.c: ``lo``, the device every namespace has.

Transmit turns straight around into receive (netif_rx on the same device),
with an Ethernet header of zero addresses so captures of ``lo`` look like
Linux's (LINKTYPE_ETHERNET).  MTU 65536, flags LOOPBACK|UP|RUNNING; it is
registered and brought up when the namespace is created (IPv4 then gives it
127.0.0.1/8, as inetdev_event does for a loopback device).
"""
from __future__ import annotations

from kernel.net.core.dev import (
    ARPHRD_LOOPBACK,
    IFF_LOOPBACK,
    NETDEV_TX_OK,
    NetDevice,
    dev_open,
    netif_rx,
    register_netdevice,
)
from kernel.net.core.net_namespace import Net, register_pernet_device
from kernel.net.core.skbuff import SkBuff, skb_rebase
from kernel.net.ethernet.eth import eth_header_ops, eth_type_trans

LOOPBACK_MTU = 65536


class LoopbackOps:
    def ndo_open(self, dev: NetDevice) -> int:
        return 0

    def ndo_stop(self, dev: NetDevice) -> int:
        return 0

    def ndo_start_xmit(self, skb: SkBuff, dev: NetDevice) -> int:
        # the frame goes back up as a fresh receive (skb_orphan: no longer the sender's memory)
        skb.free()
        rx = skb.clone()
        rx.head = bytes(skb.head[skb.doff:skb.tail])
        skb_rebase(rx, skb, skb.doff)  # NETIF_F_HW_CSUM: a CHECKSUM_PARTIAL packet stays so
        rx.doff, rx.tail = 0, len(rx.head)
        rx.mac_header = rx.network_header = rx.transport_header = -1
        rx.cb = {}
        rx.tstamp = dev.net.clock.now() if dev.net is not None else 0.0
        if eth_type_trans(rx, dev) < 0:
            dev.stats.rx_errors += 1
            return NETDEV_TX_OK
        netif_rx(rx)
        return NETDEV_TX_OK


loopback_ops = LoopbackOps()


def loopback_dev(name: str = "lo") -> NetDevice:
    return NetDevice(
        name=name, netdev_ops=loopback_ops, type=ARPHRD_LOOPBACK, dev_addr=bytes(6), broadcast=bytes(6),
        mtu=LOOPBACK_MTU, min_mtu=0, max_mtu=0x7FFFFFFF, flags=IFF_LOOPBACK, header_ops=eth_header_ops,
        tx_queue_len=1000,  # `ip link` shows qlen 1000 for lo on Linux (the queue is never used)
        hw_csum=True, tso=True,
    )


def loopback_net_init(net: Net) -> None:
    """loopback_net_init: register ``lo`` (ifindex 1) and bring it up."""
    dev = loopback_dev()
    rc = register_netdevice(net, dev)
    assert rc == 0, rc
    net.loopback_dev = dev
    dev_open(dev)


register_pernet_device(loopback_net_init)
