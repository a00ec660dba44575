package dev.rosarium.core.tasks;

/** Classification metrics. */
public final class Metrics {
    private Metrics() {
    }

    public static double accuracy(int[] predicted, int[] labels) {
        check(predicted, labels);
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == labels[i]) {
                right++;
            }
        }
        return labels.length == 0 ? 0 : (double) right / labels.length;
    }

    /** F1 of the positive class (label 1), 0 when nothing is predicted or present positive. */
    public static double binaryF1(int[] predicted, int[] labels) {
        check(predicted, labels);
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == 1 && labels[i] == 1) {
                tp++;
            } else if (predicted[i] == 1) {
                fp++;
            } else if (labels[i] == 1) {
                fn++;
            }
        }
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    private static void check(int[] predicted, int[] labels) {
        if (predicted.length != labels.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + labels.length + " labels");
        }
    }
}
