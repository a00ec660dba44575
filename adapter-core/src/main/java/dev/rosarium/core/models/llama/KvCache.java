package dev.rosarium.core.models.llama;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

/**
 * Keys and values of every layer for a batch of sequences, {@code (batch, capacity, kvHeads, headDim)}
 * each, plus which slots hold a real token (written and not padding): attention over the cache
 * masks the rest.
 */
public final class KvCache implements AutoCloseable {
    final Tensor[] keys;
    final Tensor[] values;
    final int batch;
    final int capacity;
    final int[] valid;
    int length;

    KvCache(Backend be, LlamaConfig cfg, int batch, int capacity) {
        this.batch = batch;
        this.capacity = capacity;
        this.keys = new Tensor[cfg.numLayers()];
        this.values = new Tensor[cfg.numLayers()];
        for (int l = 0; l < cfg.numLayers(); l++) {
            keys[l] = be.zeros(DType.F32, batch, capacity, cfg.numKvHeads(), cfg.headDim());
            values[l] = be.zeros(DType.F32, batch, capacity, cfg.numKvHeads(), cfg.headDim());
        }
        this.valid = new int[batch * capacity];
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Cache rows (in the (batch*capacity) view) of positions [length, length+count) for every sequence. */
    int[] rows(int count) {
        int[] rows = new int[batch * count];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < count; t++) {
                rows[b * count + t] = b * capacity + length + t;
            }
        }
        return rows;
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
