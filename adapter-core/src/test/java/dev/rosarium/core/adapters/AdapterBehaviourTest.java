package dev.rosarium.core.adapters;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.models.llama.LlamaConfig;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.LrSchedule;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.DataSource;
import dev.rosarium.core.train.StepMetrics;
import dev.rosarium.core.train.TrainingLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour checks of every method on a tiny random LLaMA (methods.md and the list). */
class AdapterBehaviourTest {
    private final Backend be = CpuBackend.get();

    static LlamaForCausalLM tiny(Backend be) throws Exception {
        LlamaConfig cfg = new LlamaConfig(40, 32, 64, 2, 4, 2, 8, 1e-5f, 10000, LlamaConfig.RopeScaling.NONE, 64, true);
        return new LlamaForCausalLM(cfg, new Weights(Weights.randomInit(LlamaForCausalLM.weightShapes(cfg), 5, 0.1f),
                be, DType.F32, n -> false));
    }

    record Batch(Tensor x, Tensor y) {
    }

    private Batch batch() {
        return batch(be);
    }

    static Batch batch(Backend be) {
        Random r = new Random(11);
        int[] ids = new int[4 * 12];
        int[] tg = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(40);
        }
        for (int i = 0; i < ids.length; i++) {
            tg[i] = i % 12 == 11 ? -100 : ids[i + 1];
        }
        return new Batch(be.fromInts(ids, DType.I32, 4, 12), be.fromInts(tg, DType.I32, 48));
    }

    private float[] logits(LlamaForCausalLM m, Batch b) {
        return logits(be, m, b);
    }

    static float[] logits(Backend be, LlamaForCausalLM m, Batch b) {
        try (Tape t = Tape.inference(be)) {
            return m.logits(t, b.x(), null, null, null).value().toFloats();
        }
    }

    /** Trains a method for {@code steps} steps through the registry; returns the losses. */
    private List<StepMetrics> train(LlamaForCausalLM m, AdapterMethods.Setup setup, int steps, Batch b) throws Exception {
        return train(be, m, setup, steps, b);
    }

    static List<StepMetrics> train(Backend be, LlamaForCausalLM m, AdapterMethods.Setup setup, int steps, Batch b)
            throws Exception {
        AdamW opt = AdamW.withDefaults(setup.groups());
        DataSource<Batch> data = new DataSource<>() {
            long p;

            public Batch next() {
                p++;
                return b;
            }

            public long position() {
                return p;
            }

            public void seek(long x) {
                p = x;
            }
        };
        TrainingLoop<Batch> loop = new TrainingLoop<>(be, opt, new LrSchedule.Constant(0), data,
                (t, bb, ctx) -> t.crossEntropy(m.logits(t, bb.x(), null, null, ctx), bb.y(), -100),
                new TrainingLoop.Settings(steps, 2, 1.0, 0, 3, "{}"), null);
        setup.hooks().apply(opt).forEach(loop::addHook);
        List<StepMetrics> out = new ArrayList<>();
        loop.run(out::add);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora", "spa", "rosa", "subspace", "roselora"})
    void trainsAndMergedModelGivesTheSameLogits(String method) throws Exception {
        LlamaForCausalLM m = tiny(be);
        Batch b = batch();
        float[] base = logits(m, b);
        MethodSpec spec = new MethodSpec(method, 4, 8, 0.0, "all-linear", 0.05, 0, 2, 1, "mean_squared", 5, "random",
                0.3, 2, 8, false);
        AdapterMethods.Setup setup = AdapterMethods.attach(spec, m.linearModules(), 1e-2, 0, 7, 12);
        if (!method.equals("subspace")) {
            assertArrayEquals(base, logits(m, b), 1e-6f, "an untrained adapter leaves the model unchanged");
        } else {
            assertArrayEquals(base, logits(m, b), 2e-4f, "the SVD split preserves the function");
        }
        List<StepMetrics> losses = train(m, setup, 12, b);
        assertTrue(losses.get(11).loss() < losses.get(0).loss() - 0.1, method + " loss " + losses.get(0).loss() + " -> "
                + losses.get(11).loss());
        float[] adapted = logits(m, b);
        setup.adapters().mergeAndUnload();
        float[] merged = logits(m, b);
        assertArrayEquals(adapted, merged, 2e-4f, "merged and unmerged logits");
    }

    @Test
    void rosaRoundTripsThroughThePeftRosaLayout(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        Batch b = batch();
        LlamaForCausalLM m = tiny(be);
        MethodSpec spec = new MethodSpec("rosa", 4, 8, 0.0, "q_proj,down_proj", 0.05, 0, 1, 1, "mean_squared", 0,
                "random", 0, 0, 0, false, java.util.Map.of("down_proj", 0.1));
        AdapterMethods.Setup setup = AdapterMethods.attach(spec, m.linearModules(), 1e-2, 0, 7, 4);
        train(m, setup, 4, b);
        float[] trained = logits(m, b);
        PeftRosaFormat.save(tmp.resolve("rosa"), setup.adapters(), spec.rosa(), List.of(), "tiny", "CAUSAL_LM",
                DType.F32);
        try (var r = dev.rosarium.core.io.SafetensorsReader.open(tmp.resolve("rosa/adapter_model.safetensors"))) {
            String p = "base_model.model.model.layers.0.self_attn.q_proj.rosa_spa.";
            assertEquals(DType.I16, r.info(p + "col_idx").dtype());
            assertEquals(DType.I16, r.info(p + "row_idx").dtype());
            assertEquals(DType.I32, r.info(p + "row_offs").dtype());
            assertEquals(SparseMask.nnzFor(0.05, 32, 32), r.info(p + "values").shape()[0]);
            assertEquals(SparseMask.nnzFor(0.1, 32, 64),
                    r.info("base_model.model.model.layers.0.mlp.down_proj.rosa_spa.values").shape()[0],
                    "density_pattern gives down_proj its own density");
        }
        RosaConfig read = PeftRosaFormat.readConfig(tmp.resolve("rosa"));
        assertEquals(0.05, read.density());
        assertEquals(java.util.Map.of("down_proj", 0.1), read.densityPattern());
        LlamaForCausalLM fresh = tiny(be);
        AdapterSet set = AdapterSet.rosa(fresh.linearModules(), read, 99);
        PeftRosaFormat.loadInto(tmp.resolve("rosa"), set);
        assertArrayEquals(trained, logits(fresh, b), 1e-5f, "logits with the loaded adapter");
    }

    @Test
    void mergedModelExportsAsAHuggingFaceDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        Batch b = batch();
        LlamaForCausalLM m = tiny(be);
        MethodSpec spec = new MethodSpec("rosa", 4, 8, 0.0, "all-linear", 0.05, 0, 1, 1, "mean_squared", 0, "random",
                0, 0, 0, false);
        AdapterMethods.Setup setup = AdapterMethods.attach(spec, m.linearModules(), 1e-2, 0, 7, 4);
        train(m, setup, 4, b);
        setup.adapters().mergeAndUnload();
        float[] merged = logits(m, b);
        m.saveHfDirectory(tmp.resolve("export"), 2, DType.F32, java.util.Map.of());
        try (var dir = dev.rosarium.core.models.HfModelDirectory.open(tmp.resolve("export"))) {
            LlamaConfig cfg = LlamaConfig.fromJson(dir.config(), tmp.resolve("export/config.json"));
            assertEquals(m.config(), cfg);
            LlamaForCausalLM back = new LlamaForCausalLM(cfg, new Weights(dir::load, be, DType.F32, n -> false));
            assertArrayEquals(merged, logits(back, b), 0f, "the exported merged model gives the same logits");
        }
    }

    @Test
    void sddmmEqualsTheDenseGradientSampledOnTheMask() {
        Random r = new Random(2);
        int t = 7;
        int n = 9;
        int m = 6;
        float[] dO = new float[t * n];
        float[] x = new float[t * m];
        for (int i = 0; i < dO.length; i++) {
            dO[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        SparseMask mask = SparseMask.fromFlatIndices(n, m, new int[] {0, 5, 13, 14, 40, 53});
        float[] got = be.sddmm(mask.rowOffsTensor(be), mask.colIdxTensor(be), be.fromFloats(dO, DType.F32, t, n),
                be.fromFloats(x, DType.F32, t, m)).toFloats();
        int[] flat = mask.flatIndices();
        for (int k = 0; k < flat.length; k++) {
            int i = flat[k] / m;
            int j = flat[k] % m;
            double s = 0;
            for (int q = 0; q < t; q++) {
                s += dO[q * n + i] * x[q * m + j];
            }
            assertEquals(s, got[k], 1e-5, "nnz " + k);
        }
        float[] dense = be.spmm(be.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, 6), mask.rowOffsTensor(be),
                mask.colIdxTensor(be), m, be.fromFloats(x, DType.F32, t, m), false).toFloats();
        // row 0 of x S^T: S[0,0] = 1, S[0,5] = 2
        assertEquals(x[0] * 1 + x[5] * 2, dense[0], 1e-5);
    }

    @Test
    void subspaceResampleKeepsTheFunctionAndResetsTheOptimizer() throws Exception {
        LlamaForCausalLM m = tiny(be);
        Batch b = batch();
        MethodSpec spec = new MethodSpec("subspace", 3, 1, 0, "q_proj,v_proj", 0, 0, 0, 1, "mean", 4, "random", 0, 0, 0,
                false);
        AdapterMethods.Setup setup = AdapterMethods.attach(spec, m.linearModules(), 1e-2, 0, 9, 8);
        AdamW opt = AdamW.withDefaults(setup.groups());
        SubspaceSchedule schedule = (SubspaceSchedule) setup.hooks().apply(opt).get(0);
        for (int step = 0; step < 3; step++) {
            try (Tape t = Tape.training(be)) {
                t.backward(t.crossEntropy(m.logits(t, b.x(), null, null, null), b.y(), -100));
            }
            opt.step(1);
            opt.zeroGrad();
        }
        assertTrue(!opt.state().isEmpty());
        float[] before = logits(m, b);
        schedule.afterStep(3);
        assertEquals(1, schedule.resamples());
        assertTrue(opt.state().isEmpty(), "optimizer moments are discarded at a resample");
        assertArrayEquals(before, logits(m, b), 2e-4f, "merge + resample preserves the function");
    }

    @Test
    void roseLoraKeepsTheCountsItsSemanticsGive() throws Exception {
        RoseLoraConfig cfg = new RoseLoraConfig(new LoraConfig(4, 8, 0, TargetModules.names("q_proj"), false, false),
                0.05, 3, 20, 0.8, true, 3e-3);
        double[] want = {1, 1, 1, 1, 0.842, 0.7026, 0.5806, 0.4748, 0.3841, 0.3074, 0.2434, 0.191, 0.149, 0.1163,
            0.0918, 0.0742, 0.0624, 0.0552, 0.0515, 0.0502, 0.05, 0.05};
        for (int it = 0; it < want.length; it++) {
            assertEquals(want[it], cfg.keepRate(it), 5e-5, "keep-rate at " + it);
        }
        LlamaForCausalLM m = tiny(be);
        Batch b = batch();
        MethodSpec spec = new MethodSpec("roselora", 4, 8, 0, "q_proj,k_proj", 0, 0, 0, 1, "mean", 0, "random", 0.25, 0,
                4, false);
        AdapterMethods.Setup setup = AdapterMethods.attach(spec, m.linearModules(), 1e-2, 0, 3, 6);
        train(m, setup, 6, b);
        for (LinearAdapter la : setup.adapters().adapters().values()) {
            LoraAdapter a = (LoraAdapter) la;
            Tensor at = a.a().value();
            Tensor bt = a.b().value();
            int in = at.dim(1);
            int out = bt.dim(0);
            float[] av = at.toFloats();
            float[] bv = bt.toFloats();
            int keepA = in - (int) (in * (1 - 0.25)) + 1;
            int keepB = out - (int) (out * (1 - 0.25)) + 1;
            double density = 0;
            for (int row = 0; row < 4; row++) {
                int nzA = 0;
                for (int j = 0; j < in; j++) {
                    nzA += av[row * in + j] != 0 ? 1 : 0;
                }
                int nzB = 0;
                for (int i = 0; i < out; i++) {
                    nzB += bv[i * 4 + row] != 0 ? 1 : 0;
                }
                assertTrue(nzA <= keepA && nzB <= keepB, "row " + row + ": " + nzA + "/" + keepA + ", " + nzB + "/" + keepB);
                density += (double) nzA * nzB / ((double) in * out);
            }
            float[] delta = new float[out * in];
            int nz = 0;
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < in; j++) {
                    float s = 0;
                    for (int c = 0; c < 4; c++) {
                        s += bv[i * 4 + c] * av[c * in + j];
                    }
                    delta[i * in + j] = s;
                    nz += s != 0 ? 1 : 0;
                }
            }
            assertTrue(nz <= density * in * out + 1e-9, "density(BA) bounded by sum of row x column densities");
            assertTrue((double) nz / (in * out) <= 4 * Math.pow((double) keepA / in, 1) * ((double) keepB / out) + 1e-9);
        }
    }
}
