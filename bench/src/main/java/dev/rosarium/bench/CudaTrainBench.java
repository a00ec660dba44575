package dev.rosarium.bench;

import dev.rosarium.core.adapters.AdapterSet;
import dev.rosarium.core.adapters.GradientStatistics;
import dev.rosarium.core.adapters.LoraConfig;
import dev.rosarium.core.adapters.RosaAdapter;
import dev.rosarium.core.adapters.RosaConfig;
import dev.rosarium.core.adapters.SparseMask;
import dev.rosarium.core.adapters.TargetModules;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.models.llama.LlamaConfig;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.kernels.CudaBackend;
import dev.rosarium.kernels.CudaDevice;
import dev.rosarium.kernels.OpProfile;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Adapter training throughput on a GPU: a random-init LLaMA-architecture model in bf16 with LoRA
 * (or RoSA) on every linear layer, AdamW on the adapters, random tokens; tokens/s over timed steps
 * after warm-up, and the allocator's peak. The same protocol as tools/bench/lora_train_torch.py.
 * Also measures the two ceilings (a large bf16 GEMM, a device copy) and SDDMM against the dense
 * {@code dO^T X} product of the same shape.
 *
 * <p>Usage: {@code CudaTrainBench roofline | train MODEL BATCH SEQ METHOD [ckpt] | sddmm T N M DENSITY} with
 * MODEL {@code 1b|7b}, METHOD {@code lora|rosa}, and {@code ckpt} for activation checkpointing per block.
 */
public final class CudaTrainBench {
    private static final int WARMUP = 3;
    private static final int TIMED = 8;
    private static final double GIB = 1024.0 * 1024 * 1024;

    private CudaTrainBench() {
    }

    static LlamaConfig model(String name) {
        switch (name) {
            case "1b":
                return new LlamaConfig(32000, 2048, 5632, 22, 32, 4, 64, 1e-5f, 10000, LlamaConfig.RopeScaling.NONE, 2048,
                        false);
            case "7b":
                return new LlamaConfig(32000, 4096, 11008, 32, 32, 32, 128, 1e-5f, 10000, LlamaConfig.RopeScaling.NONE,
                        4096, false);
            default:
                throw new IllegalArgumentException("model must be 1b or 7b, got " + name);
        }
    }

    /** Model FLOPs per token of adapter training: forward and input-gradient products of the frozen
     *  linears and LM head (4 x params), attention scores and values (causal half counted), LoRA's own. */
    static double flopsPerToken(LlamaConfig c, int seq, int r) {
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long inter = c.intermediateSize();
        long linear = c.numLayers() * (h * q + 2 * h * kv + q * h + 3 * h * inter);
        long head = (long) c.vocabSize() * h;
        double dense = 4.0 * (linear + head);
        double attention = c.numLayers() * 3.0 * 2 * 2 * seq * q / 2; // QK^T and PV, fwd + 2x bwd, causal half
        long loraParams = c.numLayers() * (long) r * ((h + q) + 2 * (h + kv) + (q + h) + 2 * (h + inter) + (inter + h));
        return dense + attention + 6.0 * loraParams;
    }

    public static void main(String[] args) throws Exception {
        CudaBackend be = CudaBackend.get();
        switch (args[0]) {
            case "roofline":
                roofline(be);
                break;
            case "train":
                train(be, args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4],
                        args.length > 5 && args[5].equals("ckpt"));
                break;
            case "thin":
                thin(be, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]));
                break;
            case "sddmm":
                sddmm(be, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Double.parseDouble(args[4]));
                break;
            default:
                throw new IllegalArgumentException("roofline | train MODEL BATCH SEQ METHOD [ckpt] | sddmm T N M DENSITY");
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double timeMs(CudaDevice dev, Runnable work, int reps) {
        work.run();
        dev.synchronize();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            t[i] = dev.time(work);
        }
        return median(t);
    }

    static void roofline(CudaBackend be) {
        CudaDevice dev = be.device();
        int n = 8192;
        try (Tensor a = be.zeros(DType.BF16, n, n); Tensor b = be.zeros(DType.BF16, n, n); Tensor c = be.zeros(DType.BF16, n, n)) {
            be.fillUniform(a, -1, 1, 1, 0);
            be.fillUniform(b, -1, 1, 2, 0);
            double ms = timeMs(dev, () -> be.gemm(a, false, b, true, c, 1f, 0f), 10);
            System.out.printf(Locale.ROOT, "{\"what\":\"bf16_gemm\",\"n\":%d,\"ms\":%.3f,\"tflops\":%.1f}%n", n, ms,
                    2.0 * n * n * n / ms / 1e9);
        }
        long elems = 1L << 28;
        try (Tensor a = be.zeros(DType.F32, (int) elems); Tensor b = be.zeros(DType.F32, (int) elems)) {
            be.fillUniform(a, -1, 1, 3, 0);
            double ms = timeMs(dev, () -> be.copy(a, b), 10);
            System.out.printf(Locale.ROOT, "{\"what\":\"d2d_copy\",\"bytes\":%d,\"ms\":%.3f,\"gbps\":%.0f}%n", elems * 8, ms,
                    elems * 8 / ms / 1e6);
        }
    }

    static void train(CudaBackend be, String modelName, int batch, int seq, String method, boolean checkpointing)
            throws Exception {
        CudaDevice dev = be.device();
        LlamaConfig cfg = model(modelName);
        LlamaForCausalLM model = new LlamaForCausalLM(cfg, new Weights(
                Weights.randomInit(LlamaForCausalLM.weightShapes(cfg), 1, 0.02f), be, DType.BF16, n -> false));
        model.setActivationCheckpointing(checkpointing);
        int r = 16;
        AdapterSet set;
        if (method.equals("lora")) {
            set = AdapterSet.lora(model.linearModules(), new LoraConfig(r, 32, 0, TargetModules.allLinear(), false, false), 1);
        } else if (method.equals("rosa")) {
            double density = 0.006;
            set = AdapterSet.rosa(model.linearModules(), new RosaConfig(r, 32, 0, density, TargetModules.allLinear(), 0, 1,
                    GradientStatistics.Mode.MEAN_SQUARED, RosaConfig.Impl.SP_ADD), 1);
            Random rnd = new Random(3);
            for (LinearAdapter la : set.adapters().values()) {
                RosaAdapter ra = (RosaAdapter) la;
                ra.setMask(SparseMask.random(ra.base().outFeatures(), ra.base().inFeatures(), density, rnd));
            }
        } else {
            throw new IllegalArgumentException("method must be lora or rosa, got " + method);
        }
        AdamW opt = AdamW.withDefaults(List.of(new ParamGroup("adapters", set.parameters(), 1e-4, 0.0)));
        Random rnd = new Random(7);
        int[] ids = rnd.ints(batch * seq, 0, cfg.vocabSize()).toArray();
        int[] targets = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            targets[i] = i % seq == seq - 1 ? -100 : ids[i + 1];
        }
        double[] times = new double[TIMED];
        float loss = 0;
        try (Tensor x = be.fromInts(ids, DType.I32, batch, seq); Tensor y = be.fromInts(targets, DType.I32, batch * seq)) {
            for (int s = 0; s < WARMUP + TIMED; s++) {
                dev.synchronize();
                long t0 = System.nanoTime();
                try (Tape t = Tape.training(be)) {
                    Variable l = t.crossEntropy(model.logits(t, x, null, null, null), y, -100);
                    t.backward(l);
                    loss = l.value().item();
                }
                opt.step(1.0);
                opt.zeroGrad();
                dev.synchronize();
                if (s >= WARMUP) {
                    times[s - WARMUP] = (System.nanoTime() - t0) / 1e9;
                } else if (s == WARMUP - 1) {
                    OpProfile.reset();
                }
            }
        }
        double step = median(times);
        double tokS = batch * seq / step;
        System.out.printf(Locale.ROOT, "{\"impl\":\"rosarium\",\"model\":\"%s\",\"method\":\"%s\",\"checkpointing\":%b,"
                        + "\"side_stream\":%b,\"sddmm_tiles\":%b,\"batch\":%d,\"seq\":%d,"
                        + "\"step_s\":%.4f,\"tokens_per_s\":%.0f,\"peak_alloc_gib\":%.2f,\"peak_reserved_gib\":%.2f,"
                        + "\"model_tflops\":%.1f,\"loss\":%.4f,\"device\":\"%s\"}%n", modelName, method, checkpointing,
                !"false".equals(System.getProperty("rosarium.cuda.sideStream")),
                Boolean.getBoolean("rosarium.cuda.sddmmTiles"), batch, seq, step, tokS,
                dev.peakAllocatedBytes() / GIB, dev.peakReservedBytes() / GIB, flopsPerToken(cfg, seq, r) * tokS / 1e12,
                loss, dev.name());
        if (Boolean.getBoolean("rosarium.cuda.profile")) {
            System.out.print(OpProfile.table(TIMED));
        }
    }

    /**
     * The six thin products of one LoRA layer ({@code T} tokens, {@code k} in, {@code n} out, rank
     * {@code r}), each timed alone against its byte floor (operands read once, output written once).
     */
    static void thin(CudaBackend be, int t, int k, int n, int r) {
        CudaDevice dev = be.device();
        try (Tensor x = be.zeros(DType.BF16, t, k); Tensor dy = be.zeros(DType.BF16, t, n); Tensor a = be.zeros(DType.BF16, r, k);
             Tensor b = be.zeros(DType.BF16, n, r); Tensor h = be.zeros(DType.BF16, t, r); Tensor out = be.zeros(DType.BF16, t, n);
             Tensor dx = be.zeros(DType.BF16, t, k); Tensor da = be.zeros(DType.BF16, r, k); Tensor db = be.zeros(DType.BF16, n, r)) {
            for (Tensor z : List.of(x, dy, a, b, h)) {
                be.fillUniform(z, -1, 1, z.numel(), 0);
            }
            record Case(String name, Runnable op, long bytes) {
            }
            List<Case> cases = List.of(
                    new Case("h = x A^T", () -> be.gemm(x, false, a, true, h, 1f, 0f), 2L * (x.numel() + h.numel())),
                    new Case("out = s h B^T", () -> be.gemm(h, false, b, true, out, 2f, 0f), 2L * out.numel()),
                    new Case("g = dy B", () -> be.gemm(dy, false, b, false, h, 1f, 0f), 2L * dy.numel()),
                    new Case("dx = s g A", () -> be.gemm(h, false, a, false, dx, 2f, 0f), 2L * dx.numel()),
                    new Case("dA = s g^T x", () -> be.gemm(h, true, x, false, da, 2f, 0f), 2L * x.numel()),
                    new Case("dB = s dy^T h", () -> be.gemm(dy, true, h, false, db, 2f, 0f), 2L * dy.numel()));
            for (Case c : cases) {
                double ms = timeMs(dev, c.op(), 20);
                System.out.printf(Locale.ROOT, "{\"what\":\"thin_gemm\",\"op\":\"%s\",\"T\":%d,\"k\":%d,\"n\":%d,"
                        + "\"r\":%d,\"ms\":%.4f,\"floor_ms\":%.4f}%n", c.name(), t, k, n, r, ms, c.bytes() / 2.94e9);
            }
        }
    }

    /**
     * The SDDMM routes on one layer shape against the dense {@code dO^T X} GEMM: the row-group
     * kernel with X^T already made (as for k and v after q, up after gate) and with its transpose,
     * the dense GEMM plus a gather, and the tiled kernel at its default slab and panel (1024 x 384 on
     * an H100) and a few others; with the row-group and tiled results' relative L2 errors against an
     * fp32 GEMM of the same operands.
     */
    static void sddmm(CudaBackend be, int t, int n, int m, double density) {
        CudaDevice dev = be.device();
        SparseMask mask = SparseMask.random(n, m, density, new Random(5));
        int nnz = mask.nnz();
        try (Tensor dO = be.zeros(DType.BF16, t, n); Tensor x = be.zeros(DType.BF16, t, m); Tensor x2 = be.zeros(DType.BF16, t, m);
             Tensor ro = mask.rowOffsTensor(be); Tensor ci = mask.colIdxTensor(be); Tensor dense = be.zeros(DType.BF16, n, m)) {
            be.fillUniform(dO, -1, 1, 8, 0);
            be.fillUniform(x, -1, 1, 9, 0);
            be.copy(x, x2);
            double sharedMs = timeMs(dev, () -> be.sddmmSparse(ro, ci, dO, x).close(), 20);
            Tensor[] alternate = {x, x2};
            int[] calls = {0};
            double ownMs = timeMs(dev, () -> be.sddmmSparse(ro, ci, dO, alternate[calls[0]++ % 2]).close(), 20);
            double gatherMs = timeMs(dev, () -> be.sddmmDense(ro, ci, dO, x).close(), 20);
            double denseMs = timeMs(dev, () -> be.gemm(dO, true, x, false, dense, 1f, 0f), 20);
            StringBuilder tiles = new StringBuilder();
            for (int[] rc : new int[][] {{0, 0}, {512, 512}, {512, 640}, {1024, 256}, {256, 512}, {768, 384}}) {
                double ms = timeMs(dev, () -> (rc[0] == 0 ? be.sddmmTiles(ro, ci, dO, x)
                        : be.sddmmTiles(ro, ci, dO, x, Math.min(rc[0], (n + 15) & ~15), rc[1])).close(), 20);
                tiles.append(String.format(Locale.ROOT, ",\"tiles_%dx%d_ms\":%.4f", rc[0], rc[1], ms));
            }
            double err;
            try (Tensor d32 = be.cast(dO, DType.F32); Tensor x32 = be.cast(x, DType.F32);
                 Tensor ref = be.sddmmDense(ro, ci, d32, x32); Tensor rows8 = be.sddmmSparse(ro, ci, dO, x);
                 Tensor tiled = be.sddmmTiles(ro, ci, dO, x)) {
                float[] r = ref.toFloats();
                err = relError(r, rows8.toFloats());
                tiles.append(String.format(Locale.ROOT, ",\"tiles_rel_error\":%.2e", relError(r, tiled.toFloats())));
            }
            System.out.printf(Locale.ROOT, "{\"what\":\"sddmm\",\"T\":%d,\"n\":%d,\"m\":%d,\"nnz\":%d,"
                    + "\"rows8_shared_xt_ms\":%.4f,\"rows8_with_transpose_ms\":%.4f,\"dense_gather_ms\":%.4f,"
                    + "\"dense_gemm_ms\":%.4f,\"rows8_over_gemm\":%.2f,\"rows8_rel_error\":%.2e%s}%n", t, n, m, nnz, sharedMs,
                    ownMs, gatherMs, denseMs, ownMs / denseMs, err, tiles);
        }
    }

    /** Relative L2 error of {@code got} against {@code ref}. */
    static double relError(float[] ref, float[] got) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (ref[i] - got[i]) * (double) (ref[i] - got[i]);
            den += ref[i] * (double) ref[i];
        }
        return Math.sqrt(num / den);
    }
}
