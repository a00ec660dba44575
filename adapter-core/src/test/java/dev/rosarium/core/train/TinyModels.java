package dev.rosarium.core.train;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Two small networks built from the tape's ops, for end-to-end training tests. */
final class TinyModels {
    private TinyModels() {
    }

    /** Inputs and I32 targets of one batch. */
    record Batch(Tensor inputs, Tensor targets) {
    }

    static Variable param(Backend be, List<NamedParameter> registry, String name, long seed, float std, int... shape) {
        Tensor t = be.zeros(DType.F32, shape);
        if (std > 0) {
            be.fillNormal(t, 0f, std, seed, registry.size() * (1L << 32));
        }
        Variable v = Variable.parameter(t);
        registry.add(new NamedParameter(name, v));
        return v;
    }

    /** A 2-layer perceptron classifying 8-dim points by which of 4 fixed directions they align with best. */
    static final class Mlp implements LossFunction<Batch> {
        final List<NamedParameter> params = new ArrayList<>();
        final Variable w1;
        final Variable b1;
        final Variable w2;
        final Variable b2;
        final float dropout;

        Mlp(Backend be, long seed, float dropout) {
            w1 = param(be, params, "fc1.weight", seed, 0.35f, 32, 8);
            b1 = param(be, params, "fc1.bias", seed, 0f, 32);
            w2 = param(be, params, "fc2.weight", seed, 0.18f, 4, 32);
            b2 = param(be, params, "fc2.bias", seed, 0f, 4);
            this.dropout = dropout;
        }

        @Override
        public Variable loss(Tape t, Batch batch, StepContext ctx) {
            Variable x = t.constant(batch.inputs());
            Variable h = t.unary(UnaryOp.GELU, t.add(t.matmul(x, w1, true), b1));
            h = t.dropout(h, dropout, ctx.randomSeed(0), 0);
            Variable logits = t.add(t.matmul(h, w2, true), b2);
            return t.crossEntropy(logits, batch.targets(), -100);
        }

        static DataSource<Batch> data(Backend be, int batchSize) {
            return new Source<>(pos -> {
                Random r = new Random(1000 + pos);
                float[] x = new float[batchSize * 8];
                int[] y = new int[batchSize];
                for (int i = 0; i < batchSize; i++) {
                    float best = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < 8; j++) {
                        x[i * 8 + j] = (float) r.nextGaussian();
                    }
                    for (int c = 0; c < 4; c++) {
                        float s = x[i * 8 + c] - x[i * 8 + 4 + c];
                        if (s > best) {
                            best = s;
                            y[i] = c;
                        }
                    }
                }
                return new Batch(be.fromFloats(x, DType.F32, batchSize, 8), be.fromInts(y, DType.I32, batchSize));
            });
        }
    }

    /**
     * One pre-norm decoder block (RMS norm, grouped-query causal attention with RoPE, residual,
     * layer norm, tied-free LM head) learning sequences that count up modulo the vocabulary.
     */
    static final class AttentionBlock implements LossFunction<Batch> {
        static final int VOCAB = 11;
        static final int DIM = 16;
        static final int HEADS = 4;
        static final int KV_HEADS = 2;
        static final int HEAD_DIM = DIM / HEADS;
        final List<NamedParameter> params = new ArrayList<>();
        final Variable embed;
        final Variable norm1;
        final Variable wq;
        final Variable wk;
        final Variable wv;
        final Variable wo;
        final Variable norm2;
        final Variable norm2b;
        final Variable head;
        final Tensor cos;
        final Tensor sin;

        AttentionBlock(Backend be, long seed, int maxPos) {
            embed = param(be, params, "embed", seed, 1f, VOCAB, DIM);
            norm1 = param(be, params, "norm1", seed, 0f, DIM);
            be.fill(norm1.value(), 1f);
            wq = param(be, params, "wq", seed, 0.25f, HEADS * HEAD_DIM, DIM);
            wk = param(be, params, "wk", seed, 0.25f, KV_HEADS * HEAD_DIM, DIM);
            wv = param(be, params, "wv", seed, 0.25f, KV_HEADS * HEAD_DIM, DIM);
            wo = param(be, params, "wo", seed, 0.25f, DIM, HEADS * HEAD_DIM);
            norm2 = param(be, params, "norm2", seed, 0f, DIM);
            be.fill(norm2.value(), 1f);
            norm2b = param(be, params, "norm2.bias", seed, 0f, DIM);
            head = param(be, params, "head", seed, 0.25f, VOCAB, DIM);
            float[] c = new float[maxPos * HEAD_DIM / 2];
            float[] s = new float[c.length];
            for (int p = 0; p < maxPos; p++) {
                for (int j = 0; j < HEAD_DIM / 2; j++) {
                    double ang = p / Math.pow(10000, 2.0 * j / HEAD_DIM);
                    c[p * HEAD_DIM / 2 + j] = (float) Math.cos(ang);
                    s[p * HEAD_DIM / 2 + j] = (float) Math.sin(ang);
                }
            }
            cos = be.fromFloats(c, DType.F32, maxPos, HEAD_DIM / 2);
            sin = be.fromFloats(s, DType.F32, maxPos, HEAD_DIM / 2);
        }

        @Override
        public Variable loss(Tape t, Batch batch, StepContext ctx) {
            Tensor ids = batch.inputs();
            int b = ids.dim(0);
            int seq = ids.dim(1);
            int[] pos = new int[b * seq];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = i % seq;
            }
            Tensor positions = t.backend().fromInts(pos, DType.I32, b, seq);
            Variable x = t.embedding(embed, ids);
            Variable h = t.rmsNorm(x, norm1, 1e-6f, 0f);
            Variable q = t.rope(t.reshape(t.matmul(h, wq, true), b, seq, HEADS, HEAD_DIM), cos, sin, positions);
            Variable k = t.rope(t.reshape(t.matmul(h, wk, true), b, seq, KV_HEADS, HEAD_DIM), cos, sin, positions);
            Variable v = t.reshape(t.matmul(h, wv, true), b, seq, KV_HEADS, HEAD_DIM);
            Variable a = t.attention(q, k, v, null, true, (float) (1 / Math.sqrt(HEAD_DIM)));
            x = t.add(x, t.matmul(t.reshape(a, b, seq, DIM), wo, true));
            Variable logits = t.matmul(t.layerNorm(x, norm2, norm2b, 1e-5f), head, true);
            return t.crossEntropy(logits, batch.targets(), -100);
        }

        /** Sequences start at a random token and count up; the target is the next token, the last one ignored. */
        static DataSource<Batch> data(Backend be, int batchSize, int seq) {
            return new Source<>(pos -> {
                Random r = new Random(5000 + pos);
                int[] ids = new int[batchSize * seq];
                int[] targets = new int[batchSize * seq];
                for (int i = 0; i < batchSize; i++) {
                    int start = r.nextInt(VOCAB);
                    for (int s = 0; s < seq; s++) {
                        ids[i * seq + s] = (start + s) % VOCAB;
                        targets[i * seq + s] = s == seq - 1 ? -100 : (start + s + 1) % VOCAB;
                    }
                }
                return new Batch(be.fromInts(ids, DType.I32, batchSize, seq), be.fromInts(targets, DType.I32,
                        batchSize * seq));
            });
        }
    }

    /** Batches as a pure function of their position. */
    static final class Source<B> implements DataSource<B> {
        interface Maker<B> {
            B make(long position);
        }

        private final Maker<B> maker;
        private long position;

        Source(Maker<B> maker) {
            this.maker = maker;
        }

        @Override
        public B next() {
            return maker.make(position++);
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public void seek(long p) {
            position = p;
        }
    }
}
