"""``python -m server`` / ``socketlabd``: run one emulated host as a gRPC daemon.

Logs one line to stderr when ready (``socketlabd ready listen=HOST:PORT
host=NAME``, with the real bound port) and stops cleanly (exit status 0) on
SIGTERM or SIGINT.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
from typing import Any

from server import limits

log = logging.getLogger("socketlabd")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg (and exc when any)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="socketlabd", description="socketlab daemon: one emulated Linux host")
    parser.add_argument("--listen", default=None, metavar="HOST:PORT",
                        help="gRPC listen address (port 0 picks a free port; default: the topology's API "
                             "address, else 127.0.0.1:50051)")
    parser.add_argument("--topology", metavar="LAB.yml",
                        help="a lab topology file: serve the host --host names (its NICs, addresses, routes, "
                             "sysctls, tokens, API address) and link it to its peers")
    parser.add_argument("--host", dest="host_name", metavar="NAME",
                        help="this daemon's host in the topology (its name; default: default)")
    parser.add_argument("--peers-by-name", action="store_true",
                        help="dial lab peers at PEERNAME:PORT (docker-compose service names) instead of the "
                             "topology's API addresses")
    sec = parser.add_argument_group("security")
    sec.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate (needs --tls-key)")
    sec.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    sec.add_argument("--tls-client-ca", metavar="PEM",
                     help="require client certificates signed by this CA (mutual TLS)")
    sec.add_argument("--token-file", metavar="FILE",
                     help="require a bearer token from this file (one per line: TOKEN [name=] [uid=] [gid=] [caps=])")
    sec.add_argument("--insecure", action="store_true",
                     help="allow listening on a non-loopback address without TLS or tokens")
    limits.add_arguments(parser)
    parser.add_argument("--metrics", metavar="HOST:PORT",
                        help="serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks one)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text", help="stderr log format")
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                        help="the event loop: uvloop (default) or the stdlib asyncio loop (issue 8's figure 6)")
    return parser.parse_args(argv)


def setup_logging(fmt: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)  # libraries (grpc) at info and above
    log.setLevel(level.upper())  # the daemon's own logger at the chosen level


def _bound(listen: str, port: int) -> str:
    host = listen.rsplit(":", 1)[0] if ":" in listen else listen
    return f"{host}:{port}"


def security_from_args(ns: argparse.Namespace) -> tuple[Any, Any]:
    """(server credentials or None, Authenticator); raises SecurityConfigError on bad settings."""
    from server import security

    if bool(ns.tls_cert) != bool(ns.tls_key):
        raise security.SecurityConfigError("--tls-cert and --tls-key go together")
    if ns.tls_client_ca and not ns.tls_cert:
        raise security.SecurityConfigError("--tls-client-ca needs --tls-cert/--tls-key")
    creds = security.server_credentials(ns.tls_cert, ns.tls_key, ns.tls_client_ca) if ns.tls_cert else None
    tokens = security.TokenStore.load(ns.token_file) if ns.token_file else getattr(ns, "lab_tokens", None)
    refused = security.check_listen(ns.listen, creds is not None or tokens is not None, ns.insecure)
    if refused:
        raise security.SecurityConfigError(refused)
    if ns.insecure and creds is None and tokens is None and not security.is_loopback(ns.listen):
        log.warning("socketlabd: --insecure: anyone who reaches %s gets root on this emulated host", ns.listen)
    return creds, security.Authenticator(tokens)


def _link_credentials(topo: Any) -> Any:
    """The lab's TLS paths as the dialers' channel credentials (mutual TLS between daemons)."""
    import grpc

    from server.security import _read

    tls = topo.tls
    return grpc.ssl_channel_credentials(_read(tls.ca, "tls ca") if tls.ca else None, _read(tls.key, "tls key"),
                                        _read(tls.cert, "tls cert"))


def apply_topology_tls(ns: argparse.Namespace, topo: Any) -> None:
    """Serve the lab's ``tls:`` files on the API/Link port: cert/key, and the CA as the client CA
    (mutual TLS) when the block names one.  --tls-cert/--tls-key/--tls-client-ca given on the
    command line win (the topology's are then not used for serving)."""
    tls = getattr(topo, "tls", None)
    if tls is None or ns.tls_cert or ns.tls_key or ns.tls_client_ca:
        return
    ns.tls_cert, ns.tls_key, ns.tls_client_ca = tls.cert, tls.key, tls.ca


async def serve(ns: argparse.Namespace) -> int:
    """Build, start, wait for SIGTERM/SIGINT, stop."""
    from server.app import build
    from server.hostconfig import default_host
    from server.security import SecurityConfigError

    lab = None
    if ns.topology:
        from server.lab import build_lab_host, token_store
        from server.topology import TopologyError, load_topology

        try:
            topo = load_topology(ns.topology)
        except TopologyError as exc:
            for problem in exc.problems:
                log.error("socketlabd: %s", problem)
            return 2
        except OSError as exc:
            log.error("socketlabd: cannot read %s: %s", ns.topology, exc.strerror or exc)
            return 2
        if ns.host_name not in topo.hosts:
            log.error("socketlabd: --host %s: the lab %r has hosts %s", ns.host_name, topo.name,
                      ", ".join(topo.hosts))
            return 2
        spec = topo.hosts[ns.host_name]
        ns.listen = ns.listen or spec.api
        apply_topology_tls(ns, topo)
        if spec.tokens or spec.link_token:
            from server.security import SecurityConfigError, TokenStore

            try:
                extra = TokenStore.load(ns.token_file) if ns.token_file else None
            except SecurityConfigError as exc:
                log.error("socketlabd: %s", exc)
                return 2
            ns.lab_tokens = token_store(spec, extra)
            ns.token_file = None
    ns.listen = ns.listen or "127.0.0.1:50051"
    try:
        creds, auth = security_from_args(ns)
    except SecurityConfigError as exc:
        log.error("socketlabd: %s", exc)
        return 2
    try:
        if ns.topology:
            lab = build_lab_host(topo, ns.host_name, peers_by_name=ns.peers_by_name)
            if topo.tls is not None:
                lab.channel_credentials = _link_credentials(topo)
            host = lab.host
        else:
            host = default_host(ns.host_name or "default")
    except (ValueError, ImportError, OSError) as exc:  # HostConfigError, SecurityConfigError ...
        log.error("socketlabd: host configuration: %s", exc)
        return 2
    metrics = None
    if ns.metrics:
        from server.metrics import Metrics

        metrics = Metrics(host, links=lab.link_status if lab is not None else None)
    try:
        daemon = build(ns.listen, host, credentials=creds, auth=auth, metrics=metrics, limits=limits.from_args(ns),
                       lab=lab)
    except (RuntimeError, OSError) as exc:  # grpc: "Failed to bind to address ..."
        log.error("socketlabd cannot listen on %s: %s", ns.listen, exc)
        return 1
    metrics_server = None
    if metrics is not None:
        from server.metrics import serve_metrics

        try:
            metrics_server = await serve_metrics(metrics, ns.metrics)
        except (OSError, ValueError) as exc:
            log.error("socketlabd cannot serve metrics on %s: %s", ns.metrics, exc)
            return 1
        port = metrics_server.sockets[0].getsockname()[1]
        log.info("socketlabd metrics=http://%s/metrics", _bound(ns.metrics, port))
    await daemon.start()
    if lab is not None:
        try:
            lab.start()
        except ImportError as exc:
            log.error("socketlabd: cannot link to the lab's peers: %s", exc)
            await daemon.stop(grace=0.1)
            return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signo, stop.set)
    log.info("socketlabd ready listen=%s host=%s tls=%s auth=%s loop=%s", _bound(ns.listen, daemon.port),
             daemon.host.name, "mtls" if ns.tls_client_ca else "on" if creds is not None else "off",
             "token" if auth.enabled else "none", ns.loop)
    await stop.wait()
    log.info("socketlabd stopping")
    if lab is not None:
        await lab.stop()
    await daemon.stop(grace=0.5)
    if metrics_server is not None:
        metrics_server.close()
    log.info("socketlabd stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The console entry point (``socketlabd``)."""
    ns = parse_args(argv)
    setup_logging(ns.log_format, ns.log_level)
    if ns.topology and not ns.host_name:
        log.error("socketlabd: --topology needs --host NAME")
        return 2
    if ns.loop == "asyncio":
        return asyncio.run(serve(ns))
    import uvloop

    return uvloop.run(serve(ns))


if __name__ == "__main__":
    sys.exit(main())
