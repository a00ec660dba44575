package dev.rosarium.core.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Batches of {@code rows}, reshuffled every epoch from (seed, epoch) and collated as drawn; the
 * position is the number of batches drawn, so a resumed run draws the same batches.
 */
public final class ShuffledBatches<R, B> implements DataSource<B> {
    private final List<R> rows;
    private final int batchSize;
    private final long seed;
    private final Function<List<R>, B> collate;
    private final int perEpoch;
    private long position;
    private long epochShuffled = -1;
    private List<R> order;

    public ShuffledBatches(List<R> rows, int batchSize, long seed, Function<List<R>, B> collate) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no training rows");
        }
        this.rows = rows;
        this.batchSize = batchSize;
        this.seed = seed;
        this.collate = collate;
        this.perEpoch = (rows.size() + batchSize - 1) / batchSize;
    }

    @Override
    public B next() {
        long epoch = position / perEpoch;
        int index = (int) (position % perEpoch);
        if (epoch != epochShuffled) {
            order = new ArrayList<>(rows);
            Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
            epochShuffled = epoch;
        }
        position++;
        return collate.apply(order.subList(index * batchSize, Math.min(order.size(), (index + 1) * batchSize)));
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public void seek(long p) {
        position = p;
    }
}
