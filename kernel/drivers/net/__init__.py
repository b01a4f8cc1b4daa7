"""Network device drivers (drivers/net): loopback, veth, test channel, sniffer, ..."""
