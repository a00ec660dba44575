package dev.rosarium.core.tasks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which rows of a split a run uses: a seeded random subset of the training rows and the first rows
 * of the held-out split. Every consumer selects through here so that a recipe reading the data
 * directly and one reading prepared shards see the same rows for the same seed.
 */
public final class RowSelection {
    private RowSelection() {
    }

    /** {@code n} training rows shuffled by {@code seed}, or all of them in file order when {@code n < 0} or {@code n >= size}. */
    public static <T> List<T> train(List<T> all, int n, long seed) {
        if (n < 0 || n >= all.size()) {
            return all;
        }
        List<T> copy = new ArrayList<>(all);
        Collections.shuffle(copy, new Random(seed));
        return copy.subList(0, n);
    }

    /** The first {@code n} held-out rows, or all of them when {@code n < 0}. */
    public static <T> List<T> eval(List<T> all, int n) {
        return n >= 0 && n < all.size() ? all.subList(0, n) : all;
    }
}
