"""Proto messages <-> ``do_syscall`` arguments and :class:`SysReply`.

One table, :data:`CALLS`, describes every call the API exposes: its name (the
field name in the session's oneof), the kernel op, the typed RPC method, the
response class, whether it can block, and two pure functions (request ->
``args`` dict, ``SysReply`` -> response).  Both the typed SocketCall servicer
and the session channel go through it, so both reach the same kernel code
with the same arguments.  ``Call.fill`` writes a response straight into the
session's reply message (no intermediate message, no copy) for the hot calls;
it gives exactly what ``to_response`` gives (tests/server/test_session_fastpath.py).

Structured addresses are encoded to raw sockaddr bytes here (as CPython's
getsockaddrarg does) and raw addresses coming back are decoded; control
messages are encoded to / decoded from the x86_64 cmsghdr layout.
"""
from __future__ import annotations

import socket as _pysocket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import types_pb2 as t
from kernel import uapi
from kernel.syscalls import BadRequest, SysMsg, SysReply

AF_UNIX = 1
AF_INET = 2
AF_INET6 = 10
SOCKADDR_STORAGE_SIZE = 128
CMSG_HDR = struct.Struct("<Qii")  # struct cmsghdr on x86_64: size_t len, int level, int type



# --- results ----------------------------------------------------------------


def result(reply: SysReply) -> t.Result:
    """The common Result of a reply: ret, error number and name, timed_out."""
    return t.Result(ret=reply.ret, error_number=reply.error, error_name=reply.error_name, timed_out=reply.timed_out)


def fill_result(out: t.Result, reply: SysReply) -> None:
    """Set ``out`` (a response's ``result``, marked present) to :func:`result` of the reply."""
    ret = reply.ret
    out.ret = ret
    if ret < 0:
        out.error_number = -ret
        out.error_name = uapi.errno_name(-ret)
    if reply.timed_out:
        out.timed_out = True


# --- addresses --------------------------------------------------------------


def encode_sockaddr(addr: t.SockAddr) -> bytes | None:
    """A SockAddr -> raw sockaddr bytes; None when no form is set (NULL)."""
    form = addr.WhichOneof("form")
    if form is None:
        return None
    if form == "raw":
        return bytes(addr.raw)
    if form == "local":
        return struct.pack("<H", AF_UNIX) + bytes(addr.local.path)
    if form == "inet":
        packed = _pton(_pysocket.AF_INET, addr.inet.address)
        return struct.pack("<H", AF_INET) + struct.pack(">H", _port(addr.inet.port)) + packed + bytes(8)
    six = addr.inet6
    packed = _pton(_pysocket.AF_INET6, six.address)
    return (
        struct.pack("<H", AF_INET6) + struct.pack(">HI", _port(six.port), six.flowinfo) + packed
        + struct.pack("<I", six.scope_id)
    )


def _pton(family: int, text: str) -> bytes:
    try:
        return _pysocket.inet_pton(family, text)
    except (OSError, ValueError) as exc:
        raise BadRequest(f"not a numeric address: {text!r}") from exc


def _port(port: int) -> int:
    if port > 0xFFFF:
        raise BadRequest(f"port out of range: {port}")
    return port


def _opt_addr(msg: Message, field: str) -> bytes | None:
    """The address in ``msg.field``, or None when the field is unset (NULL)."""
    if not msg.HasField(field):
        return None
    return encode_sockaddr(getattr(msg, field))


def _req_addr(msg: Message, field: str) -> bytes:
    """A mandatory address: an unset one is empty (the kernel judges addrlen 0)."""
    raw = _opt_addr(msg, field)
    return b"" if raw is None else raw


def decode_sockaddr(raw: bytes, length: int) -> t.SockAddrResult:
    """Raw sockaddr bytes written back by the kernel -> SockAddrResult (as CPython's makesockaddr)."""
    out = t.SockAddrResult(raw=raw, length=length)
    if len(raw) < 2:
        return out
    family = struct.unpack_from("<H", raw)[0]
    out.family = family
    complete = length <= len(raw)
    if family == AF_UNIX and complete:
        path = raw[2:length]
        if path[:1] != b"\0":
            path = path.split(b"\0", 1)[0]
        out.local.path = path
    elif family == AF_INET and len(raw) >= 8:
        port = struct.unpack_from(">H", raw, 2)[0]
        out.inet.CopyFrom(t.InetAddress(address=_pysocket.inet_ntop(_pysocket.AF_INET, raw[4:8]), port=port))
    elif family == AF_INET6 and len(raw) >= 28:
        port, flowinfo = struct.unpack_from(">HI", raw, 2)
        scope_id = struct.unpack_from("<I", raw, 24)[0]
        text = _pysocket.inet_ntop(_pysocket.AF_INET6, raw[8:24])
        out.inet6.CopyFrom(t.Inet6Address(address=text, port=port, flowinfo=flowinfo, scope_id=scope_id))
    return out


def _set_addr(target: Message, field: str, raw: bytes, length: int) -> None:
    """Fill ``target.field`` with the decoded address when the kernel gave one."""
    if length > 0 or raw:
        getattr(target, field).CopyFrom(decode_sockaddr(raw, length))


# --- control messages -------------------------------------------------------


def _align(n: int) -> int:
    return (n + 7) & ~7


def encode_cmsgs(items: Iterable[t.ControlMessage]) -> bytes:
    """Control messages -> raw cmsghdr bytes (each padded to CMSG_SPACE)."""
    out = bytearray()
    for cm in items:
        data = bytes(cm.data)
        out += CMSG_HDR.pack(CMSG_HDR.size + len(data), cm.level, cm.type) + data
        out += bytes(_align(len(out)) - len(out))
    return bytes(out)


def decode_cmsgs(raw: bytes) -> list[t.ControlMessage]:
    """Raw cmsghdr bytes -> control messages; a truncated tail keeps what is there."""
    items: list[t.ControlMessage] = []
    off = 0
    while off + CMSG_HDR.size <= len(raw):
        length, level, kind = CMSG_HDR.unpack_from(raw, off)
        if length < CMSG_HDR.size:
            break
        items.append(t.ControlMessage(level=level, type=kind, data=raw[off + CMSG_HDR.size : off + length]))
        off += _align(length)
    return items


def encode_control(ctl: t.Control) -> bytes:
    """The raw bytes a Control asks to send (either form, not both)."""
    if ctl.messages and ctl.raw:
        raise BadRequest("control: give raw bytes or messages, not both")
    return encode_cmsgs(ctl.messages) if ctl.messages else bytes(ctl.raw)


def control_out(raw: bytes) -> t.Control:
    """The Control of a reply: the raw bytes and their decoded messages."""
    return t.Control(raw=raw, messages=decode_cmsgs(raw))


# --- message headers --------------------------------------------------------


def send_msghdr(h: t.SendMsgHeader) -> dict[str, Any]:
    """A SendMsgHeader -> the dict sendmsg / sendmmsg take."""
    return {"iov": [bytes(b) for b in h.iov], "addr": _opt_addr(h, "address"), "control": encode_control(h.control)}


def recv_msghdr(h: t.RecvMsgHeader) -> dict[str, Any]:
    """A RecvMsgHeader -> the dict recvmsg / recvmmsg take."""
    addrlen = socklen(h.addrlen) if h.HasField("addrlen") else SOCKADDR_STORAGE_SIZE
    return {"size": h.size, "addrlen": addrlen, "controllen": h.controllen}


def msg_result(m: SysMsg) -> t.MsgResult:
    """One message's outputs -> MsgResult."""
    out = t.MsgResult(msg_len=m.msg_len, data=m.data, msg_flags=m.msg_flags)
    _set_addr(out, "address", m.addr, m.addrlen)
    if m.control:
        out.control.CopyFrom(control_out(m.control))
    return out


# --- Invoke arguments -------------------------------------------------------


def invoke_arg(arg: t.SocketCallArg) -> Any:
    """One positional socketcall argument -> the Python value sys_socketcall takes."""
    which = arg.WhichOneof("value")
    if which is None:
        return None
    if which == "number":
        return arg.number
    if which == "buffer":
        return bytes(arg.buffer)
    if which == "buffers":
        return [bytes(b) for b in arg.buffers.items]
    if which == "send_messages":
        return [send_msghdr(h) for h in arg.send_messages.items]
    return [recv_msghdr(h) for h in arg.recv_messages.items]


# --- the call table ---------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call of the API: how to turn its request into a syscall and back."""

    name: str  # the field name in SessionRequest/SessionResponse's oneof
    op: str  # the kernel op of do_syscall
    rpc: str  # the SocketCall method
    response: type[Message]
    blocking: bool
    args: Callable[[Any], dict[str, Any]]
    reply: Callable[[SysReply, Any], dict[str, Any]]  # extra response fields (besides result)
    # Writes the whole response into a message in place (the session's hot path);
    # None = CopyFrom(to_response(...)).  Must give the same message as to_response.
    filler: Callable[[SysReply, Any, Any], None] | None = None

    def to_args(self, req: Any) -> tuple[dict[str, Any], float | None]:
        """The do_syscall args and the request's own timeout (None when unset)."""
        timeout = req.timeout if self.blocking and _has(req, "timeout") else None
        return self.args(req), check_timeout(timeout)

    def fill(self, reply: SysReply, req: Any, out: Any) -> None:
        """Make ``out`` (an empty message of the response class, e.g. a
        SessionResponse's field) what :meth:`to_response` gives, and present."""
        if self.filler is not None:
            self.filler(reply, req, out)
        else:
            out.CopyFrom(self.to_response(reply, req))

    def to_response(self, reply: SysReply, req: Any) -> Message:
        """The final response message of a reply."""
        msg = self.response(result=result(reply))
        for key, value in self.reply(reply, req).items():
            if isinstance(value, Message):
                getattr(msg, key).CopyFrom(value)
            elif isinstance(value, list):
                getattr(msg, key).extend(value)
            else:
                setattr(msg, key, value)
        return msg

    def progress(self) -> Message:
        """A PROGRESS_KIND_BLOCKED event of this call's response stream."""
        return self.response(progress=t.Progress(kind=t.PROGRESS_KIND_BLOCKED, op=self.op))


def _has(msg: Message, field: str) -> bool:
    try:
        return msg.HasField(field)
    except ValueError:
        return False


def _none(reply: SysReply, req: Any) -> dict[str, Any]:
    return {}


def socklen(value: int) -> int:
    """A socklen_t (uint32 in the API) as the kernel reads it: ``int len`` (2^31 and up are negative,
    which Linux refuses with EINVAL: move_addr_to_user, sock_getsockopt, copy_msghdr_from_user)."""
    return value - (1 << 32) if value >= 1 << 31 else value


def check_timeout(value: float | None) -> float | None:
    """A call's timeout in seconds: a number >= 0 (CPython's settimeout refuses NaN, negative and
    infinite values); anything else is a malformed request."""
    if value is not None and not 0.0 <= value < float("inf"):
        raise BadRequest(f"timeout must be a finite number of seconds >= 0, not {value!r}")
    return value


def _addrlen(req: Any, field: str = "addrlen") -> int:
    return socklen(getattr(req, field)) if req.HasField(field) else SOCKADDR_STORAGE_SIZE


def _address(reply: SysReply, req: Any) -> dict[str, Any]:
    if reply.ret < 0 or (reply.addrlen == 0 and not reply.addr):
        return {}
    return {"address": decode_sockaddr(reply.addr, reply.addrlen)}


def _optval(req: sc.SetSockOptRequest) -> bytes:
    if req.WhichOneof("optval") == "int_value":
        return struct.pack("<i", req.int_value)
    return bytes(req.raw)


def _getsockopt_reply(reply: SysReply, req: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"optval": reply.data}
    if len(reply.data) == 4:
        out["int_value"] = struct.unpack("<i", reply.data)[0]
    return out


def _recvmsg_reply(reply: SysReply, req: Any) -> dict[str, Any]:
    if reply.ret < 0:
        return {}
    m = SysMsg(msg_len=reply.ret, data=reply.data, addr=reply.addr, addrlen=reply.addrlen,
               control=reply.control, msg_flags=reply.msg_flags)
    return {"message": msg_result(m)}


def _invoke_reply(reply: SysReply, req: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"data": reply.data, "fds": list(reply.fds), "msg_flags": reply.msg_flags,
                           "messages": [msg_result(m) for m in reply.msgs]}
    out.update(_address(reply, req))
    if reply.control:
        out["control"] = control_out(reply.control)
    return out


def _invoke_args(r: sc.InvokeRequest) -> dict[str, Any]:
    return {"call": int(r.call), "args": [invoke_arg(a) for a in r.args]}


def _fill_result_only(reply: SysReply, req: Any, out: Any) -> None:
    fill_result(out.result, reply)


def _fill_data(reply: SysReply, req: Any, out: Any) -> None:
    fill_result(out.result, reply)
    if reply.data:
        out.data = reply.data


def _fill_data_address(reply: SysReply, req: Any, out: Any) -> None:
    fill_result(out.result, reply)
    if reply.data:
        out.data = reply.data
    if reply.ret >= 0 and (reply.addrlen != 0 or reply.addr):
        out.address.CopyFrom(decode_sockaddr(reply.addr, reply.addrlen))


def _c(name: str, op: str, rpc: str, response: type[Message], blocking: bool,
       args: Callable[[Any], dict[str, Any]], reply: Callable[[SysReply, Any], dict[str, Any]] = _none) -> Call:
    filler = _fill_result_only if reply is _none else None
    return Call(name, op, rpc, response, blocking, args, reply, filler)


def _recv_args(r: sc.RecvRequest) -> dict[str, Any]:
    return {"fd": r.fd, "size": r.size, "flags": r.flags}


def _send_args(r: sc.SendRequest) -> dict[str, Any]:
    return {"fd": r.fd, "data": r.data, "flags": r.flags}


CALLS: dict[str, Call] = {c.name: c for c in [
    _c("socket", "socket", "Socket", sc.SocketResponse, False,
       lambda r: {"family": r.family, "type": r.type, "protocol": r.protocol}),
    _c("bind", "bind", "Bind", sc.BindResponse, False,
       lambda r: {"fd": r.fd, "addr": _req_addr(r, "address")}),
    _c("connect", "connect", "Connect", sc.ConnectResponse, True,
       lambda r: {"fd": r.fd, "addr": _req_addr(r, "address")}),
    _c("listen", "listen", "Listen", sc.ListenResponse, False,
       lambda r: {"fd": r.fd, "backlog": r.backlog}),
    _c("accept", "accept", "Accept", sc.AcceptResponse, True,
       lambda r: {"fd": r.fd, "want_addr": not r.no_address, "addrlen": _addrlen(r)}, _address),
    _c("getsockname", "getsockname", "GetSockName", sc.GetSockNameResponse, False,
       lambda r: {"fd": r.fd, "addrlen": _addrlen(r)}, _address),
    _c("getpeername", "getpeername", "GetPeerName", sc.GetPeerNameResponse, False,
       lambda r: {"fd": r.fd, "addrlen": _addrlen(r)}, _address),
    _c("socketpair", "socketpair", "SocketPair", sc.SocketPairResponse, False,
       lambda r: {"family": r.family, "type": r.type, "protocol": r.protocol},
       lambda rep, r: {"fds": list(rep.fds)}),
    _c("send", "send", "Send", sc.SendResponse, True, _send_args),
    Call("recv", "recv", "Recv", sc.RecvResponse, True, _recv_args,
         lambda rep, r: {"data": rep.data}, _fill_data),
    _c("sendto", "sendto", "SendTo", sc.SendToResponse, True,
       lambda r: {"fd": r.fd, "data": bytes(r.data), "flags": r.flags, "addr": _opt_addr(r, "address")}),
    Call("recvfrom", "recvfrom", "RecvFrom", sc.RecvFromResponse, True,
         lambda r: {"fd": r.fd, "size": r.size, "flags": r.flags, "addrlen": _addrlen(r)},
         lambda rep, r: {"data": rep.data, **_address(rep, r)}, _fill_data_address),
    _c("shutdown", "shutdown", "Shutdown", sc.ShutdownResponse, False,
       lambda r: {"fd": r.fd, "how": r.how}),
    _c("setsockopt", "setsockopt", "SetSockOpt", sc.SetSockOptResponse, False,
       lambda r: {"fd": r.fd, "level": r.level, "optname": r.optname, "optval": _optval(r)}),
    _c("getsockopt", "getsockopt", "GetSockOpt", sc.GetSockOptResponse, False,
       lambda r: {"fd": r.fd, "level": r.level, "optname": r.optname, "optlen": socklen(r.optlen)},
       _getsockopt_reply),
    _c("sendmsg", "sendmsg", "SendMsg", sc.SendMsgResponse, True,
       lambda r: {"fd": r.fd, "flags": r.flags, **send_msghdr(r.message)}),
    _c("recvmsg", "recvmsg", "RecvMsg", sc.RecvMsgResponse, True,
       lambda r: {"fd": r.fd, "flags": r.flags, **recv_msghdr(r.message)}, _recvmsg_reply),
    _c("accept4", "accept4", "Accept4", sc.Accept4Response, True,
       lambda r: {"fd": r.fd, "flags": r.flags, "want_addr": not r.no_address, "addrlen": _addrlen(r)},
       _address),
    _c("recvmmsg", "recvmmsg", "RecvMMsg", sc.RecvMMsgResponse, True,
       lambda r: {"fd": r.fd, "flags": r.flags, "msgs": [recv_msghdr(h) for h in r.messages],
                  "timeout_ns": r.timeout_ns if r.HasField("timeout_ns") else None},
       lambda rep, r: {"messages": [msg_result(m) for m in rep.msgs]}),
    _c("sendmmsg", "sendmmsg", "SendMMsg", sc.SendMMsgResponse, True,
       lambda r: {"fd": r.fd, "flags": r.flags, "msgs": [send_msghdr(h) for h in r.messages]},
       lambda rep, r: {"messages": [msg_result(m) for m in rep.msgs]}),
    _c("close", "close", "Close", sc.CloseResponse, False, lambda r: {"fd": r.fd}),
    _c("dup", "dup", "Dup", sc.DupResponse, False, lambda r: {"fd": r.fd}),
    _c("fcntl", "fcntl", "Fcntl", sc.FcntlResponse, False,
       lambda r: {"fd": r.fd, "cmd": r.cmd, "arg": r.arg}),
    _c("ioctl", "ioctl", "Ioctl", sc.IoctlResponse, False,
       lambda r: {"fd": r.fd, "cmd": r.cmd, "arg": r.arg, "buf": bytes(r.buf) if r.HasField("buf") else None},
       lambda rep, r: {"value": rep.value, "data": rep.data}),
    _c("poll", "poll", "Poll", sc.PollResponse, True,
       lambda r: {"fds": [(p.fd, p.events) for p in r.fds], "timeout_ms": r.timeout_ms},
       lambda rep, r: {"revents": list(rep.revents)}),
    _c("epoll_create", "epoll_create1", "EpollCreate", sc.EpollCreateResponse, False,
       lambda r: {"flags": r.flags}),
    _c("epoll_ctl", "epoll_ctl", "EpollCtl", sc.EpollCtlResponse, False,
       lambda r: {"epfd": r.epfd, "op": r.op, "fd": r.fd, "events": r.events, "data": r.data}),
    _c("epoll_wait", "epoll_wait", "EpollWait", sc.EpollWaitResponse, True,
       lambda r: {"epfd": r.epfd, "maxevents": r.maxevents, "timeout_ms": r.timeout_ms},
       lambda rep, r: {"events": [t.EpollEvent(events=e, data=d) for e, d in rep.events]}),
    _c("unlink", "unlink", "Unlink", sc.UnlinkResponse, False, lambda r: {"path": bytes(r.path)}),
    _c("invoke", "socketcall", "Invoke", sc.InvokeResponse, True, _invoke_args, _invoke_reply),
]}

BY_RPC: dict[str, Call] = {c.rpc: c for c in CALLS.values()}
