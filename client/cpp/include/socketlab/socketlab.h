// socketlab for C++: a thin wrapper over the gRPC stubs generated from proto/.
//
// A Process is one emulated process on a socketlabd host; it lives as long as
// its Process/Session stream (the destructor or Close() ends it, and its fds
// close as on exit(2)).  Each syscall is a method that returns its value or
// throws std::system_error with the Linux errno in std::generic_category(), so
// `e.code() == std::errc::connection_refused` works.  Blocking calls are
// server-streaming RPCs: the methods read the stream to its result.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "socketlab/v1/process.grpc.pb.h"
#include "socketlab/v1/socketcall.grpc.pb.h"

namespace socketlab {

constexpr int kAfUnix = 1;
constexpr int kAfInet = 2;
constexpr int kSockStream = 1;
constexpr int kFGetFl = 3;
constexpr int kFSetFl = 4;
constexpr int64_t kONonblock = 04000;

// An AF_UNIX address: a path in the emulated host's filesystem.
v1::SockAddr UnixAddr(const std::string& path);
// An AF_INET address: a dotted-quad IPv4 address and a port.
v1::SockAddr InetAddr(const std::string& address, uint16_t port);

class Process {
 public:
  // Opens a process on the daemon at target ("HOST:PORT").
  explicit Process(const std::string& target);
  // Opens a process over an existing channel.
  explicit Process(std::shared_ptr<grpc::Channel> channel);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  const std::string& handle() const { return handle_; }
  int pid() const { return pid_; }

  int Socket(int family, int type, int protocol = 0);
  void Bind(int fd, const v1::SockAddr& address);
  void Listen(int fd, int backlog);
  void Connect(int fd, const v1::SockAddr& address);
  int Accept(int fd);
  size_t Send(int fd, const std::string& data, int flags = 0);
  void SendAll(int fd, const std::string& data);
  std::string Recv(int fd, uint32_t size, int flags = 0);
  std::string RecvExact(int fd, size_t n);
  int64_t Fcntl(int fd, int cmd, int64_t arg = 0);
  void SetNonblocking(int fd, bool on);
  void CloseFd(int fd);
  void Unlink(const std::string& path);
  // Ends the process (its descriptors close).
  void Close();

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SocketCall::Stub> calls_;
  std::unique_ptr<v1::Process::Stub> processes_;
  grpc::ClientContext session_context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::SessionRequest, v1::SessionResponse>> session_;
  std::string handle_;
  int pid_ = -1;
  bool closed_ = false;
};

}  // namespace socketlab
