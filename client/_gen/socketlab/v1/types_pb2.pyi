from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SocketCallNumber(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOCKET_CALL_NUMBER_UNSPECIFIED: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SOCKET: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_BIND: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_CONNECT: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_LISTEN: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_ACCEPT: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_GETSOCKNAME: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_GETPEERNAME: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SOCKETPAIR: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SEND: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_RECV: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SENDTO: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_RECVFROM: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SHUTDOWN: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SETSOCKOPT: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_GETSOCKOPT: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SENDMSG: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_RECVMSG: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_ACCEPT4: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_RECVMMSG: _ClassVar[SocketCallNumber]
    SOCKET_CALL_NUMBER_SYS_SENDMMSG: _ClassVar[SocketCallNumber]

class ProgressKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRESS_KIND_UNSPECIFIED: _ClassVar[ProgressKind]
    PROGRESS_KIND_BLOCKED: _ClassVar[ProgressKind]
SOCKET_CALL_NUMBER_UNSPECIFIED: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SOCKET: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_BIND: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_CONNECT: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_LISTEN: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_ACCEPT: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_GETSOCKNAME: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_GETPEERNAME: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SOCKETPAIR: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SEND: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_RECV: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SENDTO: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_RECVFROM: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SHUTDOWN: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SETSOCKOPT: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_GETSOCKOPT: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SENDMSG: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_RECVMSG: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_ACCEPT4: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_RECVMMSG: SocketCallNumber
SOCKET_CALL_NUMBER_SYS_SENDMMSG: SocketCallNumber
PROGRESS_KIND_UNSPECIFIED: ProgressKind
PROGRESS_KIND_BLOCKED: ProgressKind

class Result(_message.Message):
    __slots__ = ("ret", "error_number", "error_name", "timed_out")
    RET_FIELD_NUMBER: _ClassVar[int]
    ERROR_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ERROR_NAME_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    ret: int
    error_number: int
    error_name: str
    timed_out: bool
    def __init__(self, ret: _Optional[int] = ..., error_number: _Optional[int] = ..., error_name: _Optional[str] = ..., timed_out: _Optional[bool] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("kind", "op")
    KIND_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    kind: ProgressKind
    op: str
    def __init__(self, kind: _Optional[_Union[ProgressKind, str]] = ..., op: _Optional[str] = ...) -> None: ...

class SockAddr(_message.Message):
    __slots__ = ("raw", "local", "inet", "inet6")
    RAW_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    INET_FIELD_NUMBER: _ClassVar[int]
    INET6_FIELD_NUMBER: _ClassVar[int]
    raw: bytes
    local: LocalAddress
    inet: InetAddress
    inet6: Inet6Address
    def __init__(self, raw: _Optional[bytes] = ..., local: _Optional[_Union[LocalAddress, _Mapping]] = ..., inet: _Optional[_Union[InetAddress, _Mapping]] = ..., inet6: _Optional[_Union[Inet6Address, _Mapping]] = ...) -> None: ...

class LocalAddress(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: bytes
    def __init__(self, path: _Optional[bytes] = ...) -> None: ...

class InetAddress(_message.Message):
    __slots__ = ("address", "port")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    address: str
    port: int
    def __init__(self, address: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...

class Inet6Address(_message.Message):
    __slots__ = ("address", "port", "flowinfo", "scope_id")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    FLOWINFO_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    address: str
    port: int
    flowinfo: int
    scope_id: int
    def __init__(self, address: _Optional[str] = ..., port: _Optional[int] = ..., flowinfo: _Optional[int] = ..., scope_id: _Optional[int] = ...) -> None: ...

class SockAddrResult(_message.Message):
    __slots__ = ("raw", "length", "family", "local", "inet", "inet6")
    RAW_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    INET_FIELD_NUMBER: _ClassVar[int]
    INET6_FIELD_NUMBER: _ClassVar[int]
    raw: bytes
    length: int
    family: int
    local: LocalAddress
    inet: InetAddress
    inet6: Inet6Address
    def __init__(self, raw: _Optional[bytes] = ..., length: _Optional[int] = ..., family: _Optional[int] = ..., local: _Optional[_Union[LocalAddress, _Mapping]] = ..., inet: _Optional[_Union[InetAddress, _Mapping]] = ..., inet6: _Optional[_Union[Inet6Address, _Mapping]] = ...) -> None: ...

class ControlMessage(_message.Message):
    __slots__ = ("level", "type", "data")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    level: int
    type: int
    data: bytes
    def __init__(self, level: _Optional[int] = ..., type: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class Control(_message.Message):
    __slots__ = ("raw", "messages")
    RAW_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    raw: bytes
    messages: _containers.RepeatedCompositeFieldContainer[ControlMessage]
    def __init__(self, raw: _Optional[bytes] = ..., messages: _Optional[_Iterable[_Union[ControlMessage, _Mapping]]] = ...) -> None: ...

class SendMsgHeader(_message.Message):
    __slots__ = ("iov", "address", "control")
    IOV_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FIELD_NUMBER: _ClassVar[int]
    iov: _containers.RepeatedScalarFieldContainer[bytes]
    address: SockAddr
    control: Control
    def __init__(self, iov: _Optional[_Iterable[bytes]] = ..., address: _Optional[_Union[SockAddr, _Mapping]] = ..., control: _Optional[_Union[Control, _Mapping]] = ...) -> None: ...

class RecvMsgHeader(_message.Message):
    __slots__ = ("size", "addrlen", "controllen")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ADDRLEN_FIELD_NUMBER: _ClassVar[int]
    CONTROLLEN_FIELD_NUMBER: _ClassVar[int]
    size: int
    addrlen: int
    controllen: int
    def __init__(self, size: _Optional[int] = ..., addrlen: _Optional[int] = ..., controllen: _Optional[int] = ...) -> None: ...

class MsgResult(_message.Message):
    __slots__ = ("msg_len", "data", "address", "control", "msg_flags")
    MSG_LEN_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FIELD_NUMBER: _ClassVar[int]
    MSG_FLAGS_FIELD_NUMBER: _ClassVar[int]
    msg_len: int
    data: bytes
    address: SockAddrResult
    control: Control
    msg_flags: int
    def __init__(self, msg_len: _Optional[int] = ..., data: _Optional[bytes] = ..., address: _Optional[_Union[SockAddrResult, _Mapping]] = ..., control: _Optional[_Union[Control, _Mapping]] = ..., msg_flags: _Optional[int] = ...) -> None: ...

class BufferList(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, items: _Optional[_Iterable[bytes]] = ...) -> None: ...

class SendMsgHeaderList(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SendMsgHeader]
    def __init__(self, items: _Optional[_Iterable[_Union[SendMsgHeader, _Mapping]]] = ...) -> None: ...

class RecvMsgHeaderList(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RecvMsgHeader]
    def __init__(self, items: _Optional[_Iterable[_Union[RecvMsgHeader, _Mapping]]] = ...) -> None: ...

class SocketCallArg(_message.Message):
    __slots__ = ("number", "buffer", "buffers", "send_messages", "recv_messages")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    BUFFER_FIELD_NUMBER: _ClassVar[int]
    BUFFERS_FIELD_NUMBER: _ClassVar[int]
    SEND_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    RECV_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    number: int
    buffer: bytes
    buffers: BufferList
    send_messages: SendMsgHeaderList
    recv_messages: RecvMsgHeaderList
    def __init__(self, number: _Optional[int] = ..., buffer: _Optional[bytes] = ..., buffers: _Optional[_Union[BufferList, _Mapping]] = ..., send_messages: _Optional[_Union[SendMsgHeaderList, _Mapping]] = ..., recv_messages: _Optional[_Union[RecvMsgHeaderList, _Mapping]] = ...) -> None: ...

class PollFd(_message.Message):
    __slots__ = ("fd", "events")
    FD_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    fd: int
    events: int
    def __init__(self, fd: _Optional[int] = ..., events: _Optional[int] = ...) -> None: ...

class EpollEvent(_message.Message):
    __slots__ = ("events", "data")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    events: int
    data: int
    def __init__(self, events: _Optional[int] = ..., data: _Optional[int] = ...) -> None: ...
