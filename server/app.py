"""Build the daemon's gRPC server: one emulated host behind grpc.aio.

Services: ``socketlab.v1.SocketCall`` (typed syscalls), ``socketlab.v1.Process``
(sessions), ``socketlab.v1.Host`` (admin: NICs, addresses, routes, sysctls,
/proc, capture), plus the standard health checking and server reflection.
"""
from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from client._gen.socketlab.v1 import host_pb2, process_pb2, socketcall_pb2
from kernel.host import Host
from server import host_service, session, socketcall
from server.limits import Limits
from server.registry import ProcessTable
from server.security import Authenticator, AuthInterceptor

log = logging.getLogger("socketlabd")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024

SERVER_OPTIONS: list[tuple[str, int]] = [  # the defaults (build() takes them from its Limits)
    ("grpc.so_reuseport", 0),  # else two daemons silently share one port
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]

SERVICE_NAMES = (
    socketcall_pb2.DESCRIPTOR.services_by_name["SocketCall"].full_name,
    process_pb2.DESCRIPTOR.services_by_name["Process"].full_name,
    host_pb2.DESCRIPTOR.services_by_name["Host"].full_name,
)


@dataclass
class Daemon:
    """A built (not yet started) daemon: the server and what it serves."""

    server: grpc.aio.Server
    host: Host
    processes: ProcessTable
    health: Any  # grpc_health.v1.health.aio.HealthServicer
    port: int

    async def start(self) -> None:
        """Start serving and report SERVING on the health service."""
        await self.server.start()
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float | None = 0.5) -> None:
        """Drain: refuse new calls, end every session with UNAVAILABLE, then stop.

        Health turns NOT_SERVING; the server stops taking new RPCs at once;
        every open session ends with UNAVAILABLE and its process exits as on
        a broken stream (pending calls interrupted, fds closed: peers see EOF);
        typed calls still running end with UNAVAILABLE too.  RPCs still
        running after ``grace`` (a Capture stream, say) are cancelled.
        """
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        self.processes.shutting_down = True
        stopping = asyncio.ensure_future(self.server.stop(grace))
        await asyncio.sleep(0)  # the server's shutdown has begun: no new RPC is accepted
        for sess in list(self.processes.sessions):
            sess.terminate(grpc.StatusCode.UNAVAILABLE, "socketlabd is shutting down")
        await stopping
        await session.drain()
        await self.processes.close_all()


def _add_link_service(server: grpc.aio.Server, host: Host, lab: Any, principal: Any = None) -> bool:
    """Register the PeerLink service (server/link_service.py: peers' links to this host); False before
    the data plane is built."""
    try:
        link_service = importlib.import_module("server.link_service")
    except ImportError:
        return False
    link_service.add_to_server(server, host, lab=getattr(lab, "name", "") or "", principal=principal)
    return True


def build(
    listen: str = "127.0.0.1:50051", host: Host | None = None, *,
    credentials: grpc.ServerCredentials | None = None, auth: Authenticator | None = None,
    metrics: Any = None, limits: Limits | None = None, lab: Any = None,
) -> Daemon:
    """Create the server on the running loop and bind ``listen`` (port 0 picks a free one).

    ``credentials``: TLS (or mTLS) for the port; ``auth``: bearer tokens mapping
    callers to principals (server/security.py).  Neither: plaintext, every
    caller is root.  ``lab``: server/lab.py's LabHost when this daemon is one
    host of a lab (the Link service accepts its peers' links).  ``metrics``: a server.metrics.Metrics that counts and
    times every call.  ``limits``: server/limits.py (stream and message
    sizes, keepalive, idle timeout, process and file caps).
    """
    host = host or Host()
    auth = auth or Authenticator()
    limits = limits or Limits()
    if limits.file_max is not None:
        host.sysctl["fs.file-max"] = limits.file_max
    table = ProcessTable(host, auth, limits)
    interceptors: list[grpc.aio.ServerInterceptor] = [AuthInterceptor(auth)]
    if metrics is not None:
        from server.metrics import MetricsInterceptor

        interceptors.insert(0, MetricsInterceptor(metrics))
    options = [("grpc.so_reuseport", 0), *limits.grpc_options()]
    server = grpc.aio.server(options=options, interceptors=interceptors)
    server.add_generic_rpc_handlers((socketcall.handlers(table), session.handler(table)))
    host_service.add_to_server(server, host, auth.principal, lab)  # admin changes need CAP_NET_ADMIN
    _add_link_service(server, host, lab, auth.principal)
    health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = server.add_secure_port(listen, credentials) if credentials is not None else server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    return Daemon(server, host, table, health_servicer, port)
