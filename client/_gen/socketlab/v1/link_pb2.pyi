from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PeerLinkHello(_message.Message):
    __slots__ = ("protocol_version", "lab", "from_host", "from_nic", "to_host", "to_nic", "mtu")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    LAB_FIELD_NUMBER: _ClassVar[int]
    FROM_HOST_FIELD_NUMBER: _ClassVar[int]
    FROM_NIC_FIELD_NUMBER: _ClassVar[int]
    TO_HOST_FIELD_NUMBER: _ClassVar[int]
    TO_NIC_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    lab: str
    from_host: str
    from_nic: str
    to_host: str
    to_nic: str
    mtu: int
    def __init__(self, protocol_version: _Optional[int] = ..., lab: _Optional[str] = ..., from_host: _Optional[str] = ..., from_nic: _Optional[str] = ..., to_host: _Optional[str] = ..., to_nic: _Optional[str] = ..., mtu: _Optional[int] = ...) -> None: ...

class PeerLinkHelloAck(_message.Message):
    __slots__ = ("protocol_version", "host", "nic", "mtu", "mac")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    NIC_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    host: str
    nic: str
    mtu: int
    mac: bytes
    def __init__(self, protocol_version: _Optional[int] = ..., host: _Optional[str] = ..., nic: _Optional[str] = ..., mtu: _Optional[int] = ..., mac: _Optional[bytes] = ...) -> None: ...

class PeerLinkKeepalive(_message.Message):
    __slots__ = ("seq", "want_reply")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    WANT_REPLY_FIELD_NUMBER: _ClassVar[int]
    seq: int
    want_reply: bool
    def __init__(self, seq: _Optional[int] = ..., want_reply: _Optional[bool] = ...) -> None: ...

class PeerLinkConnectRequest(_message.Message):
    __slots__ = ("hello", "frame", "keepalive")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    KEEPALIVE_FIELD_NUMBER: _ClassVar[int]
    hello: PeerLinkHello
    frame: bytes
    keepalive: PeerLinkKeepalive
    def __init__(self, hello: _Optional[_Union[PeerLinkHello, _Mapping]] = ..., frame: _Optional[bytes] = ..., keepalive: _Optional[_Union[PeerLinkKeepalive, _Mapping]] = ...) -> None: ...

class PeerLinkConnectResponse(_message.Message):
    __slots__ = ("hello_ack", "frame", "keepalive")
    HELLO_ACK_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    KEEPALIVE_FIELD_NUMBER: _ClassVar[int]
    hello_ack: PeerLinkHelloAck
    frame: bytes
    keepalive: PeerLinkKeepalive
    def __init__(self, hello_ack: _Optional[_Union[PeerLinkHelloAck, _Mapping]] = ..., frame: _Optional[bytes] = ..., keepalive: _Optional[_Union[PeerLinkKeepalive, _Mapping]] = ...) -> None: ...
