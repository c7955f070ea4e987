package dev.rollguard.advisor;

import java.util.List;
import java.util.Objects;

/**
 * What {@code GET /v1/models} said about the configured model at startup.
 *
 * @param available the model ids the server listed (empty when it could not be asked)
 */
public record ModelCheck(Status status, String model, String message, List<String> available) {

    public enum Status {
        /** The server lists the model. */
        AVAILABLE,
        /** The server answers but does not list the model. */
        MISSING,
        /** Connection refused, timeout, DNS. */
        UNREACHABLE,
        /** 401 or 403: the API key is missing or wrong. */
        UNAUTHORIZED,
        /** Another status, or a body that is not a model list. */
        ERROR,
        /** The advisor is configured off; nothing was asked. */
        DISABLED
    }

    public ModelCheck {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(message, "message");
        model = model == null ? "" : model;
        available = List.copyOf(available);
    }

    public boolean ok() {
        return status == Status.AVAILABLE;
    }
}
