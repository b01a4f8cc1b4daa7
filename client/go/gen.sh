#!/bin/sh
# Generates the Go stubs of ../../proto into gen/ (run by `go generate`).
# Needs protoc and protoc-gen-go / protoc-gen-go-grpc on PATH (see Makefile).
set -e
cd "$(dirname "$0")"
rm -rf gen && mkdir -p gen
pkg="socketlab/client/gen/socketlab/v1;socketlabv1"
files=$(cd ../../proto && ls socketlab/v1/*.proto)
opts=""
for f in $files; do
  opts="$opts --go_opt=M$f=$pkg --go-grpc_opt=M$f=$pkg"
done
# shellcheck disable=SC2086
protoc -I ../../proto --go_out=gen --go_opt=paths=source_relative \
  --go-grpc_out=gen --go-grpc_opt=paths=source_relative $opts $files
