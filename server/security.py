"""Transport security and who is calling: TLS/mTLS credentials, bearer tokens, principals.

- ``server_credentials(cert, key, client_ca)``: TLS with the daemon's
  certificate; with ``client_ca`` the daemon requires and verifies a client
  certificate (mutual TLS).
- ``TokenStore.load(path)``: bearer tokens from a file, one per line::

      # token                      attributes (all optional)
      3f9c...e1   name=alice uid=1000 gid=1000 caps=CAP_NET_RAW,CAP_NET_BIND_SERVICE

  ``caps=`` lists capability names (or ``all`` / ``none``; default none for a
  non-zero uid, all for uid 0).  A caller presents ``authorization: Bearer
  <token>``; lookups compare against every token with
  ``hmac.compare_digest`` (constant time, no early exit).
- ``Authenticator``: turns a call's metadata into a :class:`Principal` (the
  uid, gid and capability set its processes get) or refuses it with
  UNAUTHENTICATED.  Without a token store every caller is root with all
  capabilities (the loopback-only default).
- ``check_listen``: without TLS or tokens the daemon listens only on
  loopback; another address needs ``--insecure`` (and logs a warning).

The ``grpc.health.v1.Health`` service stays open to everyone (probes carry no
token); every other service needs a valid token when tokens are configured.
"""
from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from kernel import uapi
from kernel.process import ALL_CAPS

OPEN_SERVICES = ("/grpc.health.v1.Health/",)

CAP_NAMES: dict[str, int] = {
    name: value for name, value in vars(uapi).items() if name.startswith("CAP_") and isinstance(value, int)
}


class SecurityConfigError(ValueError):
    """A bad security setting (token file, certificate paths, listen address)."""


@dataclass(frozen=True)
class Principal:
    """Who a call acts for: the credentials its processes get."""

    name: str = "root"
    uid: int = 0
    gid: int = 0
    caps: frozenset[int] = field(default_factory=lambda: frozenset(ALL_CAPS))

    def capable(self, cap: int) -> bool:
        return cap in self.caps

    def clamp_caps(self, wanted: list[int] | None) -> list[int]:
        """The capabilities a new process gets: what it asked for, within the principal's set."""
        if wanted is None:
            return sorted(self.caps)
        return sorted(c for c in wanted if c in self.caps)


ROOT = Principal()


def _parse_caps(text: str) -> frozenset[int]:
    if text in ("", "none"):
        return frozenset()
    if text == "all":
        return frozenset(ALL_CAPS)
    caps = set()
    for word in text.split(","):
        name = word.strip().upper()
        if not name.startswith("CAP_"):
            name = "CAP_" + name
        if name not in CAP_NAMES:
            raise SecurityConfigError(f"unknown capability {word!r}")
        caps.add(CAP_NAMES[name])
    return frozenset(caps)


class TokenStore:
    """Bearer tokens and the principals they stand for."""

    def __init__(self, entries: list[tuple[bytes, Principal]]) -> None:
        if not entries:
            raise SecurityConfigError("the token file holds no token")
        self._entries = entries

    @classmethod
    def load(cls, path: str | Path) -> TokenStore:
        entries: list[tuple[bytes, Principal]] = []
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise SecurityConfigError(f"cannot read token file {path}: {exc.strerror}") from None
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            token, *attrs = line.split()
            if len(token) < 16:
                raise SecurityConfigError(f"{path}:{lineno}: a token must have at least 16 characters")
            kv: dict[str, str] = {}
            for attr in attrs:
                key, sep, value = attr.partition("=")
                if not sep or key not in ("name", "uid", "gid", "caps"):
                    raise SecurityConfigError(f"{path}:{lineno}: bad attribute {attr!r}")
                kv[key] = value
            try:
                uid = int(kv.get("uid", "0"))
                gid = int(kv.get("gid", str(uid)))
            except ValueError:
                raise SecurityConfigError(f"{path}:{lineno}: uid/gid must be numbers") from None
            caps = _parse_caps(kv["caps"]) if "caps" in kv else (frozenset(ALL_CAPS) if uid == 0 else frozenset())
            entries.append((token.encode(), Principal(kv.get("name", f"token{lineno}"), uid, gid, caps)))
        return cls(entries)

    def lookup(self, presented: bytes) -> Principal | None:
        """The principal of a presented token; every entry is compared (constant time)."""
        found: Principal | None = None
        for token, principal in self._entries:
            if hmac.compare_digest(token, presented):
                found = principal
        return found


class Authenticator:
    """Maps a call to its principal; refuses calls without a valid token when tokens are on."""

    def __init__(self, tokens: TokenStore | None = None) -> None:
        self.tokens = tokens

    @property
    def enabled(self) -> bool:
        return self.tokens is not None

    def from_metadata(self, metadata: Any) -> Principal | None:
        if self.tokens is None:
            return ROOT
        for key, value in metadata or ():
            if key == "authorization":
                text = value.decode() if isinstance(value, bytes) else str(value)
                scheme, _, token = text.partition(" ")
                if scheme.lower() == "bearer" and token:
                    return self.tokens.lookup(token.strip().encode())
        return None

    def principal(self, context: grpc.aio.ServicerContext[Any, Any]) -> Principal:
        """The caller (the interceptor already refused unknown callers)."""
        found = self.from_metadata(context.invocation_metadata())
        return found if found is not None else ROOT if self.tokens is None else Principal("nobody", 65534, 65534, frozenset())


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every call without a valid bearer token (health checks excepted)."""

    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth

    async def intercept_service(self, continuation: Any, handler_call_details: grpc.HandlerCallDetails) -> Any:
        method = handler_call_details.method
        if not self.auth.enabled or method.startswith(OPEN_SERVICES):
            return await continuation(handler_call_details)
        if self.auth.from_metadata(handler_call_details.invocation_metadata) is None:
            handler = await continuation(handler_call_details)
            if handler is None:
                return None
            return _deny_like(handler, "a valid bearer token is required (authorization: Bearer <token>)")
        return await continuation(handler_call_details)


def _deny_like(handler: grpc.RpcMethodHandler, message: str) -> grpc.RpcMethodHandler:
    """A handler of the same streaming shape that aborts with UNAUTHENTICATED."""

    async def deny_unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def deny_stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover  (an async generator, as streaming handlers are)

    async def deny_bidi(requests: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        # Take the client's first message before ending the call: a client that
        # writes at once then reads this status instead of a failed write.
        async for _first in requests:
            break
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover

    kw = {"request_deserializer": handler.request_deserializer, "response_serializer": handler.response_serializer}
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(deny_bidi, **kw)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(deny_unary, **kw)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(deny_stream, **kw)
    return grpc.unary_unary_rpc_method_handler(deny_unary, **kw)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SecurityConfigError(f"cannot read {what} {path}: {exc.strerror}") from None


def server_credentials(cert: str, key: str, client_ca: str | None = None) -> grpc.ServerCredentials:
    """TLS credentials; with ``client_ca`` a client certificate signed by it is required (mTLS)."""
    pair = (_read(key, "TLS key"), _read(cert, "TLS certificate"))
    root = _read(client_ca, "client CA") if client_ca else None
    return grpc.ssl_server_credentials([pair], root_certificates=root, require_client_auth=root is not None)


def is_loopback(listen: str) -> bool:
    """Whether HOST:PORT names a loopback address (127.0.0.0/8, ::1, localhost)."""
    host = listen.rsplit(":", 1)[0] if ":" in listen else listen
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen(listen: str, secured: bool, insecure: bool) -> str | None:
    """None if the daemon may listen there, else why not (no TLS/token off loopback without --insecure)."""
    if secured or is_loopback(listen) or insecure:
        return None
    return (f"refusing to listen on {listen} without TLS or tokens: "
            "use --tls-cert/--tls-key, --token-file, or --insecure to accept unauthenticated remote callers")
