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
    parser.add_argument("--listen", default="127.0.0.1:50051", metavar="HOST:PORT",
                        help="gRPC listen address (port 0 picks a free port; default %(default)s)")
    parser.add_argument("--topology", metavar="LAB.yml", help="a lab topology file (not yet supported)")
    parser.add_argument("--host", dest="host_name", metavar="NAME",
                        help="this daemon's host in the topology (its name; default: default)")
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
    tokens = security.TokenStore.load(ns.token_file) if ns.token_file else None
    refused = security.check_listen(ns.listen, creds is not None or tokens is not None, ns.insecure)
    if refused:
        raise security.SecurityConfigError(refused)
    if ns.insecure and creds is None and tokens is None and not security.is_loopback(ns.listen):
        log.warning("socketlabd: --insecure: anyone who reaches %s gets root on this emulated host", ns.listen)
    return creds, security.Authenticator(tokens)


async def serve(ns: argparse.Namespace) -> int:
    """Build, start, wait for SIGTERM/SIGINT, stop."""
    from server.app import build
    from server.hostconfig import HostConfigError, default_host
    from server.security import SecurityConfigError

    try:
        creds, auth = security_from_args(ns)
    except SecurityConfigError as exc:
        log.error("socketlabd: %s", exc)
        return 2
    try:
        host = default_host(ns.host_name or "default")
    except HostConfigError as exc:
        log.error("socketlabd: host configuration: %s", exc)
        return 2
    metrics = None
    if ns.metrics:
        from server.metrics import Metrics

        metrics = Metrics(host)
    try:
        daemon = build(ns.listen, host, credentials=creds, auth=auth, metrics=metrics, limits=limits.from_args(ns))
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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signo, stop.set)
    log.info("socketlabd ready listen=%s host=%s tls=%s auth=%s", _bound(ns.listen, daemon.port), daemon.host.name,
             "mtls" if ns.tls_client_ca else "on" if creds is not None else "off",
             "token" if auth.enabled else "none")
    await stop.wait()
    log.info("socketlabd stopping")
    await daemon.stop(grace=0.5)
    if metrics_server is not None:
        metrics_server.close()
    log.info("socketlabd stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The console entry point (``socketlabd``)."""
    ns = parse_args(argv)
    setup_logging(ns.log_format, ns.log_level)
    if ns.topology:
        log.warning("--topology: multi-host labs are not yet supported; serving one host with the embedded default")
    import uvloop

    return uvloop.run(serve(ns))


if __name__ == "__main__":
    sys.exit(main())
