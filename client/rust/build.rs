// Generates the tonic/prost stubs from ../../proto at build time (nothing
// generated is committed).  protoc: $PROTOC, else the one on PATH
// (Debian's protobuf-compiler).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = "../../proto";
    let files = [
        "../../proto/socketlab/v1/types.proto",
        "../../proto/socketlab/v1/socketcall.proto",
        "../../proto/socketlab/v1/process.proto",
    ];
    tonic_build::configure()
        .build_server(false)
        // no generated `connect()` constructor: it would clash with the Connect RPC
        .build_transport(false)
        .compile_protos(&files, &[root])?;
    println!("cargo:rerun-if-changed={root}");
    Ok(())
}
