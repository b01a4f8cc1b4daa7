#!/usr/bin/env bash
# CI for the clients of other languages (issue #6), on a clean machine:
#   1. installs what it needs: Debian protoc + gRPC C++ (apt), buf (npm),
#      grpcurl and the protoc Go plugins (go install);
#   2. lints proto/ with `buf lint` (proto/buf.yaml);
#   3. builds client/{go,node,java,rust,cpp}, each generating its stubs from
#      proto/ with its ecosystem's generator;
#   4. starts a two-host lab (`socketlab lab up` of client/examples/lab2.yml
#      on two free ports: hosts A 10.0.0.1/24 and B 10.0.0.2/24, their eth0
#      NICs linked), lists A's services with grpcurl (reflection) and makes a
#      socket + bind call with it, runs the five examples (a process on A and
#      one on B: B listens on TCP 10.0.0.2, A connects, 1 MiB echoed both
#      ways, ECONNREFUSED / EADDRINUSE / EAGAIN), and takes the lab down.
# Every download cache (Go modules, cargo registry, Maven repository, npm) is a
# fresh temporary directory, so a run costs what it costs on a fresh machine;
# set CLIENTS_CACHE_DIR to keep one between local runs.  Exit status 0 only if
# everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

GRPCURL_VERSION=v1.9.3
BUF_VERSION=1.75.0
PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1

WORK=$(mktemp -d /tmp/socketlab-clients.XXXXXX)
CACHE=${CLIENTS_CACHE_DIR:-$WORK/cache}
mkdir -p "$CACHE" "$WORK/bin"
export GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOBIN=$WORK/bin GOFLAGS=-modcacherw
export CARGO_HOME=$CACHE/cargo CARGO_TERM_QUIET=true CARGO_TERM_COLOR=never
export npm_config_cache=$CACHE/npm npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export PATH=$WORK/bin:$PATH
MVN=(mvn -q -B -ntp -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2")
PY=${PYTHON:-$REPO/.venv/bin/python}
[ -x "$PY" ] || PY=python3
SOCKETLAB=("$PY" -m client.cli)  # the `socketlab` command
export SOCKETLAB_STATE_DIR=$WORK/labs  # this run's lab only

LAB_UP=
SESSION_PID=
cleanup() {
  [ -n "$SESSION_PID" ] && kill "$SESSION_PID" 2>/dev/null || true
  [ -n "$LAB_UP" ] && "${SOCKETLAB[@]}" lab down clients2 >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== clients: %s (%ds)\n' "$*" "$SECONDS"; }
# runs a command with its output kept back unless it fails (go's "downloading" lines)
quiet() { "$@" >"$WORK/quiet.log" 2>&1 || { cat "$WORK/quiet.log"; return 1; }; }

step "install: apt (protoc, gRPC C++), buf, grpcurl, protoc-gen-go*"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev pkg-config cmake g++ >/dev/null
npm install -s --prefix "$WORK/buf" "@bufbuild/buf@$BUF_VERSION" >/dev/null
quiet go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
quiet go install "$PROTOC_GEN_GO"
quiet go install "$PROTOC_GEN_GO_GRPC"

step "buf lint proto/"
"$WORK/buf/node_modules/.bin/buf" lint proto

step "build client/go"
(cd client/go && quiet go generate ./... && quiet go vet ./... && quiet go build -o "$WORK/bin/go-example" ./cmd/example)

step "build client/node"
(cd client/node && npm ci -s && npm run -s build)

step "build client/java"
(cd client/java && quiet "${MVN[@]}" clean package)

step "build client/rust"
(cd client/rust && cargo build -q --locked --target-dir "$WORK/rust-target")

step "build client/cpp"
cmake -S client/cpp -B "$WORK/cpp-build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O0 >/dev/null
cmake --build "$WORK/cpp-build" -j "$(nproc)" >/dev/null

step "start a two-host lab (client/examples/lab2.yml: A 10.0.0.1 <-> B 10.0.0.2)"
read -r PORT_A PORT_B < <("$PY" -c '
import socket
socks = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
print(*(s.getsockname()[1] for s in socks))')
sed -e "s/port: 50071}/port: $PORT_A}/" -e "s/port: 50072}/port: $PORT_B}/" client/examples/lab2.yml >"$WORK/lab2.yml"
LAB_UP=1
"${SOCKETLAB[@]}" lab up "$WORK/lab2.yml" 2>"$WORK/lab-up.log" || { cat "$WORK/lab-up.log" "$SOCKETLAB_STATE_DIR"/*.log; exit 1; }
TARGET=127.0.0.1:$PORT_A    # host A
TARGET_B=127.0.0.1:$PORT_B  # host B
echo "host A at $TARGET, host B at $TARGET_B"

step "grpcurl: services through reflection, socket + bind"
grpcurl -plaintext "$TARGET" list | tee "$WORK/services"
for svc in socketlab.v1.Process socketlab.v1.SocketCall grpc.health.v1.Health; do
  grep -qx "$svc" "$WORK/services" || { echo "grpcurl list: $svc missing"; exit 1; }
done
grpcurl -plaintext "$TARGET" describe socketlab.v1.BindRequest
# A process lives as long as its Session stream: keep one open on a fifo.
mkfifo "$WORK/session.in"
grpcurl -plaintext -d @ "$TARGET" socketlab.v1.Process/Session <"$WORK/session.in" >"$WORK/session.out" &
SESSION_PID=$!
exec 7>"$WORK/session.in"
echo '{"open": {}}' >&7
HANDLE=
for _ in $(seq 1 100); do
  HANDLE=$(sed -n 's/.*"process": "\([^"]*\)".*/\1/p' "$WORK/session.out" | head -1)
  [ -n "$HANDLE" ] && break
  sleep 0.1
done
[ -n "$HANDLE" ] || { cat "$WORK/session.out"; echo "grpcurl: no process opened"; exit 1; }
grpcurl -plaintext -d "{\"process\": \"$HANDLE\", \"family\": 1, \"type\": 1}" \
  "$TARGET" socketlab.v1.SocketCall/Socket | tee "$WORK/socket.out"
FD=$(sed -n 's/.*"ret": "\([0-9]*\)".*/\1/p' "$WORK/socket.out")
[ -n "$FD" ] || { echo "grpcurl: socket() failed"; exit 1; }
SUN_PATH=$(printf '/tmp/grpcurl-%s.sock' "$$" | base64)
grpcurl -plaintext -d "{\"process\": \"$HANDLE\", \"fd\": $FD, \"address\": {\"local\": {\"path\": \"$SUN_PATH\"}}}" \
  "$TARGET" socketlab.v1.SocketCall/Bind | tee "$WORK/bind.out"
if grep -q error_number "$WORK/bind.out"; then echo "grpcurl: bind() failed"; exit 1; fi
exec 7>&-  # the session ends: the process exits
wait "$SESSION_PID" || true
SESSION_PID=

step "examples"
failed=()
run_example() {
  local name=$1
  shift
  echo "-- $name"
  if ! "$@" "$TARGET" "$TARGET_B" 10.0.0.2; then failed+=("$name"); fi
}
run_example go "$WORK/bin/go-example"
run_example node node client/node/dist/src/example.js
run_example java java -jar client/java/target/socketlab-client.jar
run_example rust "$WORK/rust-target/debug/example"
run_example cpp "$WORK/cpp-build/example"

step "take the lab down"
"${SOCKETLAB[@]}" lab down clients2
LAB_UP=
if grep -l Traceback "$SOCKETLAB_STATE_DIR"/*.log; then
  tail -30 "$SOCKETLAB_STATE_DIR"/*.log
  echo "a daemon of the lab logged a traceback"
  exit 1
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "clients: FAILED: ${failed[*]}"
  exit 1
fi
echo "clients: all five examples passed (${SECONDS}s)"
