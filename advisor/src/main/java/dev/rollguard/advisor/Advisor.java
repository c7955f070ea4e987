package dev.rollguard.advisor;

import java.util.concurrent.CompletableFuture;

/**
 * Asks a model for rollout advice. Implementations never throw for ordinary outcomes and never complete the future
 * exceptionally: every problem is an {@link AdviceResult.Failed}. The decision stage depends on this interface, so
 * tests can substitute a stub.
 */
public interface Advisor extends AutoCloseable {

    /** Starts a call on the advisor's own threads; the caller's thread never waits on the model. */
    CompletableFuture<AdviceResult> advise(AdviceRequest request);

    /** The same call, waited for: for simulate and replay, never for a stream thread. */
    default AdviceResult adviseBlocking(AdviceRequest request) {
        return advise(request).join();
    }

    /** Checks that the server answers and knows the configured model; never throws for that. */
    ModelCheck checkModel();

    @Override
    void close();
}
