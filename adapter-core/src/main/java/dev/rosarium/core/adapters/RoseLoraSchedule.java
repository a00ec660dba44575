package dev.rosarium.core.adapters;

import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.StepHook;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RoseLoRA's per-step procedure on a set of LoRA adapters, as the official code orders it: after
 * the backward, update the sensitivity EMA of every A and B entry; after the optimizer step, when
 * the keep-rate is below 1, zero in each column of B and each row of A the entries whose sensitivity
 * is strictly below the k-th smallest ({@code k = int(len * (1 - rate))}, so {@code len - k + 1}
 * survive absent ties), then clamp.
 */
public final class RoseLoraSchedule implements StepHook {
    private final AdapterSet adapters;
    private final RoseLoraConfig cfg;
    private final Map<Variable, float[]> importance = new LinkedHashMap<>();

    public RoseLoraSchedule(AdapterSet adapters, RoseLoraConfig cfg) {
        this.adapters = adapters;
        this.cfg = cfg;
    }

    @Override
    public void beforeOptimizerStep(long step) {
        for (LinearAdapter la : adapters.adapters().values()) {
            LoraAdapter a = (LoraAdapter) la;
            for (Variable p : new Variable[] {a.a(), a.b()}) {
                if (p.grad() == null) {
                    continue;
                }
                float[] v = p.value().toFloats();
                float[] g = p.grad().toFloats();
                float[] ema = importance.get(p);
                boolean first = ema == null;
                if (first) {
                    ema = new float[v.length];
                    importance.put(p, ema);
                }
                float beta = (float) cfg.beta();
                for (int i = 0; i < v.length; i++) {
                    float s = Math.abs(v[i] * g[i]);
                    ema[i] = first ? s : beta * ema[i] + (1 - beta) * s;
                }
            }
        }
    }

    @Override
    public void afterStep(long step) {
        double rate = cfg.keepRate(step);
        if (rate >= 1) {
            return;
        }
        for (LinearAdapter la : adapters.adapters().values()) {
            LoraAdapter a = (LoraAdapter) la;
            prune(a.b(), false, rate);
            prune(a.a(), true, rate);
        }
    }

    /** Prunes rows ({@code byRow}) or columns of a matrix parameter by its importance, then clamps. */
    private void prune(Variable p, boolean byRow, double rate) {
        float[] ema = importance.get(p);
        Tensor t = p.value();
        int rows = t.dim(0);
        int cols = t.dim(1);
        float[] v = t.toFloats();
        int lines = byRow ? rows : cols;
        int len = byRow ? cols : rows;
        int k = (int) (len * (1 - rate));
        if (ema != null && k >= 1) {
            float[] line = new float[len];
            for (int l = 0; l < lines; l++) {
                for (int e = 0; e < len; e++) {
                    line[e] = ema[byRow ? l * cols + e : e * cols + l];
                }
                float[] sorted = line.clone();
                Arrays.sort(sorted);
                float thr = sorted[k - 1]; // torch.kthvalue: the k-th smallest, 1-based
                for (int e = 0; e < len; e++) {
                    if (line[e] < thr) {
                        v[byRow ? l * cols + e : e * cols + l] = 0f;
                    }
                }
            }
        }
        if (cfg.clamp()) {
            float c = (float) cfg.clampValue();
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.max(-c, Math.min(c, v[i]));
            }
        }
        Backend be = t.backend();
        be.copy(be.fromFloats(v, t.dtype(), t.shape()), t);
    }
}
