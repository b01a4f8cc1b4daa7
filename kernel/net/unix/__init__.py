"""AF_UNIX (net/unix): registered with sock_register when the kernel boots."""
from kernel.net.socket import sock_register
from kernel.net.unix.af_unix import unix_family_ops

sock_register(unix_family_ops)
