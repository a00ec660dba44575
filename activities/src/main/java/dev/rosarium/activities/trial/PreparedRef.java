package dev.rosarium.activities.trial;

/** Prepared token shards: their directory and content hash. */
public record PreparedRef(String directory, String contentHash) {
}
