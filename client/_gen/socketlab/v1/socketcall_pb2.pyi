from client._gen.socketlab.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SocketRequest(_message.Message):
    __slots__ = ("process", "family", "type", "protocol")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    process: str
    family: int
    type: int
    protocol: int
    def __init__(self, process: _Optional[str] = ..., family: _Optional[int] = ..., type: _Optional[int] = ..., protocol: _Optional[int] = ...) -> None: ...

class SocketResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class BindRequest(_message.Message):
    __slots__ = ("process", "fd", "address")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    address: _types_pb2.SockAddr
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., address: _Optional[_Union[_types_pb2.SockAddr, _Mapping]] = ...) -> None: ...

class BindResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class ConnectRequest(_message.Message):
    __slots__ = ("process", "fd", "address", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    address: _types_pb2.SockAddr
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., address: _Optional[_Union[_types_pb2.SockAddr, _Mapping]] = ..., timeout: _Optional[float] = ...) -> None: ...

class ConnectResponse(_message.Message):
    __slots__ = ("result", "progress")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ...) -> None: ...

class ListenRequest(_message.Message):
    __slots__ = ("process", "fd", "backlog")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    BACKLOG_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    backlog: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., backlog: _Optional[int] = ...) -> None: ...

class ListenResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class AcceptRequest(_message.Message):
    __slots__ = ("process", "fd", "no_address", "addrlen", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    NO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ADDRLEN_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    no_address: bool
    addrlen: int
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., no_address: _Optional[bool] = ..., addrlen: _Optional[int] = ..., timeout: _Optional[float] = ...) -> None: ...

class AcceptResponse(_message.Message):
    __slots__ = ("result", "progress", "address")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    address: _types_pb2.SockAddrResult
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., address: _Optional[_Union[_types_pb2.SockAddrResult, _Mapping]] = ...) -> None: ...

class GetSockNameRequest(_message.Message):
    __slots__ = ("process", "fd", "addrlen")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    ADDRLEN_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    addrlen: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., addrlen: _Optional[int] = ...) -> None: ...

class GetSockNameResponse(_message.Message):
    __slots__ = ("result", "address")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    address: _types_pb2.SockAddrResult
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., address: _Optional[_Union[_types_pb2.SockAddrResult, _Mapping]] = ...) -> None: ...

class GetPeerNameRequest(_message.Message):
    __slots__ = ("process", "fd", "addrlen")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    ADDRLEN_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    addrlen: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., addrlen: _Optional[int] = ...) -> None: ...

class GetPeerNameResponse(_message.Message):
    __slots__ = ("result", "address")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    address: _types_pb2.SockAddrResult
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., address: _Optional[_Union[_types_pb2.SockAddrResult, _Mapping]] = ...) -> None: ...

class SocketPairRequest(_message.Message):
    __slots__ = ("process", "family", "type", "protocol")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    process: str
    family: int
    type: int
    protocol: int
    def __init__(self, process: _Optional[str] = ..., family: _Optional[int] = ..., type: _Optional[int] = ..., protocol: _Optional[int] = ...) -> None: ...

class SocketPairResponse(_message.Message):
    __slots__ = ("result", "fds")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FDS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    fds: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., fds: _Optional[_Iterable[int]] = ...) -> None: ...

class SendRequest(_message.Message):
    __slots__ = ("process", "fd", "data", "flags", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    data: bytes
    flags: int
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., data: _Optional[bytes] = ..., flags: _Optional[int] = ..., timeout: _Optional[float] = ...) -> None: ...

class SendResponse(_message.Message):
    __slots__ = ("result", "progress")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ...) -> None: ...

class RecvRequest(_message.Message):
    __slots__ = ("process", "fd", "size", "flags", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    size: int
    flags: int
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., size: _Optional[int] = ..., flags: _Optional[int] = ..., timeout: _Optional[float] = ...) -> None: ...

class RecvResponse(_message.Message):
    __slots__ = ("result", "progress", "data")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    data: bytes
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class SendToRequest(_message.Message):
    __slots__ = ("process", "fd", "data", "flags", "address", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    data: bytes
    flags: int
    address: _types_pb2.SockAddr
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., data: _Optional[bytes] = ..., flags: _Optional[int] = ..., address: _Optional[_Union[_types_pb2.SockAddr, _Mapping]] = ..., timeout: _Optional[float] = ...) -> None: ...

class SendToResponse(_message.Message):
    __slots__ = ("result", "progress")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ...) -> None: ...

class RecvFromRequest(_message.Message):
    __slots__ = ("process", "fd", "size", "flags", "addrlen", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    ADDRLEN_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    size: int
    flags: int
    addrlen: int
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., size: _Optional[int] = ..., flags: _Optional[int] = ..., addrlen: _Optional[int] = ..., timeout: _Optional[float] = ...) -> None: ...

class RecvFromResponse(_message.Message):
    __slots__ = ("result", "progress", "data", "address")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    data: bytes
    address: _types_pb2.SockAddrResult
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., data: _Optional[bytes] = ..., address: _Optional[_Union[_types_pb2.SockAddrResult, _Mapping]] = ...) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ("process", "fd", "how")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    HOW_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    how: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., how: _Optional[int] = ...) -> None: ...

class ShutdownResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class SetSockOptRequest(_message.Message):
    __slots__ = ("process", "fd", "level", "optname", "raw", "int_value")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    OPTNAME_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    level: int
    optname: int
    raw: bytes
    int_value: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., level: _Optional[int] = ..., optname: _Optional[int] = ..., raw: _Optional[bytes] = ..., int_value: _Optional[int] = ...) -> None: ...

class SetSockOptResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class GetSockOptRequest(_message.Message):
    __slots__ = ("process", "fd", "level", "optname", "optlen")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    OPTNAME_FIELD_NUMBER: _ClassVar[int]
    OPTLEN_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    level: int
    optname: int
    optlen: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., level: _Optional[int] = ..., optname: _Optional[int] = ..., optlen: _Optional[int] = ...) -> None: ...

class GetSockOptResponse(_message.Message):
    __slots__ = ("result", "optval", "int_value")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    OPTVAL_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    optval: bytes
    int_value: int
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., optval: _Optional[bytes] = ..., int_value: _Optional[int] = ...) -> None: ...

class SendMsgRequest(_message.Message):
    __slots__ = ("process", "fd", "flags", "message", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    flags: int
    message: _types_pb2.SendMsgHeader
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., flags: _Optional[int] = ..., message: _Optional[_Union[_types_pb2.SendMsgHeader, _Mapping]] = ..., timeout: _Optional[float] = ...) -> None: ...

class SendMsgResponse(_message.Message):
    __slots__ = ("result", "progress")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ...) -> None: ...

class RecvMsgRequest(_message.Message):
    __slots__ = ("process", "fd", "flags", "message", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    flags: int
    message: _types_pb2.RecvMsgHeader
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., flags: _Optional[int] = ..., message: _Optional[_Union[_types_pb2.RecvMsgHeader, _Mapping]] = ..., timeout: _Optional[float] = ...) -> None: ...

class RecvMsgResponse(_message.Message):
    __slots__ = ("result", "progress", "message")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    message: _types_pb2.MsgResult
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., message: _Optional[_Union[_types_pb2.MsgResult, _Mapping]] = ...) -> None: ...

class Accept4Request(_message.Message):
    __slots__ = ("process", "fd", "flags", "no_address", "addrlen", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    NO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ADDRLEN_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    flags: int
    no_address: bool
    addrlen: int
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., flags: _Optional[int] = ..., no_address: _Optional[bool] = ..., addrlen: _Optional[int] = ..., timeout: _Optional[float] = ...) -> None: ...

class Accept4Response(_message.Message):
    __slots__ = ("result", "progress", "address")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    address: _types_pb2.SockAddrResult
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., address: _Optional[_Union[_types_pb2.SockAddrResult, _Mapping]] = ...) -> None: ...

class RecvMMsgRequest(_message.Message):
    __slots__ = ("process", "fd", "flags", "messages", "timeout_ns", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_NS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    flags: int
    messages: _containers.RepeatedCompositeFieldContainer[_types_pb2.RecvMsgHeader]
    timeout_ns: int
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., flags: _Optional[int] = ..., messages: _Optional[_Iterable[_Union[_types_pb2.RecvMsgHeader, _Mapping]]] = ..., timeout_ns: _Optional[int] = ..., timeout: _Optional[float] = ...) -> None: ...

class RecvMMsgResponse(_message.Message):
    __slots__ = ("result", "progress", "messages")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    messages: _containers.RepeatedCompositeFieldContainer[_types_pb2.MsgResult]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[_types_pb2.MsgResult, _Mapping]]] = ...) -> None: ...

class SendMMsgRequest(_message.Message):
    __slots__ = ("process", "fd", "flags", "messages", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    flags: int
    messages: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendMsgHeader]
    timeout: float
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., flags: _Optional[int] = ..., messages: _Optional[_Iterable[_Union[_types_pb2.SendMsgHeader, _Mapping]]] = ..., timeout: _Optional[float] = ...) -> None: ...

class SendMMsgResponse(_message.Message):
    __slots__ = ("result", "progress", "messages")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    messages: _containers.RepeatedCompositeFieldContainer[_types_pb2.MsgResult]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[_types_pb2.MsgResult, _Mapping]]] = ...) -> None: ...

class CloseRequest(_message.Message):
    __slots__ = ("process", "fd")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ...) -> None: ...

class CloseResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class DupRequest(_message.Message):
    __slots__ = ("process", "fd")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ...) -> None: ...

class DupResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class FcntlRequest(_message.Message):
    __slots__ = ("process", "fd", "cmd", "arg")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ARG_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    cmd: int
    arg: int
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., cmd: _Optional[int] = ..., arg: _Optional[int] = ...) -> None: ...

class FcntlResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class IoctlRequest(_message.Message):
    __slots__ = ("process", "fd", "cmd", "arg", "buf")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ARG_FIELD_NUMBER: _ClassVar[int]
    BUF_FIELD_NUMBER: _ClassVar[int]
    process: str
    fd: int
    cmd: int
    arg: int
    buf: bytes
    def __init__(self, process: _Optional[str] = ..., fd: _Optional[int] = ..., cmd: _Optional[int] = ..., arg: _Optional[int] = ..., buf: _Optional[bytes] = ...) -> None: ...

class IoctlResponse(_message.Message):
    __slots__ = ("result", "value", "data")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    value: int
    data: bytes
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., value: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class PollRequest(_message.Message):
    __slots__ = ("process", "fds", "timeout_ms")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FDS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    process: str
    fds: _containers.RepeatedCompositeFieldContainer[_types_pb2.PollFd]
    timeout_ms: int
    def __init__(self, process: _Optional[str] = ..., fds: _Optional[_Iterable[_Union[_types_pb2.PollFd, _Mapping]]] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class PollResponse(_message.Message):
    __slots__ = ("result", "progress", "revents")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    REVENTS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    revents: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., revents: _Optional[_Iterable[int]] = ...) -> None: ...

class EpollCreateRequest(_message.Message):
    __slots__ = ("process", "flags")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    process: str
    flags: int
    def __init__(self, process: _Optional[str] = ..., flags: _Optional[int] = ...) -> None: ...

class EpollCreateResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class EpollCtlRequest(_message.Message):
    __slots__ = ("process", "epfd", "op", "fd", "events", "data")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    EPFD_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    process: str
    epfd: int
    op: int
    fd: int
    events: int
    data: int
    def __init__(self, process: _Optional[str] = ..., epfd: _Optional[int] = ..., op: _Optional[int] = ..., fd: _Optional[int] = ..., events: _Optional[int] = ..., data: _Optional[int] = ...) -> None: ...

class EpollCtlResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class EpollWaitRequest(_message.Message):
    __slots__ = ("process", "epfd", "maxevents", "timeout_ms", "repeat")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    EPFD_FIELD_NUMBER: _ClassVar[int]
    MAXEVENTS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    process: str
    epfd: int
    maxevents: int
    timeout_ms: int
    repeat: bool
    def __init__(self, process: _Optional[str] = ..., epfd: _Optional[int] = ..., maxevents: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., repeat: _Optional[bool] = ...) -> None: ...

class EpollWaitResponse(_message.Message):
    __slots__ = ("result", "progress", "events")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    events: _containers.RepeatedCompositeFieldContainer[_types_pb2.EpollEvent]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., events: _Optional[_Iterable[_Union[_types_pb2.EpollEvent, _Mapping]]] = ...) -> None: ...

class SigioRequest(_message.Message):
    __slots__ = ("process",)
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    process: str
    def __init__(self, process: _Optional[str] = ...) -> None: ...

class SigioResponse(_message.Message):
    __slots__ = ("signo", "fd", "band")
    SIGNO_FIELD_NUMBER: _ClassVar[int]
    FD_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    signo: int
    fd: int
    band: int
    def __init__(self, signo: _Optional[int] = ..., fd: _Optional[int] = ..., band: _Optional[int] = ...) -> None: ...

class UnlinkRequest(_message.Message):
    __slots__ = ("process", "path")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    process: str
    path: bytes
    def __init__(self, process: _Optional[str] = ..., path: _Optional[bytes] = ...) -> None: ...

class UnlinkResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class InvokeRequest(_message.Message):
    __slots__ = ("process", "call", "args", "timeout")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    process: str
    call: _types_pb2.SocketCallNumber
    args: _containers.RepeatedCompositeFieldContainer[_types_pb2.SocketCallArg]
    timeout: float
    def __init__(self, process: _Optional[str] = ..., call: _Optional[_Union[_types_pb2.SocketCallNumber, str]] = ..., args: _Optional[_Iterable[_Union[_types_pb2.SocketCallArg, _Mapping]]] = ..., timeout: _Optional[float] = ...) -> None: ...

class InvokeResponse(_message.Message):
    __slots__ = ("result", "progress", "data", "address", "fds", "control", "msg_flags", "messages")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    FDS_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FIELD_NUMBER: _ClassVar[int]
    MSG_FLAGS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    progress: _types_pb2.Progress
    data: bytes
    address: _types_pb2.SockAddrResult
    fds: _containers.RepeatedScalarFieldContainer[int]
    control: _types_pb2.Control
    msg_flags: int
    messages: _containers.RepeatedCompositeFieldContainer[_types_pb2.MsgResult]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., data: _Optional[bytes] = ..., address: _Optional[_Union[_types_pb2.SockAddrResult, _Mapping]] = ..., fds: _Optional[_Iterable[int]] = ..., control: _Optional[_Union[_types_pb2.Control, _Mapping]] = ..., msg_flags: _Optional[int] = ..., messages: _Optional[_Iterable[_Union[_types_pb2.MsgResult, _Mapping]]] = ...) -> None: ...
