package dev.socketlab.client;

import java.util.Arrays;

/**
 * The cross-language example: two processes on one socketlabd host (AF_UNIX until TCP lands),
 * listen in B, connect from A, echo 1 MiB both ways, check ECONNREFUSED, EADDRINUSE and EAGAIN.
 * Exit status 0 only if all pass. {@code java -jar target/socketlab-client.jar HOST:PORT}
 */
public final class Example {
  private static final int TOTAL = 1 << 20;
  private static final int CHUNK = 64 * 1024;
  private static int failed = 0;

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "PASS " : "FAIL ") + what);
    if (!ok) {
      failed++;
    }
  }

  private interface Call {
    void run() throws Exception;
  }

  private static void expectErrno(int errno, String what, Call call) throws Exception {
    try {
      call.run();
      check(false, what + ": no error");
    } catch (ErrnoException e) {
      check(e.errno() == errno, what + ": " + e.getMessage());
    }
  }

  public static void main(String[] args) throws Exception {
    String target = args.length > 0 ? args[0]
        : System.getenv().getOrDefault("SOCKETLAB_TARGET", "127.0.0.1:50051");
    try {
      run(target);
    } catch (Exception e) {
      check(false, "unexpected error: " + e);
    }
    System.out.println(failed == 0 ? "java example: all checks passed"
        : "java example: " + failed + " check(s) failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  private static void run(String target) throws Exception {
    try (SocketlabProcess a = SocketlabProcess.open(target);
         SocketlabProcess b = SocketlabProcess.open(target)) {
      String path = "/tmp/socketlab-example-java-" + a.pid() + ".sock";
      String refused = path + ".refused";
      int af = SocketlabProcess.AF_UNIX;
      int st = SocketlabProcess.SOCK_STREAM;

      // B listens.
      int lfd = b.socket(af, st, 0);
      b.bind(lfd, SocketlabProcess.unixAddr(path));
      b.listen(lfd, 8);

      // EADDRINUSE: a second bind to the same path.
      int dup = b.socket(af, st, 0);
      expectErrno(ErrnoException.EADDRINUSE, "bind to a bound path",
          () -> b.bind(dup, SocketlabProcess.unixAddr(path)));
      b.close(dup);

      // ECONNREFUSED: connecting to a bound socket that does not listen.
      int quiet = b.socket(af, st, 0);
      b.bind(quiet, SocketlabProcess.unixAddr(refused));
      int probe = a.socket(af, st, 0);
      expectErrno(ErrnoException.ECONNREFUSED, "connect to a socket that does not listen",
          () -> a.connect(probe, SocketlabProcess.unixAddr(refused)));
      a.close(probe);
      b.close(quiet);

      // A connects, B accepts.
      int cfd = a.socket(af, st, 0);
      a.connect(cfd, SocketlabProcess.unixAddr(path));
      int sfd = b.accept(lfd);

      // 1 MiB A -> B, echoed B -> A, chunk by chunk.
      byte[] payload = new byte[TOTAL];
      for (int i = 0; i < TOTAL; i++) {
        payload[i] = (byte) (i * 7 % 251);
      }
      byte[] atB = new byte[TOTAL];
      byte[] backAtA = new byte[TOTAL];
      for (int off = 0; off < TOTAL; off += CHUNK) {
        int len = Math.min(CHUNK, TOTAL - off);
        a.sendAll(cfd, payload, off, len);
        byte[] got = b.recvExact(sfd, len);
        System.arraycopy(got, 0, atB, off, len);
        b.sendAll(sfd, got, 0, len);
        System.arraycopy(a.recvExact(cfd, len), 0, backAtA, off, len);
      }
      check(Arrays.equals(atB, payload), "1 MiB from A arrived intact at B");
      check(Arrays.equals(backAtA, payload), "1 MiB echoed by B arrived intact at A");

      // EAGAIN: a nonblocking recv with nothing queued.
      a.setNonBlocking(cfd, true);
      expectErrno(ErrnoException.EAGAIN, "nonblocking recv with nothing queued",
          () -> a.recv(cfd, 100, 0));

      // A future that completes when B writes.
      a.setNonBlocking(cfd, false);
      var pending = a.recvAsync(cfd, 100, 0);
      b.sendAll(sfd, "late".getBytes(), 0, 4);
      check(new String(pending.get()).equals("late"), "recvAsync completes when data arrives");

      // EOF after the peer closes.
      b.close(sfd);
      check(a.recv(cfd, 100, 0).length == 0, "recv after the peer closed is EOF");
      a.close(cfd);
      b.close(lfd);
      b.unlink(path);
      b.unlink(refused);
    }
  }
}
