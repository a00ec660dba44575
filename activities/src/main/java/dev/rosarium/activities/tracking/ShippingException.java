package dev.rosarium.activities.tracking;

import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowHttpException;

/**
 * Why an event did not reach the server: either the server could not be reached or answered that
 * it cannot take requests now (the event stays in the outbox and is retried), or it refused the
 * event itself (the event goes to {@code rejected.jsonl}; sending it again would fail again).
 */
final class ShippingException extends Exception {
    private final boolean retryable;

    private ShippingException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    static ShippingException unreachable(String message) {
        return new ShippingException(message, true, null);
    }

    static ShippingException rejected(String message) {
        return new ShippingException(message, false, null);
    }

    /** Classifies a failure of MLflow's Java client. */
    static ShippingException of(String what, MlflowClientException ex) {
        if (ex instanceof MlflowHttpException h) {
            String msg = what + ": HTTP " + h.getStatusCode() + " " + h.getBodyMessage();
            return new ShippingException(msg, transientStatus(h.getStatusCode()), ex);
        }
        // Everything else from the client is I/O: refused connections, resets, DNS.
        return new ShippingException(what + ": " + (ex.getCause() != null ? ex.getCause() : ex), true, ex);
    }

    /** Statuses that say "not now" rather than "never": overload, timeouts, gateways, server errors. */
    static boolean transientStatus(int code) {
        return code == 408 || code == 429 || code >= 500;
    }

    boolean retryable() {
        return retryable;
    }
}
