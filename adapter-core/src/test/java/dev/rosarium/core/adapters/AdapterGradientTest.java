package dev.rosarium.core.adapters;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every method's adapted layer, forward and backward, against central finite differences: the
 * gradient of {@code L = sum(R ∘ layer(x))} with respect to the input and every trainable tensor
 * of the adapter (RoSA's sparse values through SDDMM, over a dense or an NF4 base). Tolerance as
 * in the op checks (GradCheck): {@code 1e-2 · max(1, |g|)} with h = 1e-2 in float32.
 */
class AdapterGradientTest {
    private static final float H = 1e-2f;
    private final Backend be = CpuBackend.get();
    private final Random rnd = new Random(17);

    @ParameterizedTest
    @ValueSource(strings = {"lora", "rosa", "rosa-spmm", "spa", "qrosa", "subspace"})
    void gradientsMatchFiniteDifferences(String method) {
        Linear base = new Linear("layer", Variable.constant(gaussian(7, 6)), Variable.constant(gaussian(7)));
        LinearAdapter adapter = attach(method, base);
        Variable x = Variable.parameter(gaussian(2, 3, 6));
        List<Variable> checked = new ArrayList<>();
        checked.add(x);
        for (NamedParameter p : adapter.parameters()) {
            checked.add(p.variable());
        }
        float[] r = new float[2 * 3 * 7];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) rnd.nextGaussian();
        }
        Tensor weights = be.fromFloats(r, DType.F32, 2, 3, 7);
        List<float[]> analytic = new ArrayList<>();
        try (Tape t = Tape.training(be)) {
            t.backward(t.sum(t.mul(adapter.forward(t, x, null), t.constant(weights))));
            for (Variable v : checked) {
                analytic.add(v.grad() == null ? new float[v.value().numelInt()] : v.grad().toFloats());
                v.zeroGrad();
            }
        }
        for (int which = 0; which < checked.size(); which++) {
            Variable v = checked.get(which);
            float[] values = v.value().toFloats();
            for (int e = 0; e < values.length; e++) {
                double num = (loss(adapter, x, weights, v, values, e, H) - loss(adapter, x, weights, v, values, e, -H))
                        / (2 * H);
                float ana = analytic.get(which)[e];
                if (Math.abs(num - ana) > 1e-2 * Math.max(1.0, Math.abs(num))) {
                    fail(method + ": gradient of tensor " + which + " element " + e + ": analytic " + ana + ", numeric " + num);
                }
            }
            v.setValue(be.fromFloats(values, DType.F32, v.shape()));
        }
    }

    private double loss(LinearAdapter adapter, Variable x, Tensor weights, Variable v, float[] values, int e, float delta) {
        float[] moved = values.clone();
        moved[e] += delta;
        v.setValue(be.fromFloats(moved, DType.F32, v.shape()));
        try (Tape t = Tape.inference(be)) {
            return t.sum(t.mul(adapter.forward(t, x, null), t.constant(weights))).value().item();
        }
    }

    private LinearAdapter attach(String method, Linear base) {
        TargetModules all = TargetModules.allLinear();
        return switch (method) {
            case "lora" -> withNonZeroB(LoraAdapter.create("layer", base, new LoraConfig(2, 3, 0, all, false, false), 5, 0));
            case "subspace" -> SubspaceAdapter.create("layer", base,
                    new SubspaceConfig(2, all, SubspaceConfig.Sampling.RANDOM, 0), 5, 0);
            default -> {
                if (method.equals("qrosa")) {
                    base.quantize();
                }
                int r = method.equals("spa") ? 0 : 2;
                RosaConfig cfg = new RosaConfig(r, 3, 0, 0.3, all, 0, 1, GradientStatistics.Mode.MEAN_SQUARED,
                        method.equals("rosa-spmm") ? RosaConfig.Impl.SPMM : RosaConfig.Impl.SP_ADD);
                RosaAdapter a = RosaAdapter.create("layer", base, cfg, 5, 0);
                int[] flat = new int[SparseMask.nnzFor(0.3, 7, 6)];
                for (int i = 0; i < flat.length; i++) {
                    flat[i] = i * 3 + (i % 3);
                }
                a.setMask(SparseMask.fromFlatIndices(7, 6, flat));
                a.values().setValue(gaussian(flat.length));
                if (r > 0) {
                    a.b().setValue(gaussian(7, r));
                }
                yield a;
            }
        };
    }

    /** B starts at zero (peft's init), which would hide A's gradient. */
    private LinearAdapter withNonZeroB(LoraAdapter a) {
        a.b().setValue(gaussian(a.b().shape()));
        return a;
    }

    private Tensor gaussian(int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return be.fromFloats(v, DType.F32, shape);
    }
}
