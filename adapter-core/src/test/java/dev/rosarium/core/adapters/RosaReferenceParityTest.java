package dev.rosarium.core.adapters;

import dev.rosarium.core.Golden;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.LrSchedule;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.DataSource;
import dev.rosarium.core.train.StepMetrics;
import dev.rosarium.core.train.TrainingLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RoSA against a PyTorch implementation of the authors' semantics (tools/golden/make_rosa_golden.py):
 * schedule wl2 with one collection step over 4 micro-batches, Fisher masks at d = 1% on query and
 * value, two learning rates, 5 steps. The masks are identical, the losses agree to 1e-5 (fp32 both,
 * summation order), logits before and after merging to 1e-4 relative.
 */
class RosaReferenceParityTest {
    private final Backend be = CpuBackend.get();

    @TempDir
    Path tmp;

    private record Example(Tensor ids, Tensor label) {
    }

    @Test
    void warmUpMasksTrainingAndMergeMatchTheReference() throws Exception {
        RosaConfig cfg = new RosaConfig(4, 8, 0, 0.01, TargetModules.names("query", "value"), 2, 1,
                GradientStatistics.Mode.MEAN_SQUARED, RosaConfig.Impl.SP_ADD);
        try (SafetensorsReader g = SafetensorsReader.open(Golden.path("rosa_minilm.safetensors"));
             HfModelDirectory dir = HfModelDirectory.open(ModelCache.standard().resolve(ModelPackage.ALL_MINILM_L6_V2))) {
            BertForSequenceClassification m = BertForSequenceClassification.load(dir, 2, be, DType.F32, n -> false, 0);
            be.copy(g.load("head.classifier.weight", be), m.classifier().weight().value());
            be.copy(g.load("head.classifier.bias", be), m.classifier().bias().value());
            AdapterSet rosa = AdapterSet.rosa(m.linearModules(), cfg, 1);
            for (Map.Entry<String, LinearAdapter> e : rosa.adapters().entrySet()) {
                be.copy(g.load("init." + e.getKey() + ".rosa_A.weight", be), ((RosaAdapter) e.getValue()).a().value());
            }
            int[] ids = g.readInts("ids");
            int[] lens = g.readInts("lengths");
            int[] labels = g.readInts("labels");
            List<Example> examples = new ArrayList<>();
            for (int i = 0, at = 0; i < lens.length; at += lens[i], i++) {
                examples.add(new Example(be.fromInts(Arrays.copyOfRange(ids, at, at + lens[i]), DType.I32, 1, lens[i]),
                        be.fromInts(new int[] {labels[i]}, DType.I32, 1)));
            }
            List<NamedParameter> lora = new ArrayList<>();
            List<NamedParameter> sparse = new ArrayList<>();
            for (NamedParameter p : rosa.parameters()) {
                (p.name().contains("rosa_spa") ? sparse : lora).add(p);
            }
            AdamW opt = AdamW.withDefaults(List.of(new ParamGroup("lora", lora, 1e-3, 0), new ParamGroup("spa", sparse, 5e-3, 0)));
            DataSource<Example> data = new DataSource<>() {
                long pos;

                public Example next() {
                    return examples.get((int) (pos++ % examples.size()));
                }

                public long position() {
                    return pos;
                }

                public void seek(long p) {
                    pos = p;
                }
            };
            RosaSchedule schedule = new RosaSchedule(rosa, cfg);
            TrainingLoop<Example> loop = new TrainingLoop<>(be, opt, new LrSchedule.Constant(0), data,
                    (t, ex, ctx) -> t.crossEntropy(m.logits(t, ex.ids(), null, null, null), ex.label(), -100), // no dropout, as the reference
                    new TrainingLoop.Settings(5, 4, 0, 0, 1, "{}"), null).addHook(schedule);
            List<StepMetrics> steps = new ArrayList<>();
            loop.run(steps::add);
            float[] losses = g.readFloats("losses");
            for (int s = 0; s < 5; s++) {
                assertEquals(losses[s], steps.get(s).loss(), 1e-5, "loss at step " + s);
            }
            for (Map.Entry<String, SparseMask> e : schedule.masks().entrySet()) {
                assertArrayEquals(g.readInts("mask." + e.getKey()), e.getValue().flatIndices(), "mask of " + e.getKey());
                assertEquals(SparseMask.nnzFor(0.01, 384, 384), e.getValue().nnz());
            }
            assertClose(g.readFloats("final_logits"), logits(m, examples));
            MaskFile.save(tmp.resolve("masks.safetensors"), schedule.masks(), Map.of("density", "0.01"));
            Map<String, SparseMask> reloaded = MaskFile.load(tmp.resolve("masks.safetensors"));
            assertEquals(schedule.masks().keySet(), reloaded.keySet());
            rosa.mergeAndUnload();
            assertClose(g.readFloats("merged_logits"), logits(m, examples));
        }
    }

    private float[] logits(BertForSequenceClassification m, List<Example> examples) {
        List<Float> out = new ArrayList<>();
        for (Example e : examples) {
            try (Tape t = Tape.inference(be)) {
                for (float v : m.logits(t, e.ids(), null, null, null).value().toFloats()) {
                    out.add(v);
                }
            }
        }
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    private static void assertClose(float[] want, float[] got) {
        float max = 0;
        for (float w : want) {
            max = Math.max(max, Math.abs(w));
        }
        assertArrayEquals(want, got, 1e-4f * Math.max(1f, max));
    }
}
