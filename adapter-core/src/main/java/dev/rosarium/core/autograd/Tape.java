package dev.rosarium.core.autograd;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.Backend.AttentionGrads;
import dev.rosarium.core.tensor.Backend.AttentionResult;
import dev.rosarium.core.tensor.Backend.CrossEntropyResult;
import dev.rosarium.core.tensor.Backend.NormGrads;
import dev.rosarium.core.tensor.Backend.NormResult;
import dev.rosarium.core.tensor.BinaryOp;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Shapes;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Reverse-mode autograd over one forward pass. Each op computes its value on the backend and, when
 * any input needs a gradient, records a backward closure; {@link #backward} replays them in reverse
 * order. Backward closures compute only the gradients their inputs need, so a frozen base weight
 * never gets a dW. Closing the tape releases every intermediate it made (values and gradients);
 * leaves keep their accumulated gradients.
 */
public final class Tape implements AutoCloseable {
    private final Backend backend;
    private final boolean recording;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Tensor> owned = new ArrayList<>();
    private final List<Variable> intermediates = new ArrayList<>();
    /** Weights held from a forward product for the backward one, released at close if still held. */
    private final List<Runnable> releases = new ArrayList<>();

    /** One recorded op: its output and how to push the output's gradient to its inputs. */
    private record Node(Variable output, Runnable backward) {
    }

    private Tape(Backend backend, boolean recording) {
        this.backend = backend;
        this.recording = recording;
    }

    /** A tape that records gradients. */
    public static Tape training(Backend backend) {
        return new Tape(backend, true);
    }

    /** A tape that records nothing: forward only, intermediates still released on close. */
    public static Tape inference(Backend backend) {
        return new Tape(backend, false);
    }

    public Backend backend() {
        return backend;
    }

    // ---- bookkeeping --------------------------------------------------------------------------

    private boolean needs(Variable... inputs) {
        if (!recording) {
            return false;
        }
        for (Variable v : inputs) {
            if (v != null && v.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    private Variable result(Tensor value, boolean requiresGrad) {
        Variable v = new Variable(value, requiresGrad);
        intermediates.add(v);
        return v;
    }

    /** Keeps a tensor alive until the tape closes (statistics saved for a backward). */
    private Tensor keep(Tensor t) {
        if (t != null) {
            owned.add(t);
        }
        return t;
    }

    private Variable record(Tensor value, Runnable backward, Variable... inputs) {
        boolean grad = needs(inputs);
        Variable out = result(value, grad);
        if (grad) {
            nodes.add(new Node(out, backward));
        }
        return out;
    }

    /** Where a custom op's backward sends the gradient of each of its inputs. */
    @FunctionalInterface
    public interface Grads {
        /** Adds {@code g} (ownership passes) to the gradient of {@code input}, if it takes one. */
        void push(Variable input, Tensor g);
    }

    /** The backward of a custom op: from the gradient of its output to those of its inputs. */
    @FunctionalInterface
    public interface Backward {
        void run(Tensor gradOut, Grads grads);
    }

    /**
     * Records an op computed outside the tape (a fused adapter kernel, a statistics hook): its
     * value, and a backward that runs only if some input needs a gradient.
     */
    public Variable custom(Tensor value, Backward backward, Variable... inputs) {
        Variable[] holder = new Variable[1];
        holder[0] = record(value, () -> backward.run(holder[0].grad(), Tape::push), inputs);
        return holder[0];
    }

    /**
     * Activation checkpointing: runs {@code block} on {@code x} keeping none of its intermediates, and
     * runs it again in the backward pass to compute the gradients of {@code x} and of every
     * parameter the block reads. The block must compute the same function both times; dropout draws
     * are keyed by (seed, step, site), so they repeat. Costs one more forward of the block.
     */
    public Variable checkpoint(Variable x, BiFunction<Tape, Variable, Variable> block) {
        if (!recording) {
            return block.apply(this, x);
        }
        Tensor out;
        try (Tape forward = Tape.inference(backend)) {
            Variable y = block.apply(forward, x);
            out = forward.intermediates.remove(y) ? y.value() : backend.duplicate(y.value());
        }
        // the block's parameters are not known before it runs again, so the node always records
        Variable result = result(out, true);
        nodes.add(new Node(result, () -> {
            try (Tape again = Tape.training(backend)) {
                Variable input = new Variable(x.value(), x.requiresGrad());
                Variable y = block.apply(again, input);
                if (y.requiresGrad()) {
                    y.accumulate(result.takeGrad());
                    again.replay();
                }
                if (x.requiresGrad() && input.grad() != null) {
                    push(x, input.takeGrad());
                }
            }
        }));
        return result;
    }

    /**
     * An identity on {@code y} whose backward first shows the gradient to {@code observe} (which
     * may push gradients to {@code observed}, e.g. a sparse weight's SDDMM) and then hands that
     * same gradient on to {@code y} without copying it.
     */
    public Variable tap(Variable y, Backward observe, Variable... observed) {
        Variable[] inputs = new Variable[observed.length + 1];
        inputs[0] = y;
        System.arraycopy(observed, 0, inputs, 1, observed.length);
        Variable[] holder = new Variable[1];
        holder[0] = record(y.value().reshape(y.shape()), () -> {
            observe.run(holder[0].grad(), Tape::push);
            push(y, holder[0].takeGrad());
        }, inputs);
        return holder[0];
    }

    /** Keeps a tensor alive until the tape closes and then releases it. */
    public Tensor track(Tensor t) {
        return keep(t);
    }

    /** Wraps a tensor the caller owns as a constant of this graph. */
    public Variable constant(Tensor t) {
        return Variable.constant(t);
    }

    private static void push(Variable v, Tensor g) {
        if (v.requiresGrad()) {
            v.accumulate(g);
        } else {
            g.close();
        }
    }

    /** Gradient of a broadcast right operand: sum over the leading dimensions it was broadcast along. */
    private Tensor reduceTo(Tensor g, Variable target) {
        if (g.numel() == target.value().numel()) {
            return g;
        }
        Tensor r = backend.sumToTrailing(g, target.shape());
        g.close();
        return r;
    }

    // ---- ops ----------------------------------------------------------------------------------

    /**
     * {@code x @ op(w)} for {@code x (..., K)} and a matrix {@code w}, {@code (N, K)} when
     * {@code transW} (the nn.Linear layout) or {@code (K, N)}; output {@code (..., N)}.
     */
    public Variable matmul(Variable x, Variable w, boolean transW) {
        Tensor xv = x.value();
        Tensor wv = w.value();
        Tensor out = product(xv, wv, transW);
        int k = xv.dim(-1);
        int rows = xv.numelInt() / k;
        int n = out.dim(-1);
        Tensor x2 = xv.reshape(rows, k);
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> {
            Tensor dy = holder[0].grad().reshape(rows, n);
            if (x.requiresGrad()) {
                push(x, inputGradient(dy, xv, wv, transW));
            }
            if (w.requiresGrad()) {
                Tensor dw = backend.empty(wv.dtype(), wv.shape());
                if (transW) {
                    backend.gemm(dy, true, x2, false, dw, 1f, 0f);
                } else {
                    backend.gemm(x2, true, dy, false, dw, 1f, 0f);
                }
                push(w, dw);
            }
        }, x, w);
        return holder[0];
    }

    /**
     * {@code x W^T + s (in A^T) B^T} as one node: a linear layer with a low-rank update (LoRA), where
     * {@code in} is {@code x} or a dropout of it. The low-rank product accumulates into the base
     * product's output (GEMM with beta = 1), so neither the update nor its scaled copy is ever
     * materialized, and only the rank-r {@code in A^T} is kept for the backward.
     */
    public Variable lowRankLinear(Variable x, Variable w, Variable in, Variable a, Variable b, float s) {
        return lowRank(x, new TransientWeight() {
            @Override
            public Tensor acquire() {
                return w.value();
            }

            @Override
            public void release(Tensor weight) {
            }
        }, w, in, a, b, s);
    }

    /**
     * A frozen weight that exists in its used form only while a product reads it: {@code W + S}
     * applied in place for RoSA, a dequantized base. Every acquire is followed by one release.
     */
    public interface TransientWeight {
        Tensor acquire();

        void release(Tensor weight);

        /**
         * Whether holding the weight costs no memory (RoSA's {@code W + S} applied in place), so a
         * training tape keeps it from the forward product to the backward one instead of releasing
         * and acquiring it again in between; a dequantized copy is not held.
         */
        default boolean holdIsFree() {
            return false;
        }
    }

    /**
     * The weight for a forward product whose backward reads it again: on a training tape a weight
     * whose {@link TransientWeight#holdIsFree hold is free} stays acquired, handed over by
     * {@link Held#take} to the backward (or released when the tape closes, if the backward never
     * runs); otherwise it is released now and acquired again by the backward.
     */
    private final class Held {
        private final TransientWeight weight;
        private Tensor held;

        Held(TransientWeight weight, Tensor acquired, boolean backwardReadsIt) {
            this.weight = weight;
            if (recording && backwardReadsIt && weight.holdIsFree()) {
                held = acquired;
                releases.add(this::releaseIfHeld);
            } else {
                weight.release(acquired);
            }
        }

        /** The weight for the backward product; the caller releases it after. */
        Tensor take() {
            Tensor w = held != null ? held : weight.acquire();
            held = null;
            return w;
        }

        private void releaseIfHeld() {
            if (held != null) {
                weight.release(held);
                held = null;
            }
        }
    }

    /**
     * {@link #lowRankLinear} with a transient frozen weight, acquired for the forward product and
     * for the backward's and released after each (or held in between, where that is free), so no
     * step keeps a dequantized copy alive in between.
     */
    public Variable lowRankLinear(Variable x, TransientWeight weight, Variable in, Variable a, Variable b, float s) {
        return lowRank(x, weight, null, in, a, b, s);
    }

    private Variable lowRank(Variable x, TransientWeight weight, Variable w, Variable in, Variable a, Variable b,
                             float s) {
        Tensor xv = x.value();
        int k = xv.dim(-1);
        int rows = xv.numelInt() / k;
        int r = a.value().dim(0);
        int n = b.value().dim(0);
        Tensor wf = weight.acquire();
        Tensor out;
        Tensor h;
        Tensor x2 = xv.reshape(rows, k);
        Tensor in2 = in.value().reshape(rows, k);
        try {
            if (wf.rank() != 2 || wf.dim(0) != n || wf.dim(1) != k || a.value().dim(1) != k || b.value().dim(1) != r
                    || in.value().numel() != xv.numel()) {
                throw new IllegalArgumentException("lowRankLinear: x " + xv + ", W " + wf + ", A " + a.value() + ", B "
                        + b.value() + " do not form a linear layer with a rank-" + r + " update");
            }
            int[] outShape = xv.shape();
            outShape[outShape.length - 1] = n;
            out = backend.empty(xv.dtype(), outShape);
            Tensor out2 = out.reshape(rows, n);
            // the thin update is written first and the base product adds onto it (beta = 1): reading C
            // hides under a compute-bound GEMM, where a thin GEMM adding onto the base would pay it
            h = keep(backend.empty(xv.dtype(), rows, r));
            backend.gemm(in2, false, a.value(), true, h, 1f, 0f);
            backend.gemm(h, false, b.value(), true, out2, s, 0f);
            backend.gemm(x2, false, wf, true, out2, 1f, 1f);
        } catch (RuntimeException e) {
            weight.release(wf);
            throw e;
        }
        Held held = new Held(weight, wf, x.requiresGrad());
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> {
            Tensor dy = holder[0].grad().reshape(rows, n);
            Tensor dx = x.requiresGrad() ? backend.empty(xv.dtype(), xv.shape()) : null;
            float dxBeta = 0f;
            try (Tensor g = backend.empty(xv.dtype(), rows, r)) {
                backend.gemm(dy, false, b.value(), false, g, 1f, 0f);
                if (in.requiresGrad()) {
                    if (in == x) {
                        backend.gemm(g, false, a.value(), false, dx.reshape(rows, k), s, 0f);
                        dxBeta = 1f;
                    } else {
                        Tensor din = backend.empty(xv.dtype(), xv.shape());
                        backend.gemm(g, false, a.value(), false, din.reshape(rows, k), s, 0f);
                        push(in, din);
                    }
                }
                if (a.requiresGrad()) {
                    Tensor da = backend.empty(a.value().dtype(), a.shape());
                    backend.gemm(g, true, in2, false, da, s, 0f);
                    push(a, da);
                }
            }
            if (dx != null) {
                Tensor wb = held.take();
                try {
                    backend.gemm(dy, false, wb, false, dx.reshape(rows, k), 1f, dxBeta);
                } finally {
                    weight.release(wb);
                }
                push(x, dx);
            }
            if (b.requiresGrad()) {
                Tensor db = backend.empty(b.value().dtype(), b.shape());
                backend.gemm(dy, true, h, false, db, s, 0f);
                push(b, db);
            }
            if (w != null && w.requiresGrad()) {
                Tensor dw = backend.empty(w.value().dtype(), w.shape());
                backend.gemm(dy, true, x2, false, dw, 1f, 0f);
                push(w, dw);
            }
        }, w == null ? new Variable[] {x, in, a, b} : new Variable[] {x, w, in, a, b});
        return holder[0];
    }

    /**
     * {@code x W^T} for a frozen {@code W} in the form {@code weight} gives it, acquired for the forward
     * product and again for the backward one and released after each: a 4-bit base is dequantized
     * twice rather than kept dense between the passes, RoSA's {@code W + S} exists only around a product.
     */
    public Variable matmul(Variable x, TransientWeight weight) {
        Tensor xv = x.value();
        Tensor w = weight.acquire();
        Tensor out;
        try {
            out = product(xv, w, true);
        } catch (RuntimeException e) {
            weight.release(w);
            throw e;
        }
        Held held = new Held(weight, w, x.requiresGrad());
        int rows = xv.numelInt() / xv.dim(-1);
        int n = out.dim(-1);
        return custom(out, (dO, grads) -> {
            if (x.requiresGrad()) {
                Tensor wb = held.take();
                try {
                    grads.push(x, inputGradient(dO.reshape(rows, n), xv, wb, true));
                } finally {
                    weight.release(wb);
                }
            }
        }, x);
    }

    private Tensor product(Tensor xv, Tensor wv, boolean transW) {
        int k = xv.dim(-1);
        int rows = xv.numelInt() / k;
        int n = transW ? wv.dim(0) : wv.dim(1);
        int wk = transW ? wv.dim(1) : wv.dim(0);
        if (wv.rank() != 2 || wk != k) {
            throw new IllegalArgumentException("matmul: x " + xv + " does not match weight " + wv
                    + (transW ? " (transposed)" : ""));
        }
        int[] outShape = xv.shape();
        outShape[outShape.length - 1] = n;
        Tensor out = backend.empty(xv.dtype(), outShape);
        backend.gemm(xv.reshape(rows, k), false, wv, transW, out.reshape(rows, n), 1f, 0f);
        return out;
    }

    private Tensor inputGradient(Tensor dy, Tensor xv, Tensor wv, boolean transW) {
        int k = xv.dim(-1);
        Tensor dx = backend.empty(xv.dtype(), xv.shape());
        backend.gemm(dy, false, wv, !transW, dx.reshape(xv.numelInt() / k, k), 1f, 0f);
        return dx;
    }

    /** Elementwise {@code a op b}; {@code b} may be a trailing-shape broadcast (bias, per-channel scale). */
    public Variable binary(BinaryOp op, Variable a, Variable b) {
        Tensor out = backend.binary(op, a.value(), b.value());
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> {
            Tensor dy = holder[0].grad();
            switch (op) {
                case ADD:
                    if (a.requiresGrad()) {
                        push(a, backend.duplicate(dy));
                    }
                    if (b.requiresGrad()) {
                        push(b, reduceTo(backend.duplicate(dy), b));
                    }
                    break;
                case SUB:
                    if (a.requiresGrad()) {
                        push(a, backend.duplicate(dy));
                    }
                    if (b.requiresGrad()) {
                        push(b, reduceTo(backend.scale(dy, -1f), b));
                    }
                    break;
                case MUL:
                    if (a.requiresGrad()) {
                        push(a, backend.binary(BinaryOp.MUL, dy, b.value()));
                    }
                    if (b.requiresGrad()) {
                        push(b, reduceTo(backend.binary(BinaryOp.MUL, dy, a.value()), b));
                    }
                    break;
                default:
                    if (a.requiresGrad()) {
                        push(a, backend.binary(BinaryOp.DIV, dy, b.value()));
                    }
                    if (b.requiresGrad()) {
                        // d(a/b)/db = -out / b
                        try (Tensor q = backend.binary(BinaryOp.DIV, holder[0].value(), b.value());
                             Tensor t = backend.binary(BinaryOp.MUL, dy, q)) {
                            push(b, reduceTo(backend.scale(t, -1f), b));
                        }
                    }
            }
        }, a, b);
        return holder[0];
    }

    public Variable add(Variable a, Variable b) {
        return binary(BinaryOp.ADD, a, b);
    }

    public Variable sub(Variable a, Variable b) {
        return binary(BinaryOp.SUB, a, b);
    }

    public Variable mul(Variable a, Variable b) {
        return binary(BinaryOp.MUL, a, b);
    }

    public Variable scale(Variable a, float s) {
        Tensor out = backend.scale(a.value(), s);
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> push(a, backend.scale(holder[0].grad(), s)), a);
        return holder[0];
    }

    public Variable unary(UnaryOp op, Variable x) {
        Tensor out = backend.unary(op, x.value());
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> push(x, backend.unaryBackward(op, x.value(), holder[0].grad())), x);
        return holder[0];
    }

    public Variable softmax(Variable x) {
        Tensor out = backend.softmax(x.value());
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> push(x, backend.softmaxBackward(holder[0].value(), holder[0].grad())), x);
        return holder[0];
    }

    /** Layer norm over the last dimension; {@code beta} may be null. */
    public Variable layerNorm(Variable x, Variable gamma, Variable beta, float eps) {
        NormResult r = backend.layerNorm(x.value(), gamma.value(), beta == null ? null : beta.value(), eps);
        keep(r.mean());
        keep(r.rstd());
        Variable[] holder = new Variable[1];
        holder[0] = record(r.out(), () -> {
            boolean weights = gamma.requiresGrad() || (beta != null && beta.requiresGrad());
            NormGrads g = backend.layerNormBackward(x.value(), gamma.value(), r, holder[0].grad(), weights);
            push(x, g.dx());
            if (weights) {
                push(gamma, g.dWeight());
                if (beta != null) {
                    push(beta, g.dBias());
                } else {
                    g.dBias().close();
                }
            }
        }, x, gamma, beta);
        return holder[0];
    }

    /** RMS norm over the last dimension with weight {@code offset + w} (offset 0 for LLaMA). */
    public Variable rmsNorm(Variable x, Variable w, float eps, float offset) {
        NormResult r = backend.rmsNorm(x.value(), w.value(), eps, offset);
        keep(r.rstd());
        Variable[] holder = new Variable[1];
        holder[0] = record(r.out(), () -> {
            NormGrads g = backend.rmsNormBackward(x.value(), w.value(), r, holder[0].grad(), offset, w.requiresGrad());
            push(x, g.dx());
            if (w.requiresGrad()) {
                push(w, g.dWeight());
            }
        }, x, w);
        return holder[0];
    }

    /** Rotary embedding on {@code (batch, seq, heads, headDim)}; its backward is the inverse rotation. */
    public Variable rope(Variable x, Tensor cos, Tensor sin, Tensor positions) {
        Tensor out = backend.rope(x.value(), cos, sin, positions, false);
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> push(x, backend.rope(holder[0].grad(), cos, sin, positions, true)), x);
        return holder[0];
    }

    public Variable embedding(Variable table, Tensor ids) {
        Tensor out = backend.embedding(table.value(), ids);
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> {
            Tensor d = backend.zeros(table.value().dtype(), table.shape());
            backend.embeddingBackward(ids, holder[0].grad(), d);
            push(table, d);
        }, table);
        return holder[0];
    }

    /**
     * Mean cross-entropy over the rows whose target is not {@code ignoreIndex}, as a one-element
     * tensor; {@code logits} is {@code (..., vocab)}, {@code targets} I32 with the leading shape.
     */
    public Variable crossEntropy(Variable logits, Tensor targets, int ignoreIndex) {
        int vocab = logits.value().dim(-1);
        int rows = logits.value().numelInt() / vocab;
        Tensor flat = logits.value().reshape(rows, vocab);
        CrossEntropyResult r = backend.crossEntropy(flat, targets, ignoreIndex);
        keep(r.losses());
        keep(r.logSumExp());
        int counted = 0;
        for (int t : targets.toInts()) {
            if (t != ignoreIndex) {
                counted++;
            }
        }
        float inv = counted == 0 ? 0f : 1f / counted;
        Tensor sum = backend.sumAll(r.losses());
        Tensor mean = backend.scale(sum, inv);
        sum.close();
        Variable[] holder = new Variable[1];
        holder[0] = record(mean, () -> {
            float g = holder[0].grad().item() * inv;
            try (Tensor dLoss = backend.fromFloats(new float[] {g}, DType.F32, 1)) {
                Tensor d = backend.crossEntropyBackward(flat, targets, r, dLoss, ignoreIndex);
                push(logits, d.moveTo(logits.shape()));
            }
        }, logits);
        return holder[0];
    }

    /** Scaled dot-product attention on the (batch, seq, heads, headDim) layout; see {@link Backend#attention}. */
    public Variable attention(Variable q, Variable k, Variable v, Tensor keyMask, boolean causal, float scale) {
        AttentionResult r = backend.attention(q.value(), k.value(), v.value(), keyMask, causal, scale);
        keep(r.logSumExp());
        Variable[] holder = new Variable[1];
        holder[0] = record(r.out(), () -> {
            AttentionGrads g = backend.attentionBackward(q.value(), k.value(), v.value(), keyMask, causal, scale,
                    r, holder[0].grad());
            push(q, g.dq());
            push(k, g.dk());
            push(v, g.dv());
        }, q, k, v);
        return holder[0];
    }

    /** The same elements with another shape; gradients flow back through the reshape. */
    public Variable reshape(Variable x, int... shape) {
        Tensor out = x.value().reshape(shape);
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> push(x, holder[0].grad().moveTo(x.shape())), x);
        return holder[0];
    }

    /** Sum of all elements as a one-element tensor. */
    public Variable sum(Variable x) {
        Tensor out = backend.sumAll(x.value());
        Variable[] holder = new Variable[1];
        holder[0] = record(out, () -> {
            Tensor g = backend.zeros(x.value().dtype(), x.shape());
            backend.fill(g, holder[0].grad().item());
            push(x, g);
        }, x);
        return holder[0];
    }

    public Variable mean(Variable x) {
        return scale(sum(x), 1f / x.value().numel());
    }

    /**
     * Inverted dropout: zeroes each element with probability {@code p} (Philox at seed/offset) and
     * scales the rest by {@code 1/(1-p)}.
     */
    public Variable dropout(Variable x, float p, long seed, long offset) {
        if (p <= 0f) {
            return x;
        }
        Tensor mask = keep(dropoutMask(x.shape(), p, seed, offset));
        return mul(x, constant(mask));
    }

    /** The mask {@link #dropout} multiplies by: 0 with probability p, else 1/(1-p). */
    public Tensor dropoutMask(int[] shape, float p, long seed, long offset) {
        Tensor u = backend.zeros(DType.F32, shape);
        backend.fillUniform(u, 0f, 1f, seed, offset);
        float[] vals = u.toFloats();
        float keepScale = 1f / (1f - p);
        for (int e = 0; e < vals.length; e++) {
            vals[e] = vals[e] < 1f - p ? keepScale : 0f;
        }
        u.close();
        return backend.fromFloats(vals, DType.F32, shape);
    }

    // ---- backward -----------------------------------------------------------------------------

    /** Back-propagates from a one-element {@code loss}, seeding its gradient with {@code seed}. */
    public void backward(Variable loss, float seed) {
        if (!recording) {
            throw new IllegalStateException("backward on an inference tape");
        }
        if (loss.value().numel() != 1) {
            throw new IllegalArgumentException("backward from a non-scalar " + loss.value());
        }
        if (!loss.requiresGrad()) {
            throw new IllegalStateException("the loss does not depend on any trainable variable");
        }
        loss.accumulate(backend.fromFloats(new float[] {seed}, loss.value().dtype(), Shapes.numel(loss.shape()) == 1
                ? loss.shape() : new int[] {1}));
        replay();
    }

    /** Runs the recorded backward closures in reverse from the gradients already seeded. */
    private void replay() {
        for (int n = nodes.size() - 1; n >= 0; n--) {
            Node node = nodes.get(n);
            if (node.output().grad() == null) {
                continue; // this op did not feed the loss
            }
            node.backward().run();
            node.output().zeroGrad();
        }
        nodes.clear();
    }

    public void backward(Variable loss) {
        backward(loss, 1f);
    }

    @Override
    public void close() {
        for (Runnable r : releases) {
            r.run();
        }
        releases.clear();
        for (Variable v : intermediates) {
            v.zeroGrad();
            v.value().close();
        }
        for (Tensor t : owned) {
            t.close();
        }
        intermediates.clear();
        owned.clear();
        nodes.clear();
    }
}
