package dev.socketlab.client;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import socketlab.v1.ProcessGrpc;
import socketlab.v1.ProcessOuterClass.OpenProcess;
import socketlab.v1.ProcessOuterClass.SessionRequest;
import socketlab.v1.ProcessOuterClass.SessionResponse;
import socketlab.v1.SocketCallGrpc;
import socketlab.v1.Socketcall;
import socketlab.v1.Types;

/**
 * One process on a socketlabd host: a thin wrapper over the generated grpc-java stubs.
 *
 * <p>The process lives as long as its {@code Process/Session} stream; {@link #close()} ends it
 * (its fds close, as on exit(2)). Each syscall is a method that returns the syscall's value or
 * throws {@link ErrnoException} with the Linux errno. Blocking calls are server-streaming RPCs:
 * the blocking methods read the stream up to its result; {@link #recvAsync} gives a
 * {@link CompletableFuture} instead.
 */
public final class SocketlabProcess implements AutoCloseable {
  public static final int AF_UNIX = 1;
  public static final int AF_INET = 2;
  public static final int SOCK_STREAM = 1;
  public static final int F_GETFL = 3;
  public static final int F_SETFL = 4;
  public static final long O_NONBLOCK = 04000;

  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final SocketCallGrpc.SocketCallBlockingStub calls;
  private final SocketCallGrpc.SocketCallStub asyncCalls;
  private final StreamObserver<SessionRequest> session;
  private final CountDownLatch ended = new CountDownLatch(1);
  private final String handle;
  private final int pid;

  /** Opens a process on the daemon at {@code target} ("HOST:PORT"). */
  public static SocketlabProcess open(String target) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    return new SocketlabProcess(channel, true);
  }

  /** Opens a process over an existing channel (not closed by {@link #close()}). */
  public static SocketlabProcess open(ManagedChannel channel) throws InterruptedException {
    return new SocketlabProcess(channel, false);
  }

  private SocketlabProcess(ManagedChannel channel, boolean ownsChannel) throws InterruptedException {
    this.channel = channel;
    this.ownsChannel = ownsChannel;
    this.calls = SocketCallGrpc.newBlockingStub(channel);
    this.asyncCalls = SocketCallGrpc.newStub(channel);
    CompletableFuture<SessionResponse> opened = new CompletableFuture<>();
    this.session = ProcessGrpc.newStub(channel).session(new StreamObserver<SessionResponse>() {
      @Override public void onNext(SessionResponse msg) {
        opened.complete(msg);
      }

      @Override public void onError(Throwable t) {
        opened.completeExceptionally(t);
        ended.countDown();
      }

      @Override public void onCompleted() {
        opened.completeExceptionally(new IllegalStateException("session ended"));
        ended.countDown();
      }
    });
    session.onNext(SessionRequest.newBuilder().setOpen(OpenProcess.getDefaultInstance()).build());
    SessionResponse first;
    try {
      first = opened.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("socketlabd at " + channel.authority() + ": " + e.getMessage(), e);
    }
    if (!first.hasOpened()) {
      throw new IllegalStateException("socketlabd did not open a process: " + first);
    }
    this.handle = first.getOpened().getProcess();
    this.pid = first.getOpened().getPid();
  }

  public int pid() {
    return pid;
  }

  public String handle() {
    return handle;
  }

  /** An AF_UNIX address (a path in the emulated host's filesystem). */
  public static Types.SockAddr unixAddr(String path) {
    return Types.SockAddr.newBuilder()
        .setLocal(Types.LocalAddress.newBuilder().setPath(ByteString.copyFromUtf8(path))).build();
  }

  /** An AF_INET address: a dotted-quad IPv4 address and a port. */
  public static Types.SockAddr inetAddr(String address, int port) {
    return Types.SockAddr.newBuilder()
        .setInet(Types.InetAddress.newBuilder().setAddress(address).setPort(port)).build();
  }

  private static long check(String op, Types.Result r) throws ErrnoException {
    if (r.getErrorNumber() != 0) {
      throw new ErrnoException(op, r.getErrorNumber(), r.getErrorName());
    }
    return r.getRet();
  }

  /** The result message of a blocking call's stream (progress events skipped). */
  private static <T> T last(Iterator<T> stream, Function<T, Boolean> hasResult) {
    while (stream.hasNext()) {
      T msg = stream.next();
      if (hasResult.apply(msg)) {
        return msg;
      }
    }
    throw new IllegalStateException("stream ended without a result");
  }

  public int socket(int family, int type, int protocol) throws ErrnoException {
    var rep = calls.socket(Socketcall.SocketRequest.newBuilder().setProcess(handle)
        .setFamily(family).setType(type).setProtocol(protocol).build());
    return (int) check("socket", rep.getResult());
  }

  public void bind(int fd, Types.SockAddr address) throws ErrnoException {
    var rep = calls.bind(Socketcall.BindRequest.newBuilder().setProcess(handle).setFd(fd)
        .setAddress(address).build());
    check("bind", rep.getResult());
  }

  public void listen(int fd, int backlog) throws ErrnoException {
    var rep = calls.listen(Socketcall.ListenRequest.newBuilder().setProcess(handle).setFd(fd)
        .setBacklog(backlog).build());
    check("listen", rep.getResult());
  }

  public void connect(int fd, Types.SockAddr address) throws ErrnoException {
    var rep = last(calls.connect(Socketcall.ConnectRequest.newBuilder().setProcess(handle)
        .setFd(fd).setAddress(address).build()), Socketcall.ConnectResponse::hasResult);
    check("connect", rep.getResult());
  }

  /** accept(2): the new descriptor (blocks until a connection arrives). */
  public int accept(int fd) throws ErrnoException {
    var rep = last(calls.accept(Socketcall.AcceptRequest.newBuilder().setProcess(handle)
        .setFd(fd).setNoAddress(true).build()), Socketcall.AcceptResponse::hasResult);
    return (int) check("accept", rep.getResult());
  }

  public int send(int fd, byte[] data, int off, int len, int flags) throws ErrnoException {
    var rep = last(calls.send(Socketcall.SendRequest.newBuilder().setProcess(handle).setFd(fd)
        .setData(ByteString.copyFrom(data, off, len)).setFlags(flags).build()),
        Socketcall.SendResponse::hasResult);
    return (int) check("send", rep.getResult());
  }

  /** Sends all of {@code data[off, off+len)} (send(2) in a loop). */
  public void sendAll(int fd, byte[] data, int off, int len) throws ErrnoException {
    while (len > 0) {
      int n = send(fd, data, off, len, 0);
      off += n;
      len -= n;
    }
  }

  /** recv(2): up to {@code size} bytes; empty at EOF. */
  public byte[] recv(int fd, int size, int flags) throws ErrnoException {
    var rep = last(calls.recv(Socketcall.RecvRequest.newBuilder().setProcess(handle).setFd(fd)
        .setSize(size).setFlags(flags).build()), Socketcall.RecvResponse::hasResult);
    check("recv", rep.getResult());
    return rep.getData().toByteArray();
  }

  /** recv(2) as a future: completes with the bytes, or exceptionally with an ErrnoException. */
  public CompletableFuture<byte[]> recvAsync(int fd, int size, int flags) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    AtomicReference<Socketcall.RecvResponse> last = new AtomicReference<>();
    asyncCalls.recv(Socketcall.RecvRequest.newBuilder().setProcess(handle).setFd(fd).setSize(size)
        .setFlags(flags).build(), new StreamObserver<Socketcall.RecvResponse>() {
          @Override public void onNext(Socketcall.RecvResponse msg) {
            if (msg.hasResult()) {
              last.set(msg);
            }
          }

          @Override public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override public void onCompleted() {
            Socketcall.RecvResponse msg = last.get();
            if (msg == null) {
              result.completeExceptionally(new IllegalStateException("stream ended without a result"));
              return;
            }
            try {
              check("recv", msg.getResult());
              result.complete(msg.getData().toByteArray());
            } catch (ErrnoException e) {
              result.completeExceptionally(e);
            }
          }
        });
    return result;
  }

  /** Receives exactly {@code n} bytes; throws on EOF before that. */
  public byte[] recvExact(int fd, int n) throws ErrnoException {
    byte[] out = new byte[n];
    int got = 0;
    while (got < n) {
      byte[] chunk = recv(fd, Math.min(n - got, 1 << 20), 0);
      if (chunk.length == 0) {
        throw new IllegalStateException("EOF after " + got + " of " + n + " bytes");
      }
      System.arraycopy(chunk, 0, out, got, chunk.length);
      got += chunk.length;
    }
    return out;
  }

  public long fcntl(int fd, int cmd, long arg) throws ErrnoException {
    var rep = calls.fcntl(Socketcall.FcntlRequest.newBuilder().setProcess(handle).setFd(fd)
        .setCmd(cmd).setArg(arg).build());
    return check("fcntl", rep.getResult());
  }

  /** Puts the descriptor's file in (or out of) O_NONBLOCK. */
  public void setNonBlocking(int fd, boolean on) throws ErrnoException {
    long flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
  }

  public void close(int fd) throws ErrnoException {
    var rep = calls.close(Socketcall.CloseRequest.newBuilder().setProcess(handle).setFd(fd).build());
    check("close", rep.getResult());
  }

  public void unlink(String path) throws ErrnoException {
    var rep = calls.unlink(Socketcall.UnlinkRequest.newBuilder().setProcess(handle)
        .setPath(ByteString.copyFromUtf8(path)).build());
    check("unlink", rep.getResult());
  }

  /** Ends the process (its descriptors close) and, if this object made it, the channel. */
  @Override
  public void close() throws InterruptedException {
    session.onCompleted();
    ended.await(5, TimeUnit.SECONDS);
    if (ownsChannel) {
      channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
