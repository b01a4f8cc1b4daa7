// Generates the tonic/prost stubs from ../../proto at build time (nothing
// generated is committed).  protoc: $PROTOC, else the one on PATH
// (Debian's protobuf-compiler).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = "../../proto";
    // every .proto of package socketlab.v1
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir("../../proto/socketlab/v1")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    files.sort();
    tonic_build::configure()
        .build_server(false)
        // no generated `connect()` constructor: it would clash with the Connect RPC
        .build_transport(false)
        .compile_protos(&files, &[root])?;
    println!("cargo:rerun-if-changed={root}");
    Ok(())
}
