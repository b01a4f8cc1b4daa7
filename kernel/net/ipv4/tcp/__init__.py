"""TCP for AF_INET (net/ipv4/tcp*.c, inet_connection_sock.c), in Linux's layering.

- ``states``: state numbers and the RFC 9293 transition table (one place).
- ``segment``: the ``TcpSegment`` the sans-IO core consumes and produces.
- ``conn`` + ``tcp_input`` / ``tcp_output`` / ``tcp_ack`` / ``tcp_timer`` /
  ``tcp_retrans`` / ``tcp_recovery`` / ``tcp_cong`` / ``tcp_cubic``: the
  sans-IO endpoint (segments and time in, segments and events out).
- ``tcp_sock``, ``tcp_ipv4``, ``inet_connection_sock``, ``tcp_minisocks``:
  the glue to sockets, hash tables, IP output and the injected clock.
- ``tcp``: struct proto ``tcp_prot`` (the socket calls) and ``tcp_info``.
"""
