from client._gen.socketlab.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LinkKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINK_KIND_UNSPECIFIED: _ClassVar[LinkKind]
    LINK_KIND_LOOPBACK: _ClassVar[LinkKind]
    LINK_KIND_VETH: _ClassVar[LinkKind]
    LINK_KIND_DUMMY: _ClassVar[LinkKind]
    LINK_KIND_CHANNEL: _ClassVar[LinkKind]
    LINK_KIND_OTHER: _ClassVar[LinkKind]

class CaptureFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAPTURE_FORMAT_UNSPECIFIED: _ClassVar[CaptureFormat]
    CAPTURE_FORMAT_PCAP: _ClassVar[CaptureFormat]
    CAPTURE_FORMAT_PCAPNG: _ClassVar[CaptureFormat]
LINK_KIND_UNSPECIFIED: LinkKind
LINK_KIND_LOOPBACK: LinkKind
LINK_KIND_VETH: LinkKind
LINK_KIND_DUMMY: LinkKind
LINK_KIND_CHANNEL: LinkKind
LINK_KIND_OTHER: LinkKind
CAPTURE_FORMAT_UNSPECIFIED: CaptureFormat
CAPTURE_FORMAT_PCAP: CaptureFormat
CAPTURE_FORMAT_PCAPNG: CaptureFormat

class LinkStats(_message.Message):
    __slots__ = ("rx_packets", "rx_bytes", "rx_errors", "rx_dropped", "rx_fifo_errors", "rx_frame_errors", "rx_compressed", "multicast", "tx_packets", "tx_bytes", "tx_errors", "tx_dropped", "tx_fifo_errors", "collisions", "tx_carrier_errors", "tx_compressed")
    RX_PACKETS_FIELD_NUMBER: _ClassVar[int]
    RX_BYTES_FIELD_NUMBER: _ClassVar[int]
    RX_ERRORS_FIELD_NUMBER: _ClassVar[int]
    RX_DROPPED_FIELD_NUMBER: _ClassVar[int]
    RX_FIFO_ERRORS_FIELD_NUMBER: _ClassVar[int]
    RX_FRAME_ERRORS_FIELD_NUMBER: _ClassVar[int]
    RX_COMPRESSED_FIELD_NUMBER: _ClassVar[int]
    MULTICAST_FIELD_NUMBER: _ClassVar[int]
    TX_PACKETS_FIELD_NUMBER: _ClassVar[int]
    TX_BYTES_FIELD_NUMBER: _ClassVar[int]
    TX_ERRORS_FIELD_NUMBER: _ClassVar[int]
    TX_DROPPED_FIELD_NUMBER: _ClassVar[int]
    TX_FIFO_ERRORS_FIELD_NUMBER: _ClassVar[int]
    COLLISIONS_FIELD_NUMBER: _ClassVar[int]
    TX_CARRIER_ERRORS_FIELD_NUMBER: _ClassVar[int]
    TX_COMPRESSED_FIELD_NUMBER: _ClassVar[int]
    rx_packets: int
    rx_bytes: int
    rx_errors: int
    rx_dropped: int
    rx_fifo_errors: int
    rx_frame_errors: int
    rx_compressed: int
    multicast: int
    tx_packets: int
    tx_bytes: int
    tx_errors: int
    tx_dropped: int
    tx_fifo_errors: int
    collisions: int
    tx_carrier_errors: int
    tx_compressed: int
    def __init__(self, rx_packets: _Optional[int] = ..., rx_bytes: _Optional[int] = ..., rx_errors: _Optional[int] = ..., rx_dropped: _Optional[int] = ..., rx_fifo_errors: _Optional[int] = ..., rx_frame_errors: _Optional[int] = ..., rx_compressed: _Optional[int] = ..., multicast: _Optional[int] = ..., tx_packets: _Optional[int] = ..., tx_bytes: _Optional[int] = ..., tx_errors: _Optional[int] = ..., tx_dropped: _Optional[int] = ..., tx_fifo_errors: _Optional[int] = ..., collisions: _Optional[int] = ..., tx_carrier_errors: _Optional[int] = ..., tx_compressed: _Optional[int] = ...) -> None: ...

class Link(_message.Message):
    __slots__ = ("ifindex", "name", "kind", "flags", "mtu", "address", "broadcast", "link_type", "tx_queue_len", "operstate", "qdisc", "peer_ifindex", "peer_name", "min_mtu", "max_mtu", "promiscuity", "carrier", "stats")
    IFINDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    LINK_TYPE_FIELD_NUMBER: _ClassVar[int]
    TX_QUEUE_LEN_FIELD_NUMBER: _ClassVar[int]
    OPERSTATE_FIELD_NUMBER: _ClassVar[int]
    QDISC_FIELD_NUMBER: _ClassVar[int]
    PEER_IFINDEX_FIELD_NUMBER: _ClassVar[int]
    PEER_NAME_FIELD_NUMBER: _ClassVar[int]
    MIN_MTU_FIELD_NUMBER: _ClassVar[int]
    MAX_MTU_FIELD_NUMBER: _ClassVar[int]
    PROMISCUITY_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    ifindex: int
    name: str
    kind: LinkKind
    flags: int
    mtu: int
    address: bytes
    broadcast: bytes
    link_type: int
    tx_queue_len: int
    operstate: str
    qdisc: str
    peer_ifindex: int
    peer_name: str
    min_mtu: int
    max_mtu: int
    promiscuity: int
    carrier: bool
    stats: LinkStats
    def __init__(self, ifindex: _Optional[int] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[LinkKind, str]] = ..., flags: _Optional[int] = ..., mtu: _Optional[int] = ..., address: _Optional[bytes] = ..., broadcast: _Optional[bytes] = ..., link_type: _Optional[int] = ..., tx_queue_len: _Optional[int] = ..., operstate: _Optional[str] = ..., qdisc: _Optional[str] = ..., peer_ifindex: _Optional[int] = ..., peer_name: _Optional[str] = ..., min_mtu: _Optional[int] = ..., max_mtu: _Optional[int] = ..., promiscuity: _Optional[int] = ..., carrier: _Optional[bool] = ..., stats: _Optional[_Union[LinkStats, _Mapping]] = ...) -> None: ...

class ListLinksRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListLinksResponse(_message.Message):
    __slots__ = ("result", "links")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    links: _containers.RepeatedCompositeFieldContainer[Link]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., links: _Optional[_Iterable[_Union[Link, _Mapping]]] = ...) -> None: ...

class AddLinkRequest(_message.Message):
    __slots__ = ("name", "kind", "peer_name", "mtu", "address", "peer_address", "up")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PEER_NAME_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PEER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: LinkKind
    peer_name: str
    mtu: int
    address: bytes
    peer_address: bytes
    up: bool
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[LinkKind, str]] = ..., peer_name: _Optional[str] = ..., mtu: _Optional[int] = ..., address: _Optional[bytes] = ..., peer_address: _Optional[bytes] = ..., up: _Optional[bool] = ...) -> None: ...

class AddLinkResponse(_message.Message):
    __slots__ = ("result", "links")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    links: _containers.RepeatedCompositeFieldContainer[Link]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., links: _Optional[_Iterable[_Union[Link, _Mapping]]] = ...) -> None: ...

class DeleteLinkRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteLinkResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class SetLinkRequest(_message.Message):
    __slots__ = ("name", "up", "mtu", "address", "tx_queue_len", "promisc")
    NAME_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TX_QUEUE_LEN_FIELD_NUMBER: _ClassVar[int]
    PROMISC_FIELD_NUMBER: _ClassVar[int]
    name: str
    up: bool
    mtu: int
    address: bytes
    tx_queue_len: int
    promisc: bool
    def __init__(self, name: _Optional[str] = ..., up: _Optional[bool] = ..., mtu: _Optional[int] = ..., address: _Optional[bytes] = ..., tx_queue_len: _Optional[int] = ..., promisc: _Optional[bool] = ...) -> None: ...

class SetLinkResponse(_message.Message):
    __slots__ = ("result", "link")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    link: Link
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., link: _Optional[_Union[Link, _Mapping]] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("ifindex", "link", "family", "local", "prefix_length", "broadcast", "peer", "scope", "label", "flags")
    IFINDEX_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    ifindex: int
    link: str
    family: int
    local: str
    prefix_length: int
    broadcast: str
    peer: str
    scope: int
    label: str
    flags: int
    def __init__(self, ifindex: _Optional[int] = ..., link: _Optional[str] = ..., family: _Optional[int] = ..., local: _Optional[str] = ..., prefix_length: _Optional[int] = ..., broadcast: _Optional[str] = ..., peer: _Optional[str] = ..., scope: _Optional[int] = ..., label: _Optional[str] = ..., flags: _Optional[int] = ...) -> None: ...

class ListAddressesRequest(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: str
    def __init__(self, link: _Optional[str] = ...) -> None: ...

class ListAddressesResponse(_message.Message):
    __slots__ = ("result", "addresses")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    addresses: _containers.RepeatedCompositeFieldContainer[Address]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., addresses: _Optional[_Iterable[_Union[Address, _Mapping]]] = ...) -> None: ...

class AddAddressRequest(_message.Message):
    __slots__ = ("link", "local", "prefix_length", "broadcast", "scope", "label", "peer")
    LINK_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    link: str
    local: str
    prefix_length: int
    broadcast: str
    scope: int
    label: str
    peer: str
    def __init__(self, link: _Optional[str] = ..., local: _Optional[str] = ..., prefix_length: _Optional[int] = ..., broadcast: _Optional[str] = ..., scope: _Optional[int] = ..., label: _Optional[str] = ..., peer: _Optional[str] = ...) -> None: ...

class AddAddressResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class DeleteAddressRequest(_message.Message):
    __slots__ = ("link", "local", "prefix_length")
    LINK_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    link: str
    local: str
    prefix_length: int
    def __init__(self, link: _Optional[str] = ..., local: _Optional[str] = ..., prefix_length: _Optional[int] = ...) -> None: ...

class DeleteAddressResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("destination", "prefix_length", "gateway", "link", "ifindex", "metric", "table", "type", "scope", "protocol", "preferred_source", "tos", "mtu")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    IFINDEX_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_SOURCE_FIELD_NUMBER: _ClassVar[int]
    TOS_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    destination: str
    prefix_length: int
    gateway: str
    link: str
    ifindex: int
    metric: int
    table: int
    type: int
    scope: int
    protocol: int
    preferred_source: str
    tos: int
    mtu: int
    def __init__(self, destination: _Optional[str] = ..., prefix_length: _Optional[int] = ..., gateway: _Optional[str] = ..., link: _Optional[str] = ..., ifindex: _Optional[int] = ..., metric: _Optional[int] = ..., table: _Optional[int] = ..., type: _Optional[int] = ..., scope: _Optional[int] = ..., protocol: _Optional[int] = ..., preferred_source: _Optional[str] = ..., tos: _Optional[int] = ..., mtu: _Optional[int] = ...) -> None: ...

class ListRoutesRequest(_message.Message):
    __slots__ = ("table",)
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: int
    def __init__(self, table: _Optional[int] = ...) -> None: ...

class ListRoutesResponse(_message.Message):
    __slots__ = ("result", "routes")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ...) -> None: ...

class AddRouteRequest(_message.Message):
    __slots__ = ("destination", "prefix_length", "gateway", "link", "metric", "table", "scope", "type", "preferred_source", "mtu")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_SOURCE_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    destination: str
    prefix_length: int
    gateway: str
    link: str
    metric: int
    table: int
    scope: int
    type: int
    preferred_source: str
    mtu: int
    def __init__(self, destination: _Optional[str] = ..., prefix_length: _Optional[int] = ..., gateway: _Optional[str] = ..., link: _Optional[str] = ..., metric: _Optional[int] = ..., table: _Optional[int] = ..., scope: _Optional[int] = ..., type: _Optional[int] = ..., preferred_source: _Optional[str] = ..., mtu: _Optional[int] = ...) -> None: ...

class AddRouteResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class DeleteRouteRequest(_message.Message):
    __slots__ = ("destination", "prefix_length", "gateway", "link", "metric", "table", "type")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    destination: str
    prefix_length: int
    gateway: str
    link: str
    metric: int
    table: int
    type: int
    def __init__(self, destination: _Optional[str] = ..., prefix_length: _Optional[int] = ..., gateway: _Optional[str] = ..., link: _Optional[str] = ..., metric: _Optional[int] = ..., table: _Optional[int] = ..., type: _Optional[int] = ...) -> None: ...

class DeleteRouteResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class Neighbour(_message.Message):
    __slots__ = ("address", "lladdr", "link", "ifindex", "state", "flags")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LLADDR_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    IFINDEX_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    address: str
    lladdr: bytes
    link: str
    ifindex: int
    state: int
    flags: int
    def __init__(self, address: _Optional[str] = ..., lladdr: _Optional[bytes] = ..., link: _Optional[str] = ..., ifindex: _Optional[int] = ..., state: _Optional[int] = ..., flags: _Optional[int] = ...) -> None: ...

class ListNeighboursRequest(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: str
    def __init__(self, link: _Optional[str] = ...) -> None: ...

class ListNeighboursResponse(_message.Message):
    __slots__ = ("result", "neighbours")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEIGHBOURS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    neighbours: _containers.RepeatedCompositeFieldContainer[Neighbour]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., neighbours: _Optional[_Iterable[_Union[Neighbour, _Mapping]]] = ...) -> None: ...

class AddNeighbourRequest(_message.Message):
    __slots__ = ("address", "lladdr", "link", "state")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LLADDR_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    address: str
    lladdr: bytes
    link: str
    state: int
    def __init__(self, address: _Optional[str] = ..., lladdr: _Optional[bytes] = ..., link: _Optional[str] = ..., state: _Optional[int] = ...) -> None: ...

class AddNeighbourResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class DeleteNeighbourRequest(_message.Message):
    __slots__ = ("address", "link")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    address: str
    link: str
    def __init__(self, address: _Optional[str] = ..., link: _Optional[str] = ...) -> None: ...

class DeleteNeighbourResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class Sysctl(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class GetSysctlRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetSysctlResponse(_message.Message):
    __slots__ = ("result", "sysctl")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SYSCTL_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    sysctl: Sysctl
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., sysctl: _Optional[_Union[Sysctl, _Mapping]] = ...) -> None: ...

class SetSysctlRequest(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class SetSysctlResponse(_message.Message):
    __slots__ = ("result", "sysctl")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SYSCTL_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    sysctl: Sysctl
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., sysctl: _Optional[_Union[Sysctl, _Mapping]] = ...) -> None: ...

class ListSysctlsRequest(_message.Message):
    __slots__ = ("prefix",)
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    def __init__(self, prefix: _Optional[str] = ...) -> None: ...

class ListSysctlsResponse(_message.Message):
    __slots__ = ("result", "sysctls")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SYSCTLS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    sysctls: _containers.RepeatedCompositeFieldContainer[Sysctl]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., sysctls: _Optional[_Iterable[_Union[Sysctl, _Mapping]]] = ...) -> None: ...

class ReadProcRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class ReadProcResponse(_message.Message):
    __slots__ = ("result", "content")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    content: bytes
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., content: _Optional[bytes] = ...) -> None: ...

class CaptureRequest(_message.Message):
    __slots__ = ("link", "format", "snaplen", "count", "file", "file_only", "promiscuous")
    LINK_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SNAPLEN_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    FILE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PROMISCUOUS_FIELD_NUMBER: _ClassVar[int]
    link: str
    format: CaptureFormat
    snaplen: int
    count: int
    file: str
    file_only: bool
    promiscuous: bool
    def __init__(self, link: _Optional[str] = ..., format: _Optional[_Union[CaptureFormat, str]] = ..., snaplen: _Optional[int] = ..., count: _Optional[int] = ..., file: _Optional[str] = ..., file_only: _Optional[bool] = ..., promiscuous: _Optional[bool] = ...) -> None: ...

class CaptureResponse(_message.Message):
    __slots__ = ("result", "data", "packets", "byte_count")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    PACKETS_FIELD_NUMBER: _ClassVar[int]
    BYTE_COUNT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    data: bytes
    packets: int
    byte_count: int
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., data: _Optional[bytes] = ..., packets: _Optional[int] = ..., byte_count: _Optional[int] = ...) -> None: ...

class SetImpairmentRequest(_message.Message):
    __slots__ = ("link", "netem", "clear")
    LINK_FIELD_NUMBER: _ClassVar[int]
    NETEM_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    link: str
    netem: _containers.RepeatedScalarFieldContainer[str]
    clear: bool
    def __init__(self, link: _Optional[str] = ..., netem: _Optional[_Iterable[str]] = ..., clear: _Optional[bool] = ...) -> None: ...

class SetImpairmentResponse(_message.Message):
    __slots__ = ("result", "qdisc", "counters")
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    RESULT_FIELD_NUMBER: _ClassVar[int]
    QDISC_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    qdisc: str
    counters: _containers.ScalarMap[str, int]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., qdisc: _Optional[str] = ..., counters: _Optional[_Mapping[str, int]] = ...) -> None: ...

class SetCarrierRequest(_message.Message):
    __slots__ = ("link", "carrier")
    LINK_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    link: str
    carrier: bool
    def __init__(self, link: _Optional[str] = ..., carrier: _Optional[bool] = ...) -> None: ...

class SetCarrierResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ...) -> None: ...

class FaultRule(_message.Message):
    __slots__ = ("id", "kind", "description", "hits")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    id: int
    kind: str
    description: str
    hits: int
    def __init__(self, id: _Optional[int] = ..., kind: _Optional[str] = ..., description: _Optional[str] = ..., hits: _Optional[int] = ...) -> None: ...

class ListFaultsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListFaultsResponse(_message.Message):
    __slots__ = ("result", "rules")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    rules: _containers.RepeatedCompositeFieldContainer[FaultRule]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., rules: _Optional[_Iterable[_Union[FaultRule, _Mapping]]] = ...) -> None: ...

class AddSyscallFaultRequest(_message.Message):
    __slots__ = ("syscall", "error_name", "count", "pid", "address")
    SYSCALL_FIELD_NUMBER: _ClassVar[int]
    ERROR_NAME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    syscall: str
    error_name: str
    count: int
    pid: int
    address: str
    def __init__(self, syscall: _Optional[str] = ..., error_name: _Optional[str] = ..., count: _Optional[int] = ..., pid: _Optional[int] = ..., address: _Optional[str] = ...) -> None: ...

class AddPacketFaultRequest(_message.Message):
    __slots__ = ("action", "hook", "protocol", "source", "destination", "source_port", "destination_port", "tcp_flags", "tcp_flags_mask", "delay_seconds", "icmp_type", "icmp_code", "count")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    HOOK_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PORT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_PORT_FIELD_NUMBER: _ClassVar[int]
    TCP_FLAGS_FIELD_NUMBER: _ClassVar[int]
    TCP_FLAGS_MASK_FIELD_NUMBER: _ClassVar[int]
    DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ICMP_TYPE_FIELD_NUMBER: _ClassVar[int]
    ICMP_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    action: str
    hook: str
    protocol: str
    source: str
    destination: str
    source_port: int
    destination_port: int
    tcp_flags: str
    tcp_flags_mask: str
    delay_seconds: float
    icmp_type: int
    icmp_code: int
    count: int
    def __init__(self, action: _Optional[str] = ..., hook: _Optional[str] = ..., protocol: _Optional[str] = ..., source: _Optional[str] = ..., destination: _Optional[str] = ..., source_port: _Optional[int] = ..., destination_port: _Optional[int] = ..., tcp_flags: _Optional[str] = ..., tcp_flags_mask: _Optional[str] = ..., delay_seconds: _Optional[float] = ..., icmp_type: _Optional[int] = ..., icmp_code: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class AddSyscallFaultResponse(_message.Message):
    __slots__ = ("result", "rule")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    rule: FaultRule
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., rule: _Optional[_Union[FaultRule, _Mapping]] = ...) -> None: ...

class AddPacketFaultResponse(_message.Message):
    __slots__ = ("result", "rule")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    rule: FaultRule
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., rule: _Optional[_Union[FaultRule, _Mapping]] = ...) -> None: ...

class DeleteFaultRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class DeleteFaultResponse(_message.Message):
    __slots__ = ("result", "removed")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    removed: int
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., removed: _Optional[int] = ...) -> None: ...

class LabLink(_message.Message):
    __slots__ = ("link", "peer", "role", "state", "target", "stats")
    class StatsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    LINK_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    link: str
    peer: str
    role: str
    state: str
    target: str
    stats: _containers.ScalarMap[str, int]
    def __init__(self, link: _Optional[str] = ..., peer: _Optional[str] = ..., role: _Optional[str] = ..., state: _Optional[str] = ..., target: _Optional[str] = ..., stats: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ListLabLinksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListLabLinksResponse(_message.Message):
    __slots__ = ("result", "lab", "host_name", "links")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    LAB_FIELD_NUMBER: _ClassVar[int]
    HOST_NAME_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.Result
    lab: str
    host_name: str
    links: _containers.RepeatedCompositeFieldContainer[LabLink]
    def __init__(self, result: _Optional[_Union[_types_pb2.Result, _Mapping]] = ..., lab: _Optional[str] = ..., host_name: _Optional[str] = ..., links: _Optional[_Iterable[_Union[LabLink, _Mapping]]] = ...) -> None: ...
