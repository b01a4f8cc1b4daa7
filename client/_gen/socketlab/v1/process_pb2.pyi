from client._gen.socketlab.v1 import socketcall_pb2 as _socketcall_pb2
from client._gen.socketlab.v1 import types_pb2 as _types_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SessionRequest(_message.Message):
    __slots__ = ("id", "report_progress", "timeout", "open", "cancel", "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername", "socketpair", "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg", "close", "dup", "fcntl", "ioctl", "poll", "epoll_create", "epoll_ctl", "epoll_wait", "unlink", "invoke")
    ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    SOCKET_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    CONNECT_FIELD_NUMBER: _ClassVar[int]
    LISTEN_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    GETSOCKNAME_FIELD_NUMBER: _ClassVar[int]
    GETPEERNAME_FIELD_NUMBER: _ClassVar[int]
    SOCKETPAIR_FIELD_NUMBER: _ClassVar[int]
    SEND_FIELD_NUMBER: _ClassVar[int]
    RECV_FIELD_NUMBER: _ClassVar[int]
    SENDTO_FIELD_NUMBER: _ClassVar[int]
    RECVFROM_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    SETSOCKOPT_FIELD_NUMBER: _ClassVar[int]
    GETSOCKOPT_FIELD_NUMBER: _ClassVar[int]
    SENDMSG_FIELD_NUMBER: _ClassVar[int]
    RECVMSG_FIELD_NUMBER: _ClassVar[int]
    ACCEPT4_FIELD_NUMBER: _ClassVar[int]
    RECVMMSG_FIELD_NUMBER: _ClassVar[int]
    SENDMMSG_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    DUP_FIELD_NUMBER: _ClassVar[int]
    FCNTL_FIELD_NUMBER: _ClassVar[int]
    IOCTL_FIELD_NUMBER: _ClassVar[int]
    POLL_FIELD_NUMBER: _ClassVar[int]
    EPOLL_CREATE_FIELD_NUMBER: _ClassVar[int]
    EPOLL_CTL_FIELD_NUMBER: _ClassVar[int]
    EPOLL_WAIT_FIELD_NUMBER: _ClassVar[int]
    UNLINK_FIELD_NUMBER: _ClassVar[int]
    INVOKE_FIELD_NUMBER: _ClassVar[int]
    id: int
    report_progress: bool
    timeout: float
    open: OpenProcess
    cancel: CancelCall
    socket: _socketcall_pb2.SocketRequest
    bind: _socketcall_pb2.BindRequest
    connect: _socketcall_pb2.ConnectRequest
    listen: _socketcall_pb2.ListenRequest
    accept: _socketcall_pb2.AcceptRequest
    getsockname: _socketcall_pb2.GetSockNameRequest
    getpeername: _socketcall_pb2.GetPeerNameRequest
    socketpair: _socketcall_pb2.SocketPairRequest
    send: _socketcall_pb2.SendRequest
    recv: _socketcall_pb2.RecvRequest
    sendto: _socketcall_pb2.SendToRequest
    recvfrom: _socketcall_pb2.RecvFromRequest
    shutdown: _socketcall_pb2.ShutdownRequest
    setsockopt: _socketcall_pb2.SetSockOptRequest
    getsockopt: _socketcall_pb2.GetSockOptRequest
    sendmsg: _socketcall_pb2.SendMsgRequest
    recvmsg: _socketcall_pb2.RecvMsgRequest
    accept4: _socketcall_pb2.Accept4Request
    recvmmsg: _socketcall_pb2.RecvMMsgRequest
    sendmmsg: _socketcall_pb2.SendMMsgRequest
    close: _socketcall_pb2.CloseRequest
    dup: _socketcall_pb2.DupRequest
    fcntl: _socketcall_pb2.FcntlRequest
    ioctl: _socketcall_pb2.IoctlRequest
    poll: _socketcall_pb2.PollRequest
    epoll_create: _socketcall_pb2.EpollCreateRequest
    epoll_ctl: _socketcall_pb2.EpollCtlRequest
    epoll_wait: _socketcall_pb2.EpollWaitRequest
    unlink: _socketcall_pb2.UnlinkRequest
    invoke: _socketcall_pb2.InvokeRequest
    def __init__(self, id: _Optional[int] = ..., report_progress: _Optional[bool] = ..., timeout: _Optional[float] = ..., open: _Optional[_Union[OpenProcess, _Mapping]] = ..., cancel: _Optional[_Union[CancelCall, _Mapping]] = ..., socket: _Optional[_Union[_socketcall_pb2.SocketRequest, _Mapping]] = ..., bind: _Optional[_Union[_socketcall_pb2.BindRequest, _Mapping]] = ..., connect: _Optional[_Union[_socketcall_pb2.ConnectRequest, _Mapping]] = ..., listen: _Optional[_Union[_socketcall_pb2.ListenRequest, _Mapping]] = ..., accept: _Optional[_Union[_socketcall_pb2.AcceptRequest, _Mapping]] = ..., getsockname: _Optional[_Union[_socketcall_pb2.GetSockNameRequest, _Mapping]] = ..., getpeername: _Optional[_Union[_socketcall_pb2.GetPeerNameRequest, _Mapping]] = ..., socketpair: _Optional[_Union[_socketcall_pb2.SocketPairRequest, _Mapping]] = ..., send: _Optional[_Union[_socketcall_pb2.SendRequest, _Mapping]] = ..., recv: _Optional[_Union[_socketcall_pb2.RecvRequest, _Mapping]] = ..., sendto: _Optional[_Union[_socketcall_pb2.SendToRequest, _Mapping]] = ..., recvfrom: _Optional[_Union[_socketcall_pb2.RecvFromRequest, _Mapping]] = ..., shutdown: _Optional[_Union[_socketcall_pb2.ShutdownRequest, _Mapping]] = ..., setsockopt: _Optional[_Union[_socketcall_pb2.SetSockOptRequest, _Mapping]] = ..., getsockopt: _Optional[_Union[_socketcall_pb2.GetSockOptRequest, _Mapping]] = ..., sendmsg: _Optional[_Union[_socketcall_pb2.SendMsgRequest, _Mapping]] = ..., recvmsg: _Optional[_Union[_socketcall_pb2.RecvMsgRequest, _Mapping]] = ..., accept4: _Optional[_Union[_socketcall_pb2.Accept4Request, _Mapping]] = ..., recvmmsg: _Optional[_Union[_socketcall_pb2.RecvMMsgRequest, _Mapping]] = ..., sendmmsg: _Optional[_Union[_socketcall_pb2.SendMMsgRequest, _Mapping]] = ..., close: _Optional[_Union[_socketcall_pb2.CloseRequest, _Mapping]] = ..., dup: _Optional[_Union[_socketcall_pb2.DupRequest, _Mapping]] = ..., fcntl: _Optional[_Union[_socketcall_pb2.FcntlRequest, _Mapping]] = ..., ioctl: _Optional[_Union[_socketcall_pb2.IoctlRequest, _Mapping]] = ..., poll: _Optional[_Union[_socketcall_pb2.PollRequest, _Mapping]] = ..., epoll_create: _Optional[_Union[_socketcall_pb2.EpollCreateRequest, _Mapping]] = ..., epoll_ctl: _Optional[_Union[_socketcall_pb2.EpollCtlRequest, _Mapping]] = ..., epoll_wait: _Optional[_Union[_socketcall_pb2.EpollWaitRequest, _Mapping]] = ..., unlink: _Optional[_Union[_socketcall_pb2.UnlinkRequest, _Mapping]] = ..., invoke: _Optional[_Union[_socketcall_pb2.InvokeRequest, _Mapping]] = ...) -> None: ...

class OpenProcess(_message.Message):
    __slots__ = ("uid", "gid", "capabilities")
    UID_FIELD_NUMBER: _ClassVar[int]
    GID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    uid: int
    gid: int
    capabilities: int
    def __init__(self, uid: _Optional[int] = ..., gid: _Optional[int] = ..., capabilities: _Optional[int] = ...) -> None: ...

class ProcessOpened(_message.Message):
    __slots__ = ("process", "pid")
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    process: str
    pid: int
    def __init__(self, process: _Optional[str] = ..., pid: _Optional[int] = ...) -> None: ...

class CancelCall(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CallError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class SessionResponse(_message.Message):
    __slots__ = ("id", "opened", "progress", "error", "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername", "socketpair", "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg", "close", "dup", "fcntl", "ioctl", "poll", "epoll_create", "epoll_ctl", "epoll_wait", "unlink", "invoke")
    ID_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SOCKET_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    CONNECT_FIELD_NUMBER: _ClassVar[int]
    LISTEN_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    GETSOCKNAME_FIELD_NUMBER: _ClassVar[int]
    GETPEERNAME_FIELD_NUMBER: _ClassVar[int]
    SOCKETPAIR_FIELD_NUMBER: _ClassVar[int]
    SEND_FIELD_NUMBER: _ClassVar[int]
    RECV_FIELD_NUMBER: _ClassVar[int]
    SENDTO_FIELD_NUMBER: _ClassVar[int]
    RECVFROM_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    SETSOCKOPT_FIELD_NUMBER: _ClassVar[int]
    GETSOCKOPT_FIELD_NUMBER: _ClassVar[int]
    SENDMSG_FIELD_NUMBER: _ClassVar[int]
    RECVMSG_FIELD_NUMBER: _ClassVar[int]
    ACCEPT4_FIELD_NUMBER: _ClassVar[int]
    RECVMMSG_FIELD_NUMBER: _ClassVar[int]
    SENDMMSG_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    DUP_FIELD_NUMBER: _ClassVar[int]
    FCNTL_FIELD_NUMBER: _ClassVar[int]
    IOCTL_FIELD_NUMBER: _ClassVar[int]
    POLL_FIELD_NUMBER: _ClassVar[int]
    EPOLL_CREATE_FIELD_NUMBER: _ClassVar[int]
    EPOLL_CTL_FIELD_NUMBER: _ClassVar[int]
    EPOLL_WAIT_FIELD_NUMBER: _ClassVar[int]
    UNLINK_FIELD_NUMBER: _ClassVar[int]
    INVOKE_FIELD_NUMBER: _ClassVar[int]
    id: int
    opened: ProcessOpened
    progress: _types_pb2.Progress
    error: CallError
    socket: _socketcall_pb2.SocketResponse
    bind: _socketcall_pb2.BindResponse
    connect: _socketcall_pb2.ConnectResponse
    listen: _socketcall_pb2.ListenResponse
    accept: _socketcall_pb2.AcceptResponse
    getsockname: _socketcall_pb2.GetSockNameResponse
    getpeername: _socketcall_pb2.GetPeerNameResponse
    socketpair: _socketcall_pb2.SocketPairResponse
    send: _socketcall_pb2.SendResponse
    recv: _socketcall_pb2.RecvResponse
    sendto: _socketcall_pb2.SendToResponse
    recvfrom: _socketcall_pb2.RecvFromResponse
    shutdown: _socketcall_pb2.ShutdownResponse
    setsockopt: _socketcall_pb2.SetSockOptResponse
    getsockopt: _socketcall_pb2.GetSockOptResponse
    sendmsg: _socketcall_pb2.SendMsgResponse
    recvmsg: _socketcall_pb2.RecvMsgResponse
    accept4: _socketcall_pb2.Accept4Response
    recvmmsg: _socketcall_pb2.RecvMMsgResponse
    sendmmsg: _socketcall_pb2.SendMMsgResponse
    close: _socketcall_pb2.CloseResponse
    dup: _socketcall_pb2.DupResponse
    fcntl: _socketcall_pb2.FcntlResponse
    ioctl: _socketcall_pb2.IoctlResponse
    poll: _socketcall_pb2.PollResponse
    epoll_create: _socketcall_pb2.EpollCreateResponse
    epoll_ctl: _socketcall_pb2.EpollCtlResponse
    epoll_wait: _socketcall_pb2.EpollWaitResponse
    unlink: _socketcall_pb2.UnlinkResponse
    invoke: _socketcall_pb2.InvokeResponse
    def __init__(self, id: _Optional[int] = ..., opened: _Optional[_Union[ProcessOpened, _Mapping]] = ..., progress: _Optional[_Union[_types_pb2.Progress, _Mapping]] = ..., error: _Optional[_Union[CallError, _Mapping]] = ..., socket: _Optional[_Union[_socketcall_pb2.SocketResponse, _Mapping]] = ..., bind: _Optional[_Union[_socketcall_pb2.BindResponse, _Mapping]] = ..., connect: _Optional[_Union[_socketcall_pb2.ConnectResponse, _Mapping]] = ..., listen: _Optional[_Union[_socketcall_pb2.ListenResponse, _Mapping]] = ..., accept: _Optional[_Union[_socketcall_pb2.AcceptResponse, _Mapping]] = ..., getsockname: _Optional[_Union[_socketcall_pb2.GetSockNameResponse, _Mapping]] = ..., getpeername: _Optional[_Union[_socketcall_pb2.GetPeerNameResponse, _Mapping]] = ..., socketpair: _Optional[_Union[_socketcall_pb2.SocketPairResponse, _Mapping]] = ..., send: _Optional[_Union[_socketcall_pb2.SendResponse, _Mapping]] = ..., recv: _Optional[_Union[_socketcall_pb2.RecvResponse, _Mapping]] = ..., sendto: _Optional[_Union[_socketcall_pb2.SendToResponse, _Mapping]] = ..., recvfrom: _Optional[_Union[_socketcall_pb2.RecvFromResponse, _Mapping]] = ..., shutdown: _Optional[_Union[_socketcall_pb2.ShutdownResponse, _Mapping]] = ..., setsockopt: _Optional[_Union[_socketcall_pb2.SetSockOptResponse, _Mapping]] = ..., getsockopt: _Optional[_Union[_socketcall_pb2.GetSockOptResponse, _Mapping]] = ..., sendmsg: _Optional[_Union[_socketcall_pb2.SendMsgResponse, _Mapping]] = ..., recvmsg: _Optional[_Union[_socketcall_pb2.RecvMsgResponse, _Mapping]] = ..., accept4: _Optional[_Union[_socketcall_pb2.Accept4Response, _Mapping]] = ..., recvmmsg: _Optional[_Union[_socketcall_pb2.RecvMMsgResponse, _Mapping]] = ..., sendmmsg: _Optional[_Union[_socketcall_pb2.SendMMsgResponse, _Mapping]] = ..., close: _Optional[_Union[_socketcall_pb2.CloseResponse, _Mapping]] = ..., dup: _Optional[_Union[_socketcall_pb2.DupResponse, _Mapping]] = ..., fcntl: _Optional[_Union[_socketcall_pb2.FcntlResponse, _Mapping]] = ..., ioctl: _Optional[_Union[_socketcall_pb2.IoctlResponse, _Mapping]] = ..., poll: _Optional[_Union[_socketcall_pb2.PollResponse, _Mapping]] = ..., epoll_create: _Optional[_Union[_socketcall_pb2.EpollCreateResponse, _Mapping]] = ..., epoll_ctl: _Optional[_Union[_socketcall_pb2.EpollCtlResponse, _Mapping]] = ..., epoll_wait: _Optional[_Union[_socketcall_pb2.EpollWaitResponse, _Mapping]] = ..., unlink: _Optional[_Union[_socketcall_pb2.UnlinkResponse, _Mapping]] = ..., invoke: _Optional[_Union[_socketcall_pb2.InvokeResponse, _Mapping]] = ...) -> None: ...
