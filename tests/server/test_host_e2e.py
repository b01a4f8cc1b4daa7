"""The Host admin service end to end: the session's socketlabd subprocess, driven with grpc's sync stubs.

Whatever a test changes on the shared daemon it puts back (links deleted,
sysctls restored).
"""
from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from client._gen.socketlab.v1 import host_pb2 as hp
from client._gen.socketlab.v1 import host_pb2_grpc as hp_grpc

WAIT = 10.0


@pytest.fixture(scope="module")
def stub(daemon: str) -> Iterator[hp_grpc.HostStub]:
    with grpc.insecure_channel(daemon) as channel:
        yield hp_grpc.HostStub(channel)


def test_reflection_lists_the_host_service(daemon: str) -> None:
    with grpc.insecure_channel(daemon) as channel:
        replies = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=WAIT)
        names = {s.name for reply in replies for s in reply.list_services_response.service}
    assert "socketlab.v1.Host" in names


def test_read_proc_snmp(stub: hp_grpc.HostStub) -> None:
    reply = stub.ReadProc(hp.ReadProcRequest(path="/proc/net/snmp"), timeout=WAIT)
    assert reply.result.ret == 0
    lines = reply.content.decode().splitlines()
    assert [line.split(":")[0] for line in lines[::2]][:2] == ["Ip", "Icmp"]
    assert lines[0].startswith("Ip: Forwarding DefaultTTL InReceives") and lines[1].startswith("Ip: 2 64 ")
    assert lines[-2].startswith("UdpLite: InDatagrams")
    missing = stub.ReadProc(hp.ReadProcRequest(path="net/nothing"), timeout=WAIT)
    assert (missing.result.ret, missing.result.error_number, missing.result.error_name) == (-2, 2, "ENOENT")


def test_links_and_sysctls_round_trip(stub: hp_grpc.HostStub) -> None:
    links = stub.ListLinks(hp.ListLinksRequest(), timeout=WAIT).links
    assert links[0].name == "lo" and links[0].ifindex == 1
    added = stub.AddLink(hp.AddLinkRequest(name="e2edm0", kind=hp.LINK_KIND_DUMMY, up=True), timeout=WAIT)
    try:
        assert added.result.ret == 0 and added.links[0].name == "e2edm0"
        dev = stub.ReadProc(hp.ReadProcRequest(path="net/dev"), timeout=WAIT).content.decode()
        assert "e2edm0: " in dev
    finally:
        assert stub.DeleteLink(hp.DeleteLinkRequest(name="e2edm0"), timeout=WAIT).result.ret == 0
    old = stub.GetSysctl(hp.GetSysctlRequest(name="net.core.somaxconn"), timeout=WAIT).sysctl.value
    try:
        set_ = stub.SetSysctl(hp.SetSysctlRequest(name="net.core.somaxconn", value="77"), timeout=WAIT)
        assert set_.result.ret == 0 and set_.sysctl.value == "77"
        bad = stub.SetSysctl(hp.SetSysctlRequest(name="net.core.somaxconn", value="-1"), timeout=WAIT)
        assert bad.result.error_name == "EINVAL"
    finally:
        stub.SetSysctl(hp.SetSysctlRequest(name="net.core.somaxconn", value=old), timeout=WAIT)


def test_malformed_request_is_invalid_argument(stub: hp_grpc.HostStub) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub.AddAddress(hp.AddAddressRequest(link="lo", local="1.2.3", prefix_length=8), timeout=WAIT)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]


def test_capture_of_lo_starts_and_cancels(stub: hp_grpc.HostStub) -> None:
    call = stub.Capture(hp.CaptureRequest(link="lo"), timeout=WAIT)
    first = next(call)
    assert first.result.ret == 0 and first.data[:4] == b"\xd4\xc3\xb2\xa1"  # pcap, little-endian
    call.cancel()
