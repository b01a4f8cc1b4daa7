package dev.socketlab.client;

import java.io.IOException;

/** A syscall of the emulated kernel failed with a Linux errno (the reply's error_number / error_name). */
public class ErrnoException extends IOException {
  public static final int EAGAIN = 11;
  public static final int ENOENT = 2;
  public static final int EADDRINUSE = 98;
  public static final int ECONNREFUSED = 111;

  private final int errno;
  private final String name;

  public ErrnoException(String op, int errno, String name) {
    super(op + ": [" + name + "] errno " + errno);
    this.errno = errno;
    this.name = name;
  }

  /** The Linux errno number (e.g. 111). */
  public int errno() {
    return errno;
  }

  /** The errno's symbolic name (e.g. "ECONNREFUSED"). */
  public String name() {
    return name;
  }
}
