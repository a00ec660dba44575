package dev.rosarium.core.train;

/**
 * An endless, deterministic stream of batches whose position can be saved and restored, so a
 * resumed run sees exactly the batches an uninterrupted one would.
 */
public interface DataSource<B> {
    B next();

    /** Number of batches handed out so far. */
    long position();

    /** Continues as if {@code position} batches had been handed out. */
    void seek(long position);
}
