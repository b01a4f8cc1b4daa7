// The cross-language example: a process on host A and one on host B (two
// socketlabd daemons linked by a lab, e.g. client/examples/lab2.yml), B
// listens on TCP, A connects, 1 MiB is echoed both ways, then ECONNREFUSED,
// EADDRINUSE and EAGAIN are checked.  Exit status 0 only if all pass.
//   build/example A_HOST:PORT B_HOST:PORT [B_IP]    (B_IP: 10.0.0.2)
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <future>
#include <iostream>
#include <string>
#include <system_error>

#include "socketlab/socketlab.h"

namespace {

constexpr size_t kTotal = 1 << 20;
constexpr size_t kChunk = 64 * 1024;
int failed = 0;

void Check(bool ok, const std::string& what) {
  std::cout << (ok ? "PASS " : "FAIL ") << what << std::endl;
  if (!ok) ++failed;
}

void ExpectErrno(std::errc expected, const std::string& what, const std::function<void()>& call) {
  try {
    call();
    Check(false, what + ": no error");
  } catch (const std::system_error& e) {
    Check(e.code() == expected, what + ": " + e.what());
  }
}

void Run(const std::string& target_a, const std::string& target_b, const std::string& ip_b) {
  using socketlab::InetAddr;
  socketlab::Process a(target_a), b(target_b);
  // A port of its own for each run (B's pids grow): no TIME-WAIT of a previous run holds it.
  const auto port = static_cast<uint16_t>(20000 + b.pid() % 20000 * 2);
  const auto addr = InetAddr(ip_b, port);

  // B listens.
  int lfd = b.Socket(socketlab::kAfInet, socketlab::kSockStream);
  b.Bind(lfd, addr);
  b.Listen(lfd, 8);

  // EADDRINUSE: a second bind to the same address and port on B.
  int dup = b.Socket(socketlab::kAfInet, socketlab::kSockStream);
  ExpectErrno(std::errc::address_in_use, "bind to a bound port on B", [&] { b.Bind(dup, addr); });
  b.CloseFd(dup);

  // ECONNREFUSED: A connects to a TCP port of B where nothing listens (B answers RST).
  int probe = a.Socket(socketlab::kAfInet, socketlab::kSockStream);
  ExpectErrno(std::errc::connection_refused, "connect from A to a closed port on B",
              [&] { a.Connect(probe, InetAddr(ip_b, port + 1)); });
  a.CloseFd(probe);

  // A connects while B accepts (a future: Accept blocks until the connection).
  auto accepted = std::async(std::launch::async, [&] { return b.Accept(lfd); });
  int cfd = a.Socket(socketlab::kAfInet, socketlab::kSockStream);
  a.Connect(cfd, addr);
  int sfd = accepted.get();

  // 1 MiB A -> B, echoed B -> A, chunk by chunk.
  std::string payload(kTotal, '\0');
  for (size_t i = 0; i < kTotal; ++i) payload[i] = static_cast<char>(i * 7 % 251);
  std::string at_b, back_at_a;
  for (size_t off = 0; off < kTotal; off += kChunk) {
    a.SendAll(cfd, payload.substr(off, kChunk));
    std::string got = b.RecvExact(sfd, kChunk);
    b.SendAll(sfd, got);
    at_b += got;
    back_at_a += a.RecvExact(cfd, kChunk);
  }
  Check(at_b == payload, "1 MiB from A arrived intact at B over TCP");
  Check(back_at_a == payload, "1 MiB echoed by B arrived intact at A");

  // EAGAIN: a nonblocking recv on the connected TCP socket with nothing queued.
  a.SetNonblocking(cfd, true);
  ExpectErrno(std::errc::resource_unavailable_try_again, "nonblocking recv with nothing queued",
              [&] { a.Recv(cfd, 100); });

  // EOF after the peer closes (its FIN).
  b.CloseFd(sfd);
  a.SetNonblocking(cfd, false);
  Check(a.Recv(cfd, 100).empty(), "recv after the peer closed is EOF");
  a.CloseFd(cfd);
  b.CloseFd(lfd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: example A_HOST:PORT B_HOST:PORT [B_IP]" << std::endl;
    return 2;
  }
  try {
    Run(argv[1], argv[2], argc > 3 ? argv[3] : "10.0.0.2");
  } catch (const std::exception& e) {
    Check(false, std::string("unexpected error: ") + e.what());
  }
  std::cout << (failed == 0 ? "cpp example: all checks passed" : "cpp example: check(s) failed") << std::endl;
  return failed == 0 ? 0 : 1;
}
