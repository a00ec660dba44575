package dev.rosarium.activities.tracking;

/**
 * What a shipping pass did: events that reached the server, events it refused (kept in the
 * outbox's {@code rejected.jsonl}), metric points dropped because the run already had a point at
 * that key and step, events still waiting, and why shipping stopped early ({@code failure}, null
 * when it did not). Segments held by another live process are shipped by that process.
 */
public record SyncReport(int shipped, int rejected, long duplicatePointsDropped, long pending,
                         int segmentsHeldElsewhere, int tornTails, String failure) {
    /** Nothing left to ship and nothing refused in this pass. */
    public boolean complete() {
        return pending == 0 && rejected == 0;
    }
}
