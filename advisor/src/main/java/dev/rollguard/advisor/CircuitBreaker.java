package dev.rollguard.advisor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closed, then open after {@code failureThreshold} consecutive failures, then half-open after
 * {@code openDuration} (one probe call), then closed again on the probe's success or open again on its failure.
 * The clock is injected so tests advance time instead of sleeping.
 */
public final class CircuitBreaker {

    private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int failureThreshold;
    private final Duration openDuration;
    private final Clock clock;

    private State state = State.CLOSED;
    private int consecutiveFailures;
    private Instant openedAt;
    private boolean probeInFlight;

    public CircuitBreaker(int failureThreshold, Duration openDuration, Clock clock) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be >= 1");
        }
        this.failureThreshold = failureThreshold;
        this.openDuration = Objects.requireNonNull(openDuration, "openDuration");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Asks to make a call. True means the caller must later report exactly one of {@link #onSuccess()},
     * {@link #onFailure()} or {@link #cancel()}.
     */
    public synchronized boolean tryAcquire() {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (clock.instant().isBefore(openedAt.plus(openDuration))) {
                    return false;
                }
                state = State.HALF_OPEN;
                probeInFlight = true;
                log.info("advisor circuit half-open: one probe call allowed");
                return true;
            case HALF_OPEN:
            default:
                if (probeInFlight) {
                    return false;
                }
                probeInFlight = true;
                return true;
        }
    }

    public synchronized void onSuccess() {
        if (state != State.CLOSED) {
            log.info("advisor circuit closed: the server answered again");
        }
        state = State.CLOSED;
        consecutiveFailures = 0;
        probeInFlight = false;
        openedAt = null;
    }

    public synchronized void onFailure() {
        consecutiveFailures++;
        if (state == State.HALF_OPEN || consecutiveFailures >= failureThreshold) {
            if (state != State.OPEN) {
                log.atWarn()
                        .addKeyValue("consecutiveFailures", consecutiveFailures)
                        .addKeyValue("openFor", openDuration)
                        .log("advisor circuit opened: calls fail fast until the open duration has passed");
            }
            state = State.OPEN;
            openedAt = clock.instant();
        }
        probeInFlight = false;
    }

    /** The acquired call was never made (e.g. the executor refused it): frees the probe slot, changes nothing else. */
    public synchronized void cancel() {
        probeInFlight = false;
    }

    /** The state as a caller would see it now: an open circuit whose time is up reports HALF_OPEN. */
    public synchronized State state() {
        if (state == State.OPEN && !clock.instant().isBefore(openedAt.plus(openDuration))) {
            return State.HALF_OPEN;
        }
        return state;
    }

    public synchronized int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Time until an open circuit allows a probe; zero when not open. */
    public synchronized Duration retryAfter() {
        if (state != State.OPEN) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(clock.instant(), openedAt.plus(openDuration));
        return left.isNegative() ? Duration.ZERO : left;
    }
}
