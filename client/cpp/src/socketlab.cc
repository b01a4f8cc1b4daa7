#include "socketlab/socketlab.h"

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace socketlab {
namespace {

[[noreturn]] void Transport(const char* op, const grpc::Status& status) {
  throw std::runtime_error(std::string(op) + ": socketlabd: " + status.error_message());
}

int64_t Check(const char* op, const v1::Result& r) {
  if (r.timed_out()) throw std::system_error(ETIMEDOUT, std::generic_category(), op);
  if (r.error_number() != 0) throw std::system_error(r.error_number(), std::generic_category(), op);
  return r.ret();
}

template <typename Response>
Response Last(const char* op, grpc::ClientReader<Response>* reader) {
  Response msg, result;
  bool found = false;
  while (reader->Read(&msg)) {
    if (msg.has_result()) {
      result = msg;
      found = true;
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) Transport(op, status);
  if (!found) throw std::runtime_error(std::string(op) + ": stream ended without a result");
  return result;
}

}  // namespace

v1::SockAddr UnixAddr(const std::string& path) {
  v1::SockAddr addr;
  addr.mutable_local()->set_path(path);
  return addr;
}

v1::SockAddr InetAddr(const std::string& address, uint16_t port) {
  v1::SockAddr addr;
  addr.mutable_inet()->set_address(address);
  addr.mutable_inet()->set_port(port);
  return addr;
}

Process::Process(const std::string& target)
    : Process(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())) {}

Process::Process(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      calls_(v1::SocketCall::NewStub(channel_)),
      processes_(v1::Process::NewStub(channel_)) {
  session_ = processes_->Session(&session_context_);
  v1::SessionRequest open;
  open.mutable_open();
  v1::SessionResponse first;
  if (!session_->Write(open) || !session_->Read(&first) || !first.has_opened()) {
    Transport("open", session_->Finish());
  }
  handle_ = first.opened().process();
  pid_ = first.opened().pid();
}

Process::~Process() {
  try {
    Close();
  } catch (...) {
  }
}

void Process::Close() {
  if (closed_) return;
  closed_ = true;
  session_->WritesDone();
  v1::SessionResponse ignored;
  while (session_->Read(&ignored)) {
  }
  session_->Finish();
}

int Process::Socket(int family, int type, int protocol) {
  v1::SocketRequest req;
  req.set_process(handle_);
  req.set_family(family);
  req.set_type(type);
  req.set_protocol(protocol);
  v1::SocketResponse rep;
  grpc::ClientContext ctx;
  grpc::Status status = calls_->Socket(&ctx, req, &rep);
  if (!status.ok()) Transport("socket", status);
  return static_cast<int>(Check("socket", rep.result()));
}

void Process::Bind(int fd, const v1::SockAddr& address) {
  v1::BindRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  *req.mutable_address() = address;
  v1::BindResponse rep;
  grpc::ClientContext ctx;
  grpc::Status status = calls_->Bind(&ctx, req, &rep);
  if (!status.ok()) Transport("bind", status);
  Check("bind", rep.result());
}

void Process::Listen(int fd, int backlog) {
  v1::ListenRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  req.set_backlog(backlog);
  v1::ListenResponse rep;
  grpc::ClientContext ctx;
  grpc::Status status = calls_->Listen(&ctx, req, &rep);
  if (!status.ok()) Transport("listen", status);
  Check("listen", rep.result());
}

void Process::Connect(int fd, const v1::SockAddr& address) {
  v1::ConnectRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  *req.mutable_address() = address;
  grpc::ClientContext ctx;
  auto rep = Last("connect", calls_->Connect(&ctx, req).get());
  Check("connect", rep.result());
}

int Process::Accept(int fd) {
  v1::AcceptRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  req.set_no_address(true);
  grpc::ClientContext ctx;
  auto rep = Last("accept", calls_->Accept(&ctx, req).get());
  return static_cast<int>(Check("accept", rep.result()));
}

size_t Process::Send(int fd, const std::string& data, int flags) {
  v1::SendRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  req.set_data(data);
  req.set_flags(flags);
  grpc::ClientContext ctx;
  auto rep = Last("send", calls_->Send(&ctx, req).get());
  return static_cast<size_t>(Check("send", rep.result()));
}

void Process::SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) off += Send(fd, data.substr(off));
}

std::string Process::Recv(int fd, uint32_t size, int flags) {
  v1::RecvRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  req.set_size(size);
  req.set_flags(flags);
  grpc::ClientContext ctx;
  auto rep = Last("recv", calls_->Recv(&ctx, req).get());
  Check("recv", rep.result());
  return rep.data();
}

std::string Process::RecvExact(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    std::string chunk = Recv(fd, static_cast<uint32_t>(std::min<size_t>(n - out.size(), 1 << 20)));
    if (chunk.empty()) throw std::runtime_error("EOF before " + std::to_string(n) + " bytes");
    out += chunk;
  }
  return out;
}

int64_t Process::Fcntl(int fd, int cmd, int64_t arg) {
  v1::FcntlRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  req.set_cmd(cmd);
  req.set_arg(arg);
  v1::FcntlResponse rep;
  grpc::ClientContext ctx;
  grpc::Status status = calls_->Fcntl(&ctx, req, &rep);
  if (!status.ok()) Transport("fcntl", status);
  return Check("fcntl", rep.result());
}

void Process::SetNonblocking(int fd, bool on) {
  int64_t flags = Fcntl(fd, kFGetFl);
  Fcntl(fd, kFSetFl, on ? (flags | kONonblock) : (flags & ~kONonblock));
}

void Process::CloseFd(int fd) {
  v1::CloseRequest req;
  req.set_process(handle_);
  req.set_fd(fd);
  v1::CloseResponse rep;
  grpc::ClientContext ctx;
  grpc::Status status = calls_->Close(&ctx, req, &rep);
  if (!status.ok()) Transport("close", status);
  Check("close", rep.result());
}

void Process::Unlink(const std::string& path) {
  v1::UnlinkRequest req;
  req.set_process(handle_);
  req.set_path(path);
  v1::UnlinkResponse rep;
  grpc::ClientContext ctx;
  grpc::Status status = calls_->Unlink(&ctx, req, &rep);
  if (!status.ok()) Transport("unlink", status);
  Check("unlink", rep.result());
}

}  // namespace socketlab
