package dev.rollguard.cli;

import dev.rollguard.dev.EmbeddedKafka;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/** {@code rollguard demo}: the main job on embedded services, with no external service needed. */
@Command(name = "demo", description = "Run Rollguard on an embedded Kafka broker and schema registry.")
final class DemoCommand implements Callable<Integer> {

  @Override
  public Integer call() throws InterruptedException {
    System.err.println("Starting an embedded Kafka broker (KRaft, in this process)...");
    CountDownLatch stop = new CountDownLatch(1);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      System.err.println("Embedded Kafka ready at " + kafka.bootstrapServers() + ".");
      System.err.println("The analysis stages are not wired into the demo yet: only the embedded services run."
          + " Press Ctrl-C to stop.");
      stop.await();
    }
    return 0;
  }
}
