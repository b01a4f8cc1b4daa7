"""The committed stubs in client/_gen/ are what proto/generate.py makes from proto/."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GEN = REPO / "client" / "_gen"

# Lines that name the generator's version, not the schema: a different
# grpcio-tools release must not make the stubs look stale.
_VERSION_LINE = re.compile(
    r"^(# Protobuf Python Version:.*|GRPC_GENERATED_VERSION = .*|"
    r"_runtime_version\.ValidateProtobufRuntimeVersion\(|\s+_runtime_version\.Domain\.PUBLIC,|\s+\d+,|\s+'[^']*',)$"
)


def _normalized(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not _VERSION_LINE.match(line)]


def _tree(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_stubs_are_current(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "proto" / "generate.py"), "--out", str(tmp_path)],
        check=True, cwd=REPO, capture_output=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    fresh, committed = _tree(tmp_path / "_gen"), _tree(GEN)
    assert sorted(fresh) == sorted(committed), "stub files differ; run: python proto/generate.py"
    stale = [name for name in fresh if _normalized(fresh[name]) != _normalized(committed[name])]
    assert not stale, f"stale stubs {stale}; run: python proto/generate.py"


def test_proto_rules() -> None:
    """buf-style rules the design fixes: no field named after a C macro; enums start at UNSPECIFIED."""
    from client._gen.socketlab.v1 import process_pb2, socketcall_pb2, types_pb2

    banned = {"errno", "unix", "linux", "major", "minor"}
    for module in (types_pb2, socketcall_pb2, process_pb2):
        for message in module.DESCRIPTOR.message_types_by_name.values():
            names = {f.name for f in message.fields} | {o.name for o in message.oneofs}
            assert not names & banned, f"{message.full_name} uses {names & banned}"
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"
            assert enum.values[0].number == 0 and enum.values[0].name == prefix + "UNSPECIFIED"
            assert all(v.name.startswith(prefix) for v in enum.values)
    numbers = types_pb2.SocketCallNumber
    assert numbers.Value("SOCKET_CALL_NUMBER_SYS_SOCKET") == 1
    assert numbers.Value("SOCKET_CALL_NUMBER_SYS_RECVMSG") == 17
    assert numbers.Value("SOCKET_CALL_NUMBER_SYS_SENDMMSG") == 20


def test_every_call_has_a_typed_rpc_and_a_session_field() -> None:
    from client._gen.socketlab.v1 import process_pb2, socketcall_pb2
    from server.convert import CALLS

    service = socketcall_pb2.DESCRIPTOR.services_by_name["SocketCall"]
    session_fields = process_pb2.SessionRequest.DESCRIPTOR.fields_by_name
    reply_fields = process_pb2.SessionResponse.DESCRIPTOR.fields_by_name
    for call in CALLS.values():
        method = service.methods_by_name[call.rpc]
        assert method.server_streaming == call.blocking, call.rpc
        assert method.output_type.name == call.response.DESCRIPTOR.name
        assert session_fields[call.name].message_type == method.input_type
        assert reply_fields[call.name].message_type == method.output_type
    assert {m.name for m in service.methods} == {c.rpc for c in CALLS.values()} | {"Sigio"}


def test_every_element_of_the_api_has_a_comment(tmp_path: Path) -> None:
    """buf's COMMENTS rules: every service, rpc, message, field, oneof, enum and value is documented."""
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc

    out = tmp_path / "api.pb"
    protos = [str(p.relative_to(REPO / "proto")) for p in (REPO / "proto").rglob("*.proto")]
    assert protoc.main(["protoc", f"-I{REPO / 'proto'}", "--include_source_info",
                        f"--descriptor_set_out={out}", *protos]) == 0
    fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    missing: list[str] = []
    for f in fds.file:
        commented = {tuple(loc.path) for loc in f.source_code_info.location if loc.leading_comments.strip()}

        def need(path: tuple[int, ...], name: str) -> None:
            if path not in commented:
                missing.append(f"{f.name}: {name}")

        # field numbers of FileDescriptorProto / DescriptorProto / EnumDescriptorProto / ServiceDescriptorProto
        for i, m in enumerate(f.message_type):
            need((4, i), m.name)
            for j, fld in enumerate(m.field):
                need((4, i, 2, j), f"{m.name}.{fld.name}")
            for j, oneof in enumerate(m.oneof_decl):
                if not oneof.name.startswith("_"):  # proto3 optional's synthetic oneof
                    need((4, i, 8, j), f"{m.name}.{oneof.name}")
        for i, e in enumerate(f.enum_type):
            need((5, i), e.name)
            for j, v in enumerate(e.value):
                need((5, i, 2, j), f"{e.name}.{v.name}")
        for i, s in enumerate(f.service):
            need((6, i), s.name)
            for j, rpc in enumerate(s.method):
                need((6, i, 2, j), f"{s.name}.{rpc.name}")
    assert not missing, missing
