package dev.rosarium.core.autograd;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Finite-difference gradient check in float32.
 *
 * <p>The scalar checked is {@code L = sum(f(x) * R)} with a fixed random R, so every output element
 * contributes with a distinct weight. Central differences with step {@code h = 1e-2}: truncation
 * error is O(h^2 f''') ~ 1e-4 and float32 rounding of L is ~ eps32 * |L| / h ~ 1e-4 for |L| ~ 10,
 * so analytic and numeric gradients must agree to {@code 1e-2 * max(1, |g|)}.
 */
public final class GradCheck {
    static final float H = 1e-2f;
    static final float TOL = 1e-2f;

    private GradCheck() {
    }

    /** Input data for one variable. */
    public record Input(float[] data, int[] shape) {
        static Input random(Random rnd, int... shape) {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            return new Input(x, shape);
        }
    }

    public static void check(Backend be, List<Input> inputs, BiFunction<Tape, List<Variable>, Variable> f, long seed) {
        Random rnd = new Random(seed);
        // analytic
        float[] weights;
        List<float[]> analytic = new ArrayList<>();
        try (Tape tape = Tape.training(be)) {
            List<Variable> vars = leaves(be, inputs, -1, -1, 0f);
            Variable out = f.apply(tape, vars);
            int n = out.value().numelInt();
            weights = new float[n];
            for (int i = 0; i < n; i++) {
                weights[i] = (float) rnd.nextGaussian();
            }
            Variable loss = weighted(tape, out, weights, be);
            tape.backward(loss);
            for (Variable v : vars) {
                analytic.add(v.grad() == null ? new float[v.value().numelInt()] : v.grad().toFloats());
            }
        }
        for (int which = 0; which < inputs.size(); which++) {
            float[] ana = analytic.get(which);
            for (int e = 0; e < inputs.get(which).data().length; e++) {
                double plus = evaluate(be, inputs, f, weights, which, e, H);
                double minus = evaluate(be, inputs, f, weights, which, e, -H);
                double num = (plus - minus) / (2 * H);
                double err = Math.abs(num - ana[e]);
                if (err > TOL * Math.max(1.0, Math.abs(num))) {
                    fail("gradient of input " + which + " element " + e + ": analytic " + ana[e] + " numeric " + num);
                }
            }
        }
    }

    private static double evaluate(Backend be, List<Input> inputs, BiFunction<Tape, List<Variable>, Variable> f,
                                   float[] weights, int which, int element, float delta) {
        try (Tape tape = Tape.inference(be)) {
            Variable out = f.apply(tape, leaves(be, inputs, which, element, delta));
            float[] o = out.value().toFloats();
            double s = 0;
            for (int i = 0; i < o.length; i++) {
                s += (double) o[i] * weights[i];
            }
            return s;
        }
    }

    private static List<Variable> leaves(Backend be, List<Input> inputs, int which, int element, float delta) {
        List<Variable> vars = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            float[] d = inputs.get(i).data().clone();
            if (i == which) {
                d[element] += delta;
            }
            vars.add(Variable.parameter(be.fromFloats(d, DType.F32, inputs.get(i).shape())));
        }
        return vars;
    }

    private static Variable weighted(Tape tape, Variable out, float[] weights, Backend be) {
        Tensor w = be.fromFloats(weights, DType.F32, out.shape());
        return tape.sum(tape.mul(out, tape.constant(w)));
    }
}
