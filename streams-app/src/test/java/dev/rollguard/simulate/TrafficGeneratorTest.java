package dev.rollguard.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class TrafficGeneratorTest {
  private static final long WINDOW = 60_000;

  private static Scenario.Flag flag(int users, int requestsPerUser, double bias, Scenario.Profile control,
                                    Scenario.Profile treatment) {
    return new Scenario.Flag("new-checkout", "production", 5, true, null, null, users, requestsPerUser, control,
        treatment, List.of(), bias);
  }

  private static Scenario.Profile profile(double error, double median, double p99, double conversion) {
    return new Scenario.Profile(error, median, p99, conversion);
  }

  private static List<TrafficGenerator.Request> window(TrafficGenerator g, int w, int percent) {
    List<TrafficGenerator.Request> out = new ArrayList<>();
    g.generate(w, w * WINDOW, percent, out::add);
    return out;
  }

  @Test
  void drawsDistinctUsersFromAPopulationTenTimesLargerWithTheirRequestsInsideTheWindow() {
    Scenario.Profile p = profile(0.01, 100, 400, 0.05);
    TrafficGenerator g = new TrafficGenerator(flag(1000, 3, 0, p, p), 1, WINDOW);
    Set<String> seen = new HashSet<>();
    for (int w = 0; w < 5; w++) {
      List<TrafficGenerator.Request> requests = window(g, w, 20);
      Map<String, Integer> perUser = new HashMap<>();
      for (TrafficGenerator.Request r : requests) {
        perUser.merge(r.userId(), 1, Integer::sum);
        assertThat(r.timestamp()).isBetween(w * WINDOW, (w + 1) * WINDOW - 1);
        assertThat(r.user()).isBetween(0, 9_999);
      }
      assertThat(perUser).hasSize(1000);
      assertThat(perUser.values()).allMatch(n -> n == 3);
      seen.addAll(perUser.keySet());
    }
    // Five draws of 1,000 from 10,000: about 4,100 distinct users, far more than 1,000 and at most 5,000.
    assertThat(seen.size()).isBetween(3_800, 4_400);
  }

  @Test
  void assignmentIsStickyAndFollowsThePercent() {
    Scenario.Profile p = profile(0.0, 100, 400, 0.0);
    TrafficGenerator g = new TrafficGenerator(flag(20_000, 1, 0, p, p), 3, WINDOW);
    Map<String, Boolean> at10 = new HashMap<>();
    window(g, 0, 10).forEach(r -> at10.put(r.userId(), r.treatment()));
    long treated = at10.values().stream().filter(b -> b).count();
    assertThat(treated / 20_000.0).isCloseTo(0.10, within(0.01));
    for (TrafficGenerator.Request r : window(g, 1, 25)) {
      Boolean before = at10.get(r.userId());
      if (before != null && before) {
        assertThat(r.treatment()).as("a user in at 10%% stays in at 25%%: %s", r.userId()).isTrue();
      }
      assertThat(r.treatment()).isEqualTo(Stickiness.bucket("new-checkout", r.userId()) < 25);
    }
  }

  @Test
  void errorsConversionsAndLatencyFollowEachArmsProfile() {
    Scenario.Profile control = profile(0.01, 120, 450, 0.05);
    Scenario.Profile treatment = profile(0.05, 200, 900, 0.10);
    TrafficGenerator g = new TrafficGenerator(flag(100_000, 2, 0, control, treatment), 11, WINDOW);
    List<TrafficGenerator.Request> requests = window(g, 0, 50);
    long[] n = new long[2];
    long[] errors = new long[2];
    List<List<Double>> latencies = List.of(new ArrayList<>(), new ArrayList<>());
    Map<String, Integer> conversionsPerUser = new HashMap<>();
    Set<String>[] users = new Set[] {new HashSet<>(), new HashSet<>()};
    for (TrafficGenerator.Request r : requests) {
      int arm = r.treatment() ? 1 : 0;
      n[arm]++;
      errors[arm] += r.error() ? 1 : 0;
      latencies.get(arm).add(r.latencyMs());
      users[arm].add(r.userId());
      conversionsPerUser.merge(r.userId(), r.converted() ? 1 : 0, Integer::sum);
    }
    assertThat(conversionsPerUser.values()).allMatch(c -> c <= 1);
    assertThat((double) errors[0] / n[0]).isCloseTo(0.01, within(0.002));
    assertThat((double) errors[1] / n[1]).isCloseTo(0.05, within(0.004));
    for (int arm = 0; arm < 2; arm++) {
      int a = arm;
      long converting = users[arm].stream().filter(u -> conversionsPerUser.get(u) == 1).count();
      double expected = arm == 0 ? 0.05 : 0.10;
      assertThat((double) converting / users[a].size()).as("conversion of arm %d", arm)
          .isCloseTo(expected, within(0.005));
      List<Double> sorted = latencies.get(arm).stream().sorted().toList();
      double median = sorted.get(sorted.size() / 2);
      double p99 = sorted.get((int) (sorted.size() * 0.99));
      assertThat(median).isCloseTo(arm == 0 ? 120 : 200, within(arm == 0 ? 3.0 : 5.0));
      assertThat(p99).isCloseTo(arm == 0 ? 450 : 900, within(arm == 0 ? 20.0 : 40.0));
    }
  }

  @Test
  void assignmentBiasLosesThatShareOfTreatmentUsersOnly() {
    Scenario.Profile p = profile(0.0, 100, 400, 0.0);
    TrafficGenerator g = new TrafficGenerator(flag(50_000, 1, 0.4, p, p), 5, WINDOW);
    List<TrafficGenerator.Request> requests = window(g, 0, 20);
    long treated = requests.stream().filter(TrafficGenerator.Request::treatment).count();
    long control = requests.size() - treated;
    assertThat(control / 50_000.0).isCloseTo(0.80, within(0.01));
    assertThat(treated / 50_000.0).isCloseTo(0.20 * 0.6, within(0.01));
  }

  @Test
  void sameSeedSameTrafficAndEachFlagHasItsOwnStream() {
    Scenario.Profile p = profile(0.02, 100, 400, 0.05);
    List<TrafficGenerator.Request> a = window(new TrafficGenerator(flag(500, 2, 0, p, p), 9, WINDOW), 0, 30);
    List<TrafficGenerator.Request> b = window(new TrafficGenerator(flag(500, 2, 0, p, p), 9, WINDOW), 0, 30);
    List<TrafficGenerator.Request> c = window(new TrafficGenerator(flag(500, 2, 0, p, p), 10, WINDOW), 0, 30);
    assertThat(a).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
    assertThat(TrafficGenerator.seedFor(9, "production/a")).isNotEqualTo(TrafficGenerator.seedFor(9, "production/b"));
  }
}
