"""``client.patch()``: the stdlib ``socket`` module (and ``select``/``selectors``) on an emulated host.

    import client, http.client
    with client.patch("127.0.0.1:50051"):          # or client.patch(net)
        conn = http.client.HTTPConnection("10.0.0.2", 8080)
        ...                                        # unmodified stdlib code, emulated network

While a patch is active, the socket-creating names of the stdlib modules
(``socket.socket``, ``socket.SocketType``, ``socketpair``, ``fromfd``,
``create_connection``, ``create_server``, ``getaddrinfo``,
``has_dualstack_ipv6``, ``get/setdefaulttimeout``, ``send_fds``,
``recv_fds``, ``if_nameindex``, ``if_nametoindex``, ``if_indextoname``;
``select.select``, ``select.poll``; ``selectors``'
``DefaultSelector``, ``PollSelector``, ``EpollSelector``, ``SelectSelector``
and ``socketserver._ServerSelector``) dispatch to the *current* emulated
process: the innermost thread patch of the calling thread
(``client.patch(net, thread=True)``), else the innermost global patch, else
nobody -- then the real stdlib runs.  Sockets remember their own process, so
a server thread that accepted on host B keeps serving on B whatever patch
other threads use.  ``isinstance(s, socket.socket)`` holds for emulated
sockets.  The names are restored when the last patch ends.

``patch()`` takes effect at once and returns a handle: use it as a context
manager, or call ``.stop()``.  Given a target string (or nothing: then
``$SOCKETLAB_TARGET``, default 127.0.0.1:50051) it opens a process there and
ends it on stop.

Not patched: name resolution beyond numeric hosts and ``localhost``
(``gethostbyname``, ``getfqdn``, ... stay the machine's), ``os``-level fds,
and asyncio (its event loop builds its self-pipe with ``socket.socketpair``:
create loops before patching, or use :mod:`client.aio`).
"""
from __future__ import annotations

import os
import select as _select
import selectors as _selectors
import socket as _socket
import sys
import threading
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from client._socket import Net

__all__ = ["Patch", "current", "patch"]

_lock = threading.RLock()
_global_stack: list[Net] = []
_local = threading.local()
_saved: dict[tuple[Any, str], Any] = {}  # (module, name) -> the original value
_active = 0

_ORIGINAL_SOCKET = _socket.socket
_ORIGINAL_POLL_SELECTOR = _selectors.PollSelector


def _thread_stack() -> list[Net]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current() -> Net | None:
    """The emulated process the calling thread's socket calls go to (None: the real stdlib)."""
    stack = getattr(_local, "stack", None)
    if stack:
        return stack[-1]
    return _global_stack[-1] if _global_stack else None


# --- dispatchers ------------------------------------------------------------------------


class _SocketClassMeta(type):
    """``socket.socket`` while patched: builds an emulated socket, or a real one when no patch applies."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        net = current()
        if net is None:
            return _ORIGINAL_SOCKET(*args, **kwargs)
        return net.socket(*args, **kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        from client._socket import Socket

        return isinstance(obj, (_ORIGINAL_SOCKET, Socket))

    def __subclasscheck__(cls, sub: Any) -> bool:
        from client._socket import Socket

        return isinstance(sub, type) and issubclass(sub, (_ORIGINAL_SOCKET, Socket))


class _PatchedSocket(metaclass=_SocketClassMeta):
    """Stands for ``socket.socket`` while a patch is active."""


def _dispatch(name: str, original: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        net = current()
        if net is None:
            return original(*args, **kwargs)
        return getattr(net, name)(*args, **kwargs)

    call.__name__ = getattr(original, "__name__", name)
    call.__qualname__ = call.__name__
    call.__doc__ = getattr(original, "__doc__", None)
    call.__wrapped__ = original  # type: ignore[attr-defined]
    return call


def _selector_for(net: Net) -> _selectors.BaseSelector:
    """A selectors.PollSelector whose poll object is the emulated process's ``net.poll()``."""

    class EmulatedSelector(_ORIGINAL_POLL_SELECTOR):
        _selector_cls = staticmethod(net.poll)  # type: ignore[assignment]

    return EmulatedSelector()


class _SelectorClassMeta(type):
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        net = current()
        if net is None:
            return cls._original(*args, **kwargs)  # type: ignore[attr-defined]
        return _selector_for(net)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._original)  # type: ignore[attr-defined]


def _selector_class(original: type) -> type:
    return _SelectorClassMeta(original.__name__, (), {"_original": original, "__doc__": original.__doc__})


def _replacements() -> list[tuple[Any, str, Any]]:
    out: list[tuple[Any, str, Any]] = [(_socket, "socket", _PatchedSocket), (_socket, "SocketType", _PatchedSocket)]
    for name in ("socketpair", "fromfd", "create_connection", "create_server", "getaddrinfo", "has_dualstack_ipv6",
                 "getdefaulttimeout", "setdefaulttimeout", "send_fds", "recv_fds", "if_nameindex", "if_nametoindex",
                 "if_indextoname"):
        out.append((_socket, name, _dispatch(name, getattr(_socket, name))))
    out.append((_select, "select", _dispatch("select", _select.select)))
    out.append((_select, "poll", _dispatch("poll", _select.poll)))
    for name in ("DefaultSelector", "PollSelector", "EpollSelector", "SelectSelector"):
        if hasattr(_selectors, name):
            out.append((_selectors, name, _selector_class(getattr(_selectors, name))))
    socketserver = sys.modules.get("socketserver")
    if socketserver is not None and hasattr(socketserver, "_ServerSelector"):
        out.append((socketserver, "_ServerSelector", _selector_class(socketserver._ServerSelector)))
    return out


def _install() -> None:
    global _active
    _active += 1
    if _active > 1:
        return
    for module, name, value in _replacements():
        _saved[(module, name)] = getattr(module, name)
        setattr(module, name, value)


def _uninstall() -> None:
    global _active
    _active -= 1
    if _active > 0:
        return
    for (module, name), value in _saved.items():
        setattr(module, name, value)
    _saved.clear()
    # a socketserver imported while patched took the patched PollSelector: give it the real one
    socketserver = sys.modules.get("socketserver")
    selector = getattr(socketserver, "_ServerSelector", None)
    if isinstance(selector, _SelectorClassMeta):
        socketserver._ServerSelector = selector._original  # type: ignore[union-attr,attr-defined]


# --- the handle ------------------------------------------------------------------------


class Patch:
    """An active patch; ``stop()`` (or leaving the ``with`` block) ends it."""

    def __init__(self, net: Net, *, owned: bool, thread: bool) -> None:
        self.net = net
        self._owned = owned
        self._thread = thread
        self._stopped = False
        with _lock:
            (_thread_stack() if thread else _global_stack).append(net)
            _install()

    def __repr__(self) -> str:
        scope = "thread" if self._thread else "global"
        return f"<client.patch {scope} net={self.net!r}{' stopped' if self._stopped else ''}>"

    def stop(self) -> None:
        """Restore the previous patch (or the real stdlib); close the process if patch() opened it."""
        if self._stopped:
            return
        self._stopped = True
        with _lock:
            stack = _thread_stack() if self._thread else _global_stack
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] is self.net:
                    del stack[i]
                    break
            _uninstall()
        if self._owned:
            self.net.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def patch(net: Net | str | None = None, *, thread: bool = False, **connect_kwargs: Any) -> Patch:
    """Make the stdlib ``socket``/``select``/``selectors`` modules use an emulated process.

    ``net``: a :class:`client.Net` (``client.connect(...)`` or
    ``client.local()``), or a daemon target "HOST:PORT" (a process opened for
    the patch and ended with it), or None (``$SOCKETLAB_TARGET``, default
    127.0.0.1:50051).  ``thread=True``: only the calling thread's calls.
    """
    owned = False
    if net is None or isinstance(net, str):
        import client

        target = net or os.environ.get("SOCKETLAB_TARGET") or "127.0.0.1:50051"
        net = client.connect(target, **connect_kwargs)
        owned = True
    return Patch(net, owned=owned, thread=thread)
