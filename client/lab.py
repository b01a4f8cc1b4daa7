"""``socketlab lab up|down|status`` and the network tools ``ping``, ``traceroute``, ``nc``.

Labs: ``lab_up(path)`` validates the topology file (server/topology.py), starts
one ``socketlabd --topology FILE --host NAME`` process per host (on the API
address/port the file gives each host), waits until every daemon serves and
every link is up (progress on stderr), and prints a table of the hosts.  It
records the lab in a state file (``$SOCKETLAB_STATE_DIR``, else
``$TMPDIR/socketlab-UID``, one ``NAME.json`` per lab: pids, API addresses, log
files) so ``lab status`` and ``lab down`` work from another shell.  With the
topology's ``tls:`` block every daemon serves TLS (mutual TLS when it names a
CA), and ``lab up``/``lab status`` poll over TLS with the same files
(:class:`LabAuth`; ``lab_tls_config(topo)`` gives ``client.connect``'s
``tls=``).  ``lab up`` keeps one channel per daemon while it waits and stops
asking a host once it serves with every link up (one last look at all).

Tools: each takes a socket-module-like ``net`` (``client.connect(target)`` or
``client.local()``), so they run the same against a daemon and in-process:

- ``ping(net, dst, count, interval)``: ICMP echo over a raw socket (RFC 792),
  lines shaped like iputils ping's;
- ``traceroute(net, dst, max_hops)``: UDP probes to port 33434+ with rising TTL
  (RFC 1393's classic method); each hop answers ICMP time exceeded, the
  destination port unreachable; lines shaped like traceroute's;
- ``nc_connect`` / ``nc_listen``: netcat over UDP, or TCP once the emulated
  kernel has it (plain socket API calls: SOCK_STREAM works when registered).
"""
from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_TIME_EXCEEDED = 0, 3, 8, 11
TRACEROUTE_PORT = 33434


# --- state files ----------------------------------------------------------------------

def state_dir() -> Path:
    d = Path(os.environ.get("SOCKETLAB_STATE_DIR") or Path(tempfile.gettempdir()) / f"socketlab-{os.getuid()}")
    d.mkdir(parents=True, exist_ok=True)
    return d


def find_state(name: str | None) -> dict[str, Any]:
    """The state of the lab ``name`` (a lab name or its topology file), or of the only lab running."""
    if name and (name.endswith((".yml", ".yaml")) or os.sep in name):
        from server.topology import load_topology

        name = load_topology(name).name
    d = state_dir()
    if name:
        path = d / f"{name}.json"
        if not path.exists():
            raise LookupError(f"no lab {name!r} is up (no {path})")
        return dict(json.loads(path.read_text()))
    labs = sorted(d.glob("*.json"))
    if len(labs) != 1:
        raise LookupError("no lab is up" if not labs else
                          f"several labs are up ({', '.join(p.stem for p in labs)}): name one")
    return dict(json.loads(labs[0].read_text()))


def _alive(pid: int) -> bool:
    """Is ``pid`` running?  A zombie is not (our own child is reaped; another parent's -- a
    container's init that does not reap -- is read from /proc)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2] != "Z"
    except (OSError, ValueError, IndexError):
        return True


# --- lab up / status / down ------------------------------------------------------------

_POLL_OPTIONS = (  # lab up's channels: see a daemon soon after it starts listening
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
)


def lab_channel_credentials(topo: Any) -> Any:
    """gRPC channel credentials from the topology's ``tls:`` block (None without one): the CA that
    signed the daemons' certificate, and the same certificate and key as the client's (mTLS)."""
    tls = getattr(topo, "tls", None)
    if tls is None:
        return None
    import grpc

    def read(path: str | None) -> bytes | None:
        return Path(path).read_bytes() if path else None

    return grpc.ssl_channel_credentials(read(tls.ca), read(tls.key), read(tls.cert))


def lab_tls_config(topo: Any) -> Any:
    """The ``client.TlsConfig`` for ``client.connect(..., tls=...)`` to a host of a TLS lab (None without
    a ``tls:`` block)."""
    tls = getattr(topo, "tls", None)
    if tls is None:
        return None
    from client._grpc import TlsConfig

    return TlsConfig(ca=tls.ca, cert=tls.cert, key=tls.key)


def _open_channel(api: str, credentials: Any) -> Any:
    import grpc

    if credentials is None:
        return grpc.insecure_channel(api, options=_POLL_OPTIONS)
    return grpc.secure_channel(api, credentials, options=_POLL_OPTIONS)


def _lab_links(api: str, timeout: float = 2.0, token: str | None = None, credentials: Any = None,
               channel: Any = None) -> Any:
    """ListLabLinks of the daemon at ``api`` (over ``channel`` when given, else a channel of its own:
    TLS with ``credentials``)."""
    from client._gen.socketlab.v1 import host_pb2 as hp
    from client._gen.socketlab.v1 import host_pb2_grpc as hp_grpc

    metadata = (("authorization", f"Bearer {token}"),) if token else None
    if channel is not None:
        return hp_grpc.HostStub(channel).ListLabLinks(hp.ListLabLinksRequest(), timeout=timeout, metadata=metadata)
    with _open_channel(api, credentials) as own:
        return hp_grpc.HostStub(own).ListLabLinks(hp.ListLabLinksRequest(), timeout=timeout, metadata=metadata)


class LabAuth:
    """How ``lab up``/``lab status`` reach a lab's daemons: each host's token (its link_token, else its
    first token) and the TLS credentials of the ``tls:`` block, read from the topology file so that no
    secret lands in the state file; ``channel(api)`` keeps one channel per daemon until ``close()``."""

    def __init__(self, topo: Any = None) -> None:
        self.tokens: dict[str, str] = {}
        self.credentials: Any = None
        self._channels: dict[str, Any] = {}
        if topo is None:
            return
        for name, spec in topo.hosts.items():
            token = spec.link_token or (spec.tokens[0].token if spec.tokens else None)
            if token:
                self.tokens[name] = token
        self.credentials = lab_channel_credentials(topo)

    @classmethod
    def of_state(cls, state: dict[str, Any]) -> LabAuth:
        try:
            from server.topology import load_topology

            return cls(load_topology(state["topology"]))
        except Exception:  # noqa: BLE001  (a moved or edited file: ask without tokens or TLS)
            return cls()

    def channel(self, api: str) -> Any:
        if api not in self._channels:
            self._channels[api] = _open_channel(api, self.credentials)
        return self._channels[api]

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()


def _status_tokens(state: dict[str, Any]) -> dict[str, str]:
    """host -> the token lab status asks with (kept for callers of the old name)."""
    return LabAuth.of_state(state).tokens


def host_states(state: dict[str, Any], auth: LabAuth | None = None) -> dict[str, str]:
    """host -> "running (links up/total)", "starting", "links down: ...", "exited"."""
    out: dict[str, str] = {}
    own = auth is None
    auth = auth or LabAuth.of_state(state)
    try:
        for name, h in state["hosts"].items():
            if not _alive(h["pid"]):
                out[name] = "exited"
                continue
            try:
                reply = _lab_links(h["api"], token=auth.tokens.get(name), channel=auth.channel(h["api"]))
            except Exception:  # noqa: BLE001  (unreachable daemon: reported as a state)
                out[name] = "starting"
                continue
            links = list(reply.links)
            up = sum(1 for lk in links if lk.state == "up")
            out[name] = f"running ({up}/{len(links)} links up)" if up == len(links) else \
                "links down: " + ", ".join(f"{lk.link}->{lk.peer} {lk.state}" for lk in links if lk.state != "up")
    finally:
        if own:
            auth.close()
    return out


def print_table(state: dict[str, Any], states: dict[str, str], out: IO[str]) -> None:
    rows = [("HOST", "API", "PID", "STATE")]
    rows += [(n, h["api"], str(h["pid"]), states.get(n, "?")) for n, h in state["hosts"].items()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=False)) + "  " + r[3] + "\n")


def lab_up(path: str, out: IO[str], err: IO[str], *, timeout: float = 60.0,
           extra_args: list[str] | None = None) -> int:
    """Start the lab of ``path``; 0 when every link is up, 1 otherwise (the lab is taken down again)."""
    from server.topology import TopologyError, load_topology

    try:
        topo = load_topology(path)
    except TopologyError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        return 2
    except OSError as exc:
        print(f"socketlab: cannot read {path}: {exc.strerror or exc}", file=err)
        return 2
    d = state_dir()
    state_file = d / f"{topo.name}.json"
    if state_file.exists():
        old = json.loads(state_file.read_text())
        if any(_alive(h["pid"]) for h in old["hosts"].values()):
            print(f"socketlab: lab {topo.name!r} is already up (socketlab lab down {topo.name})", file=err)
            return 1
    state: dict[str, Any] = {"lab": topo.name, "topology": str(Path(path).resolve()), "hosts": {}}
    start = time.monotonic()
    for name, spec in topo.hosts.items():
        log_path = d / f"{topo.name}-{name}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "server", "--topology", str(Path(path).resolve()), "--host", name,
                 *(extra_args or [])],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                cwd=str(Path(__file__).resolve().parent.parent))
        state["hosts"][name] = {"pid": proc.pid, "api": spec.api, "log": str(log_path)}
        print(f"lab {topo.name}: started {name} (pid {proc.pid}, {spec.api})", file=err)
    state_file.write_text(json.dumps(state, indent=2))
    try:
        auth = LabAuth(topo)
    except OSError as exc:
        print(f"lab {topo.name}: cannot read the tls files: {exc}", file=err)
        lab_down(topo.name, out, err, quiet=True)
        return 1
    try:
        return _wait_up(topo.name, state, auth, start, timeout, out, err)
    finally:
        auth.close()


def _wait_up(lab: str, state: dict[str, Any], auth: LabAuth, start: float, timeout: float, out: IO[str],
             err: IO[str]) -> int:
    """Poll every daemon until every link is up (0), a daemon exits or ``timeout`` passes (1, lab down)."""
    last = ""
    done: dict[str, str] = {}  # hosts seen running with every link up: not asked again
    while True:
        pending = {n: h for n, h in state["hosts"].items() if n not in done}
        states = {**done, **host_states({**state, "hosts": pending}, auth)}
        done.update({n: s for n, s in states.items() if s.startswith("running")})
        states = {n: states[n] for n in state["hosts"]}
        ready = all(s.startswith("running") for s in states.values())
        line = ", ".join(f"{n}: {s}" for n, s in states.items())
        if line != last:
            print(f"lab {lab}: [{time.monotonic() - start:5.1f}s] {line}", file=err)
            err.flush()
            last = line
        if ready:
            final = host_states(state, auth)  # one last look at every host, those seen up included
            if all(s.startswith("running") for s in final.values()):
                states = final
                break
            done.clear()
            continue
        if any(s == "exited" for s in states.values()) or time.monotonic() - start > timeout:
            why = "a daemon exited" if any(s == "exited" for s in states.values()) else f"not up after {timeout:g}s"
            print(f"lab {lab}: {why}; logs: " + ", ".join(h["log"] for h in state["hosts"].values()),
                  file=err)
            lab_down(lab, out, err, quiet=True)
            return 1
        time.sleep(0.1)
    print_table(state, states, out)
    return 0


def lab_status(name: str | None, out: IO[str], err: IO[str]) -> int:
    try:
        state = find_state(name)
    except LookupError as exc:
        print(f"socketlab: {exc}", file=err)
        return 1
    out.write(f"lab {state['lab']} ({state['topology']})\n")
    states = host_states(state)
    print_table(state, states, out)
    return 0 if all(s.startswith("running") for s in states.values()) else 1


def lab_down(name: str | None, out: IO[str], err: IO[str], *, quiet: bool = False, grace: float = 5.0) -> int:
    try:
        state = find_state(name)
    except LookupError as exc:
        print(f"socketlab: {exc}", file=err)
        return 1
    pids = {n: h["pid"] for n, h in state["hosts"].items()}
    for pid in pids.values():
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids.values()):
        time.sleep(0.05)
    for pid in pids.values():
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    for pid in pids.values():  # reap our own children (lab up in this process)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    (state_dir() / f"{state['lab']}.json").unlink(missing_ok=True)
    if not quiet:
        print(f"lab {state['lab']}: stopped " + ", ".join(pids), file=out)
    return 0


class LabAccess:
    """How the CLI reaches one host of a running lab: its token and the lab's TLS files (from the
    topology file the lab state names), for an admin channel or ``client.connect``."""

    def __init__(self, topo: Any, host: str) -> None:
        auth = LabAuth(topo)
        self.host = host
        self.token: str | None = auth.tokens.get(host)
        self.credentials: Any = auth.credentials  # grpc.ChannelCredentials or None (plaintext)
        self.tls: Any = lab_tls_config(topo)  # client.TlsConfig or None

    def channel(self, api: str) -> Any:
        return _open_channel(api, self.credentials)


def lab_access(api: str) -> LabAccess | None:
    """The access to ``api`` when it is a host of a running lab (None otherwise, or when the lab's
    topology file can no longer be read)."""
    try:
        paths = sorted(state_dir().glob("*.json"))
    except OSError:
        return None
    for path in paths:
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for name, h in dict(state.get("hosts", {})).items():
            if h.get("api") == api:
                try:
                    from server.topology import load_topology

                    return LabAccess(load_topology(state["topology"]), name)
                except Exception:  # noqa: BLE001  (a moved or edited file: plaintext, no token)
                    return None
    return None


def host_api(endpoint_host: str, lab: str | None = None) -> str | None:
    """The API address of a host of the running lab (None when no lab names it)."""
    try:
        state = find_state(lab)
    except (LookupError, OSError):
        return None
    h = state["hosts"].get(endpoint_host)
    return str(h["api"]) if h else None


# --- ping / traceroute / nc ----------------------------------------------------------------

def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp_echo(ident: int, seq: int, payload: bytes) -> bytes:
    hdr = struct.pack("!BBHHH", ICMP_ECHO, 0, 0, ident, seq)
    csum = _checksum(hdr + payload)
    return struct.pack("!BBHHH", ICMP_ECHO, 0, csum, ident, seq) + payload


def ping(net: Any, dst: str, out: IO[str], *, count: int = 4, interval: float = 1.0, timeout: float = 2.0,
         size: int = 56, ttl: int = 64, sleep: Callable[[float], None] = time.sleep) -> tuple[int, list[float]]:
    """iputils ping over a raw ICMP socket: (replies received, RTTs in ms)."""
    s = net.socket(net.AF_INET, net.SOCK_RAW, net.IPPROTO_ICMP)
    try:
        s.setsockopt(net.IPPROTO_IP, net.IP_TTL, ttl)
        s.settimeout(timeout)
        ident = os.getpid() & 0xFFFF
        payload = bytes(i & 0xFF for i in range(size))
        out.write(f"PING {dst} ({dst}) {size}({size + 28}) bytes of data.\n")
        rtts: list[float] = []
        for seq in range(1, count + 1):
            sent = time.monotonic()
            s.sendto(icmp_echo(ident, seq, payload), (dst, 0))
            while True:
                left = timeout - (time.monotonic() - sent)
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    data, addr = s.recvfrom(65535)
                except TimeoutError:
                    break
                ihl = (data[0] & 0xF) * 4
                typ, _code, _c, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if typ == ICMP_ECHO_REPLY and rid == ident and rseq == seq:
                    rtt = (time.monotonic() - sent) * 1000
                    rtts.append(rtt)
                    out.write(f"{len(data) - ihl} bytes from {addr[0]}: icmp_seq={seq} ttl={data[8]} "
                              f"time={rtt:.3f} ms\n")
                    break
                if typ in (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED):
                    out.write(f"From {addr[0]} icmp_seq={seq} "
                              f"{'Time to live exceeded' if typ == ICMP_TIME_EXCEEDED else 'Destination Unreachable'}\n")
                    break
            out.flush()
            if seq < count:
                sleep(interval)
        loss = 100 * (count - len(rtts)) // count if count else 0
        out.write(f"\n--- {dst} ping statistics ---\n{count} packets transmitted, {len(rtts)} received, "
                  f"{loss}% packet loss\n")
        if rtts:
            avg = sum(rtts) / len(rtts)
            mdev = (sum((r - avg) ** 2 for r in rtts) / len(rtts)) ** 0.5
            out.write(f"rtt min/avg/max/mdev = {min(rtts):.3f}/{avg:.3f}/{max(rtts):.3f}/{mdev:.3f} ms\n")
        return len(rtts), rtts
    finally:
        s.close()


def traceroute(net: Any, dst: str, out: IO[str], *, max_hops: int = 30, timeout: float = 2.0,
               port: int = TRACEROUTE_PORT) -> list[str | None]:
    """UDP probes with rising TTL; one line per hop; the hops' addresses (None: no answer)."""
    icmp = net.socket(net.AF_INET, net.SOCK_RAW, net.IPPROTO_ICMP)
    udp = net.socket(net.AF_INET, net.SOCK_DGRAM)
    hops: list[str | None] = []
    try:
        udp.bind(("0.0.0.0", 0))
        sport = udp.getsockname()[1]
        out.write(f"traceroute to {dst} ({dst}), {max_hops} hops max, 60 byte packets\n")
        for ttl in range(1, max_hops + 1):
            udp.setsockopt(net.IPPROTO_IP, net.IP_TTL, ttl)
            dport = port + ttl - 1
            sent = time.monotonic()
            udp.sendto(bytes(32), (dst, dport))
            hop: str | None = None
            typ = -1
            while hop is None:
                left = timeout - (time.monotonic() - sent)
                if left <= 0:
                    break
                icmp.settimeout(left)
                try:
                    data, addr = icmp.recvfrom(65535)
                except TimeoutError:
                    break
                ihl = (data[0] & 0xF) * 4
                typ = data[ihl]
                inner = data[ihl + 8:]
                if typ not in (ICMP_TIME_EXCEEDED, ICMP_DEST_UNREACH) or len(inner) < 28:
                    continue
                iihl = (inner[0] & 0xF) * 4
                isport, idport = struct.unpack("!HH", inner[iihl:iihl + 4])
                if inner[9] == 17 and isport == sport and idport == dport:
                    hop = addr[0]
            hops.append(hop)
            if hop is None:
                out.write(f"{ttl:2d}  *\n")
            else:
                out.write(f"{ttl:2d}  {hop} ({hop})  {(time.monotonic() - sent) * 1000:.3f} ms\n")
            out.flush()
            if hop is not None and typ == ICMP_DEST_UNREACH:
                break
        return hops
    finally:
        icmp.close()
        udp.close()


def nc_connect(net: Any, host: str, port: int, data: bytes, *, udp: bool = False, timeout: float = 5.0) -> bytes:
    """nc [-u] HOST PORT: send ``data``, return what comes back (until EOF, or a quiet ``timeout`` for UDP)."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM if udp else net.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect((host, port))
        if data:
            s.sendall(data) if not udp else s.send(data)
        if not udp:
            s.shutdown(net.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if udp:
                break
        return b"".join(chunks)
    finally:
        s.close()


def nc_listen(net: Any, port: int, *, udp: bool = False, reply: Callable[[bytes], bytes] | None = None,
              timeout: float | None = None, bind: str = "0.0.0.0") -> tuple[bytes, Any]:
    """nc -l [-u] PORT: take one connection (or datagram); return (data, peer); ``reply`` answers it."""
    s = net.socket(net.AF_INET, net.SOCK_DGRAM if udp else net.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, 1)
        s.bind((bind, port))
        if udp:
            data, peer = s.recvfrom(65536)
            if reply is not None:
                s.sendto(reply(data), peer)
            return data, peer
        s.listen(1)
        conn, peer = s.accept()
        with conn:
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
            data = b"".join(chunks)
            if reply is not None:
                conn.sendall(reply(data))
        return data, peer
    finally:
        s.close()
