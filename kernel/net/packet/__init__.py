"""AF_PACKET: link-layer sockets (net/packet). Importing this registers PF_PACKET (packet_init)."""
from kernel.net.packet import af_packet  # noqa: F401
