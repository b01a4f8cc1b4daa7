package dev.socketlab.client;

import java.util.Arrays;

/**
 * The cross-language example: a process on host A and one on host B (two socketlabd daemons
 * linked by a lab, e.g. client/examples/lab2.yml), B listens on TCP, A connects, 1 MiB is echoed
 * both ways, then ECONNREFUSED, EADDRINUSE and EAGAIN are checked. Exit status 0 only if all
 * pass. {@code java -jar target/socketlab-client.jar A_HOST:PORT B_HOST:PORT [B_IP]} (B_IP:
 * 10.0.0.2)
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
    if (args.length < 2) {
      System.err.println("usage: java -jar socketlab-client.jar A_HOST:PORT B_HOST:PORT [B_IP]");
      System.exit(2);
    }
    try {
      run(args[0], args[1], args.length > 2 ? args[2] : "10.0.0.2");
    } catch (Exception e) {
      check(false, "unexpected error: " + e);
    }
    System.out.println(failed == 0 ? "java example: all checks passed"
        : "java example: " + failed + " check(s) failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  private static void run(String targetA, String targetB, String ipB) throws Exception {
    try (SocketlabProcess a = SocketlabProcess.open(targetA);
         SocketlabProcess b = SocketlabProcess.open(targetB)) {
      // A port of its own for each run (B's pids grow): no TIME-WAIT of a previous run holds it.
      int port = 20000 + b.pid() % 20000 * 2;
      var addr = SocketlabProcess.inetAddr(ipB, port);
      int af = SocketlabProcess.AF_INET;
      int st = SocketlabProcess.SOCK_STREAM;

      // B listens.
      int lfd = b.socket(af, st, 0);
      b.bind(lfd, addr);
      b.listen(lfd, 8);

      // EADDRINUSE: a second bind to the same address and port on B.
      int dup = b.socket(af, st, 0);
      expectErrno(ErrnoException.EADDRINUSE, "bind to a bound port on B", () -> b.bind(dup, addr));
      b.close(dup);

      // ECONNREFUSED: A connects to a TCP port of B where nothing listens (B answers RST).
      int probe = a.socket(af, st, 0);
      expectErrno(ErrnoException.ECONNREFUSED, "connect from A to a closed port on B",
          () -> a.connect(probe, SocketlabProcess.inetAddr(ipB, port + 1)));
      a.close(probe);

      // A connects, B accepts.
      int cfd = a.socket(af, st, 0);
      a.connect(cfd, addr);
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
      check(Arrays.equals(atB, payload), "1 MiB from A arrived intact at B over TCP");
      check(Arrays.equals(backAtA, payload), "1 MiB echoed by B arrived intact at A");

      // EAGAIN: a nonblocking recv on the connected TCP socket with nothing queued.
      a.setNonBlocking(cfd, true);
      expectErrno(ErrnoException.EAGAIN, "nonblocking recv with nothing queued",
          () -> a.recv(cfd, 100, 0));

      // A future that completes when B writes.
      a.setNonBlocking(cfd, false);
      var pending = a.recvAsync(cfd, 100, 0);
      b.sendAll(sfd, "late".getBytes(), 0, 4);
      check(new String(pending.get()).equals("late"), "recvAsync completes when data arrives");

      // EOF after the peer closes (its FIN).
      b.close(sfd);
      check(a.recv(cfd, 100, 0).length == 0, "recv after the peer closed is EOF");
      a.close(cfd);
      b.close(lfd);
    }
  }
}
