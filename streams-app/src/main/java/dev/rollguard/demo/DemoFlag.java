package dev.rollguard.demo;

/**
 * One flag of the demo story.
 *
 * @param name the Unleash flag name
 * @param route the request route the flag is served on (each request is exposed to one flag only, so one flag's
 *     regression never leaks into the other's statistics)
 * @param control how users served the flag disabled fare
 * @param treatment how users served the flag enabled fare
 * @param regressed how the treatment fares from {@code regressAfterWindows} on, or null for a healthy flag
 * @param regressAfterWindows windows of traffic after which the treatment regresses
 */
public record DemoFlag(String name, String route, TrafficProfile control, TrafficProfile treatment,
    TrafficProfile regressed, int regressAfterWindows) {

  /** The treatment profile in the {@code window}-th window of traffic (0-based). */
  TrafficProfile treatmentAt(long window) {
    return regressed != null && window >= regressAfterWindows ? regressed : treatment;
  }
}
