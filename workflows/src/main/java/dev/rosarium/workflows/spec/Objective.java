package dev.rosarium.workflows.spec;

/** The held-out metric a sweep ranks trials by, and whether higher is better. */
public record Objective(String metric, boolean maximize) {
    /** True when {@code a} is strictly better than {@code b}. */
    public boolean better(double a, double b) {
        return maximize ? a > b : a < b;
    }
}
