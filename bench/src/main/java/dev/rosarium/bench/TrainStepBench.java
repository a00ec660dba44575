package dev.rosarium.bench;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.cpu.Parallel;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.models.llama.CausalLm;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Wall time of one full fine-tuning step (forward, backward, AdamW) on the CPU, for MiniLM with a
 * 2-label head (batch 32 x seq 64) and SmolLM2-135M as a causal LM (batch 4 x seq 256). Token ids
 * are {@code (i * 7919 + 13) % vocab}, the same in tools/bench/train_step_torch.py. Prints one JSON
 * line per model: median of 5 timed steps after 2 warm-up steps.
 */
public final class TrainStepBench {
    private TrainStepBench() {
    }

    static int[] ids(int n, int vocab) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = (int) ((i * 7919L + 13) % vocab);
        }
        return x;
    }

    public static void main(String[] args) throws Exception {
        Backend be = CpuBackend.get();
        ModelCache cache = ModelCache.standard();
        String which = args.length > 0 ? args[0] : "all";
        if (which.equals("all") || which.equals("minilm")) {
            Path dir = cache.resolve(ModelPackage.ALL_MINILM_L6_V2);
            try (HfModelDirectory d = HfModelDirectory.open(dir)) {
                BertForSequenceClassification m = BertForSequenceClassification.load(d, 2, be, DType.F32, n -> true, 1);
                int b = 32;
                int s = 64;
                Tensor x = be.fromInts(ids(b * s, 30522), DType.I32, b, s);
                Tensor labels = be.fromInts(ids(b, 2), DType.I32, b);
                report("minilm", b, s, m.weights().trainable(),
                        t -> t.crossEntropy(m.logits(t, x, null, null, null), labels, -100));
            }
        }
        if (which.equals("all") || which.equals("smollm2")) {
            Path dir = cache.resolve(ModelPackage.SMOLLM2_135M_INSTRUCT_Q4_1);
            try (CausalLm lm = CausalLm.load(dir, be, DType.F32, n -> true, 4096)) {
                int b = 4;
                int s = 256;
                int vocab = lm.model().config().vocabSize();
                int[] in = ids(b * s, vocab);
                int[] tg = new int[in.length];
                for (int i = 0; i < in.length; i++) {
                    tg[i] = i % s == s - 1 ? -100 : in[i + 1];
                }
                Tensor x = be.fromInts(in, DType.I32, b, s);
                Tensor y = be.fromInts(tg, DType.I32, b * s);
                report("smollm2", b, s, lm.model().weights().trainable(),
                        t -> t.crossEntropy(lm.model().logits(t, x, null, null, null), y, -100));
            }
        }
    }

    private static void report(String name, int b, int s, List<NamedParameter> params, Function<Tape, Variable> loss) {
        Backend be = CpuBackend.get();
        AdamW opt = AdamW.withDefaults(List.of(new ParamGroup("all", params, 1e-5, 0.0)));
        double[] times = new double[7];
        double lastLoss = 0;
        for (int i = 0; i < times.length; i++) {
            long t0 = System.nanoTime();
            try (Tape t = Tape.training(be)) {
                Variable l = loss.apply(t);
                lastLoss = l.value().item();
                t.backward(l);
            }
            opt.step(1.0);
            opt.zeroGrad();
            times[i] = (System.nanoTime() - t0) / 1e9;
        }
        double[] timed = java.util.Arrays.copyOfRange(times, 2, times.length);
        java.util.Arrays.sort(timed);
        double median = timed[timed.length / 2];
        System.out.printf(Locale.ROOT, "{\"impl\":\"rosarium\",\"model\":\"%s\",\"batch\":%d,\"seq\":%d,"
                + "\"step_seconds\":%.4f,\"tokens_per_s\":%.1f,\"loss\":%.4f,\"threads\":%d}%n", name, b, s, median,
                b * s / median, lastLoss, Parallel.threads());
    }
}
