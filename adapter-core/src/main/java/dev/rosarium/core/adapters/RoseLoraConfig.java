package dev.rosarium.core.adapters;

/**
 * RoseLoRA (Wang et al., EMNLP 2024): LoRA whose A keeps a fraction of each row and B of each
 * column, chosen by a sensitivity EMA {@code I = 0.8 I + 0.2 |p * grad|}; the kept fraction falls
 * from 1 to {@code tau} on AdaLoRA's cubic schedule between steps {@code ti} and {@code te}. The
 * authors' code clamps A and B to {@code +-3e-3} once pruning starts; {@code clamp} keeps that.
 */
public record RoseLoraConfig(LoraConfig lora, double tau, long ti, long te, double beta, boolean clamp, double clampValue) {
    public RoseLoraConfig {
        if (!(tau > 0 && tau <= 1) || te < ti || beta < 0 || beta >= 1) {
            throw new IllegalArgumentException("RoseLoRA needs 0 < tau <= 1, ti <= te and 0 <= beta < 1");
        }
    }

    /** The kept fraction at optimizer step {@code it}. */
    public double keepRate(long it) {
        if (it < ti) {
            return 1.0;
        }
        if (it >= te) {
            return tau;
        }
        double f = 1 - (double) (it - ti) / (te - ti);
        return tau + (1 - tau) * f * f * f;
    }
}
