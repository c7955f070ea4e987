package dev.rollguard.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (or SIGTERM) for a long-running command: the JVM's shutdown hook asks the run to stop, then holds the JVM
 * until the run has closed everything (Streams and Connect need that time), at most {@code maxWait}.
 */
final class ShutdownSignal implements AutoCloseable {
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Thread hook;

  private ShutdownSignal(String name, Duration maxWait) {
    hook = new Thread(() -> {
      stop.countDown();
      try {
        finished.await(maxWait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name);
  }

  static ShutdownSignal install(String name, Duration maxWait) {
    ShutdownSignal signal = new ShutdownSignal(name, maxWait);
    Runtime.getRuntime().addShutdownHook(signal.hook);
    return signal;
  }

  /** Counts down when a shutdown was asked for. */
  CountDownLatch stopRequested() {
    return stop;
  }

  /** The run has closed everything: release a waiting hook, or remove the hook if no shutdown is under way. */
  @Override
  public void close() {
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running and returns now.
    }
  }
}
