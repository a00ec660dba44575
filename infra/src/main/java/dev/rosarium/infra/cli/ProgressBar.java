package dev.rosarium.infra.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line terminal progress bar with rate and ETA, redrawn at most a few times a second. */
public final class ProgressBar {
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw;

    public ProgressBar(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    public void update(long done, String extra) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 200_000_000L) {
            return;
        }
        lastDraw = now;
        double secs = (now - start) / 1e9;
        double rate = done / Math.max(secs, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : Double.NaN;
        int width = 30;
        int filled = (int) (width * done / Math.max(1, total));
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        out.printf(Locale.ROOT, "\r%s [%s] %d/%d %.2f it/s ETA %s %s", label, bar, done, total, rate, clock(eta), extra);
        if (done >= total) {
            out.printf(Locale.ROOT, " (%s)%n", clock(secs));
        }
        out.flush();
    }

    static String clock(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
