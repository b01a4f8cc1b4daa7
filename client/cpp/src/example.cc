// The cross-language example: two processes on one socketlabd host (AF_UNIX
// until TCP lands), listen in B, connect from A, echo 1 MiB both ways, check
// ECONNREFUSED, EADDRINUSE and EAGAIN.  Exit status 0 only if all pass.
//   build/example 127.0.0.1:50051
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

void Run(const std::string& target) {
  using socketlab::UnixAddr;
  socketlab::Process a(target), b(target);
  const std::string path = "/tmp/socketlab-example-cpp-" + std::to_string(a.pid()) + ".sock";
  const std::string refused = path + ".refused";

  // B listens.
  int lfd = b.Socket(socketlab::kAfUnix, socketlab::kSockStream);
  b.Bind(lfd, UnixAddr(path));
  b.Listen(lfd, 8);

  // EADDRINUSE: a second bind to the same path.
  int dup = b.Socket(socketlab::kAfUnix, socketlab::kSockStream);
  ExpectErrno(std::errc::address_in_use, "bind to a bound path", [&] { b.Bind(dup, UnixAddr(path)); });
  b.CloseFd(dup);

  // ECONNREFUSED: connecting to a bound socket that does not listen.
  int quiet = b.Socket(socketlab::kAfUnix, socketlab::kSockStream);
  b.Bind(quiet, UnixAddr(refused));
  int probe = a.Socket(socketlab::kAfUnix, socketlab::kSockStream);
  ExpectErrno(std::errc::connection_refused, "connect to a socket that does not listen",
              [&] { a.Connect(probe, UnixAddr(refused)); });
  a.CloseFd(probe);
  b.CloseFd(quiet);

  // A connects while B accepts (a future: Accept blocks until the connection).
  auto accepted = std::async(std::launch::async, [&] { return b.Accept(lfd); });
  int cfd = a.Socket(socketlab::kAfUnix, socketlab::kSockStream);
  a.Connect(cfd, UnixAddr(path));
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
  Check(at_b == payload, "1 MiB from A arrived intact at B");
  Check(back_at_a == payload, "1 MiB echoed by B arrived intact at A");

  // EAGAIN: a nonblocking recv with nothing queued.
  a.SetNonblocking(cfd, true);
  ExpectErrno(std::errc::resource_unavailable_try_again, "nonblocking recv with nothing queued",
              [&] { a.Recv(cfd, 100); });

  // EOF after the peer closes.
  b.CloseFd(sfd);
  a.SetNonblocking(cfd, false);
  Check(a.Recv(cfd, 100).empty(), "recv after the peer closed is EOF");
  a.CloseFd(cfd);
  b.CloseFd(lfd);
  b.Unlink(path);
  b.Unlink(refused);
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("SOCKETLAB_TARGET");
  std::string target = argc > 1 ? argv[1] : (env ? env : "127.0.0.1:50051");
  try {
    Run(target);
  } catch (const std::exception& e) {
    Check(false, std::string("unexpected error: ") + e.what());
  }
  std::cout << (failed == 0 ? "cpp example: all checks passed" : "cpp example: check(s) failed") << std::endl;
  return failed == 0 ? 0 : 1;
}
