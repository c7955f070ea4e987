package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code rollguard demo} in this JVM, faster paced (5 s windows): the whole loop with the in-process flag store, the
 * real Connect plugin and the real stages. It must print decisions, raise the healthy flag in the flag store through
 * the applier, return 0, and leave no non-daemon thread behind.
 */
class DemoIT {
  private static final Pattern FINAL = Pattern.compile("final  new-checkout  production  on, rollout (\\d+)%");

  @Test
  void theDemoClosesTheLoopAndStopsCleanly() throws InterruptedException {
    Set<Thread> before = nonDaemonThreads();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    DemoCommand demo = new DemoCommand();
    // No UNLEASH_URL, no LOCALAI_URL: the in-process flag store and the rules alone.
    demo.environmentVariables = Map.of();
    CommandLine cmd = new CommandLine(demo);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));

    long started = System.nanoTime();
    int exit = cmd.execute("--duration", "70s", "--window", "5s", "--grace", "1s", "--users", "2000",
        "--regress-after", "4");
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    String printed = out.toString();
    String progress = err.toString();
    System.out.println(printed);
    System.out.println(progress);
    assertThat(exit).as("exit code; progress:%n%s", progress).isZero();
    assertThat(took).isLessThan(Duration.ofMinutes(2));
    assertThat(progress).contains("every run starts clean").contains("in-process flag store")
        .contains("advisor: off").contains("first decision");
    assertThat(printed).as("a decision line").containsPattern(
        "\\d\\d:\\d\\d:\\d\\d  (new-checkout|search-ranking-v2)  production  (HOLD|INCREASE|ROLLBACK|KILL) .*\\(RULES\\)");
    assertThat(printed).as("the applier raised new-checkout").containsPattern(
        "new-checkout  production  applier: applied: rollout 10% -> 25%");
    Matcher finalRollout = FINAL.matcher(printed);
    assertThat(finalRollout.find()).as("the final rollout read from the flag store").isTrue();
    assertThat(Integer.parseInt(finalRollout.group(1))).isGreaterThan(10);

    // Connect's Jetty, Streams and the broker must all be gone: a leftover non-daemon thread keeps a JVM alive.
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    Set<Thread> left = leftovers(before);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200);
      left = leftovers(before);
    }
    assertThat(left.stream().map(Thread::getName).toList()).as("non-daemon threads left behind").isEmpty();
  }

  private static Set<Thread> leftovers(Set<Thread> before) {
    Set<Thread> now = nonDaemonThreads();
    now.removeAll(before);
    return now;
  }

  private static Set<Thread> nonDaemonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !t.isDaemon())
        .collect(Collectors.toSet());
  }
}
