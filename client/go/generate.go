// Package socketlab is the Go client of socketlab: stubs generated from
// ../../proto by protoc-gen-go and protoc-gen-go-grpc (go generate; nothing
// generated is committed), and a thin wrapper over them: a Process per
// Process/Session stream, each syscall a method whose failure is an
// *os.SyscallError wrapping the Linux syscall.Errno (errors.Is(err,
// syscall.ECONNREFUSED) works), and blocking server streams read to their
// result.
package socketlab

//go:generate sh gen.sh
