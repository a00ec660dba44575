package dev.rosarium.kernels;

import dev.rosarium.core.quant.Nf4;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.BinaryOp;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.GemmShape;
import dev.rosarium.core.tensor.LowPrecision;
import dev.rosarium.core.tensor.Shapes;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The {@link Backend} on an NVIDIA GPU: tensors in device memory from a caching allocator, every op
 * queued on one stream, matrix products through cuBLAS (bf16 or fp32 operands, fp32 accumulation),
 * everything else through NVRTC-compiled kernels (rosarium_kernels.cu). F32, BF16 and I32 tensors
 * are supported, and U8 as storage for NF4 codes (dequantized by a kernel). The bf16 attention forward for head sizes 64 and 128 is one fused kernel
 * (FlashAttention-2 style, tensor-core MMAs, scores never stored); otherwise, and in the backward,
 * attention materializes the scores of one call (in the inputs' precision, as PyTorch's math path
 * does; statistics in fp32) and runs its products as batched GEMMs, recomputing the probabilities
 * from the saved log-sum-exp.
 *
 * <p>Kernels that can meet invalid indices (token ids, positions, rows, targets) raise a device
 * flag instead of failing the launch; the flag is checked at the next host read, which throws.
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256;
    private static final int DT_F32 = 0;
    private static final int DT_BF16 = 1;
    private static final int DT_I32 = 2;
    private static final int CUDA_R_32F = 0;
    private static final int CUDA_R_16BF = 14;
    private static final String[] FLAG_MEANINGS = {"", "a RoPE position outside the rotary table",
        "a token id outside the vocabulary", "an indexCopy row outside the destination",
        "a cross-entropy target outside the vocabulary"};

    /** With {@code -Drosarium.cuda.poison=true} every new uninitialized buffer is filled with NaN, so an op
     *  that leaves part of its output unwritten fails the parity checks. */
    private static final boolean POISON = Boolean.getBoolean("rosarium.cuda.poison");
    /** {@code -Drosarium.cuda.sideStream=false} keeps the sparse gradients on the main stream (for A/B timing). */
    private static final boolean SIDE_STREAM = !"false".equals(System.getProperty("rosarium.cuda.sideStream"));
    /**
     * Events are reused round-robin, two a side job: with at most {@link #SIDE_JOBS_IN_FLIGHT} jobs in
     * flight, an event is recorded again only long after the job it marked has ended, so a buffer
     * still pointing at it is never freed or read too early.
     */
    private static final int EVENTS = 256;
    /**
     * Side-stream jobs allowed in flight before the host waits for the oldest: each holds its inputs
     * and its scratch until it ends, so an unbounded lag behind the main stream costs memory (1.7 GB
     * on a 1.1B step, 6 GB on a 7B one, run 15).
     */
    private static final int SIDE_JOBS_IN_FLIGHT = 6;

    private static CudaBackend instance;

    private final CudaDevice dev;
    private final KernelModule kernels;
    private final long flag;
    private final long scratch;
    private final FloatPointer alpha = new FloatPointer(1);
    private final FloatPointer beta = new FloatPointer(1);
    private final CUevent_st[] events = new CUevent_st[EVENTS];
    private int nextEvent;
    /** The stream and cuBLAS handle ops are queued on: the main ones, except inside {@link #onSideStream}. */
    private CUstream_st stream;
    private cublasContext blas;
    /** Buffers released inside a side-stream job, freed once the job's end event has passed. */
    private List<CudaStorage> sideReleases;
    private final ArrayDeque<CUevent_st> sideJobs = new ArrayDeque<>();

    private CudaBackend(CudaDevice dev) {
        this.dev = dev;
        this.stream = dev.stream;
        this.blas = dev.blas;
        for (int i = 0; i < EVENTS; i++) {
            events[i] = new CUevent_st();
            CudaCheck.runtime(cudart.cudaEventCreateWithFlags(events[i], cudart.cudaEventDisableTiming), "cudaEventCreate");
        }
        this.kernels = dev.kernels;
        this.flag = dev.allocator.allocate(8);
        this.scratch = dev.allocator.allocate(8);
        CudaCheck.runtime(cudart.cudaMemsetAsync(new DevicePointer(flag), 0, 8, stream), "cudaMemsetAsync");
    }

    /** The backend of the process's device; throws {@link CudaException} when there is no usable GPU. */
    public static synchronized CudaBackend get() {
        if (instance == null) {
            instance = new CudaBackend(CudaDevice.get());
        }
        return instance;
    }

    public CudaDevice device() {
        return dev;
    }

    @Override
    public String name() {
        return "cuda";
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static int code(DType t) {
        switch (t) {
            case F32:
                return DT_F32;
            case BF16:
                return DT_BF16;
            case I32:
                return DT_I32;
            default:
                throw new IllegalArgumentException("the CUDA backend holds F32, BF16 and I32 tensors, not " + t);
        }
    }

    private static int code(Tensor t) {
        return code(t.dtype());
    }

    /** The buffer's address; on the main stream, first waits for a side-stream job that writes it. */
    private long ptr(Tensor t) {
        if (t == null) {
            return 0L;
        }
        CudaStorage s = (CudaStorage) t.storage();
        if (s.ready != null && stream == dev.stream) {
            CudaCheck.runtime(cudart.cudaStreamWaitEvent(dev.stream, s.ready, 0), "cudaStreamWaitEvent");
            s.ready = null;
        }
        return s.address();
    }

    private CUevent_st record(CUstream_st on) {
        CUevent_st e = events[nextEvent];
        nextEvent = (nextEvent + 1) % EVENTS;
        CudaCheck.runtime(cudart.cudaEventRecord(e, on), "cudaEventRecord");
        return e;
    }

    /**
     * Runs {@code job} on the side stream after everything queued so far on the main one, so that it
     * overlaps what the main stream does next. Its result is marked as written there (the main stream
     * waits before reading it) and {@code reads} as read there (their buffers are not reused before
     * the job ends), and whatever the job releases is freed after it ends. The main stream must not
     * write {@code reads} in place meanwhile: the one caller passes dO and X, which are never
     * written once made.
     */
    private Tensor onSideStream(Supplier<Tensor> job, Tensor... reads) {
        if (!SIDE_STREAM || OpProfile.ENABLED || stream != dev.stream) {
            return job.get();
        }
        if (sideJobs.size() >= SIDE_JOBS_IN_FLIGHT) {
            CudaCheck.runtime(cudart.cudaEventSynchronize(sideJobs.poll()), "cudaEventSynchronize");
        }
        CudaCheck.runtime(cudart.cudaStreamWaitEvent(dev.sideStream, record(dev.stream), 0), "cudaStreamWaitEvent");
        stream = dev.sideStream;
        blas = dev.sideBlas;
        sideReleases = new ArrayList<>();
        Tensor out = null;
        try {
            out = job.get();
        } finally {
            stream = dev.stream;
            blas = dev.blas;
            CUevent_st done = record(dev.sideStream);
            sideJobs.add(done);
            for (CudaStorage s : sideReleases) {
                dev.allocator.freeAfter(s.address(), s.bytes(), done);
            }
            sideReleases = null;
            for (Tensor r : reads) {
                ((CudaStorage) r.storage()).sideReads = done;
            }
            if (out != null) {
                ((CudaStorage) out.storage()).ready = done;
            }
        }
        return out;
    }

    @Override
    public Tensor empty(DType dtype, int... shape) {
        if (dtype != DType.U8) {
            code(dtype); // U8 holds packed 4-bit codes: stored and moved, never computed on
        }
        long bytes = Shapes.numel(shape) * dtype.bytes();
        long p = dev.allocator.allocate(Math.max(bytes, 1));
        Tensor t = new Tensor(this, dtype, shape, new CudaStorage(p, Math.max(bytes, 1)), false);
        if (POISON && dtype.isFloating()) {
            fill(t, Float.NaN);
        }
        return t;
    }

    private Tensor emptyLike(Tensor t) {
        return empty(t.dtype(), t.shape());
    }

    private int blocks(long n) {
        return (int) Math.max(1, Math.min((n + THREADS - 1) / THREADS, dev.multiprocessors * 16L));
    }

    private void launch(String fn, long n, Object... args) {
        kernels.launch(fn, stream, blocks(n), 1, THREADS, 1, args);
    }

    private void launchRows(String fn, int rows, int threads, Object... args) {
        if (rows > 0) {
            kernels.launch(fn, stream, rows, 1, threads, 1, args);
        }
    }

    /** One warp per row, eight rows a block. */
    private void launchWarps(String fn, int rows, Object... args) {
        if (rows > 0) {
            kernels.launch(fn, stream, (rows + 7) / 8, 1, THREADS, 1, args);
        }
    }

    private static int rowThreads(int n) {
        return n >= 1024 ? 512 : n >= 256 ? 256 : 128;
    }

    /** Both bf16 with counts of whole 16-byte vectors (buffers are 512-byte aligned): the vector kernels apply. */
    private static boolean bf16x8(Tensor a, Tensor b) {
        return a.dtype() == DType.BF16 && b.dtype() == DType.BF16 && a.numel() % 8 == 0 && b.numel() % 8 == 0;
    }

    private void memset(long p, long bytes) {
        long t0 = OpProfile.begin();
        CudaCheck.runtime(cudart.cudaMemsetAsync(new DevicePointer(p), 0, bytes, stream), "cudaMemsetAsync");
        OpProfile.end("memset", t0);
    }

    /** Synchronizes and throws if a kernel flagged invalid input since the last check. */
    private void checkFlag() {
        try (IntPointer host = new IntPointer(1)) {
            CudaCheck.runtime(cudart.cudaMemcpyAsync(host, new DevicePointer(flag), 4, cudart.cudaMemcpyDeviceToHost,
                    stream), "cudaMemcpyAsync");
            dev.synchronize();
            int f = host.get(0);
            if (f != 0) {
                memset(flag, 4);
                throw new IllegalArgumentException("a CUDA kernel met " + FLAG_MEANINGS[Math.min(f, 4)]);
            }
        }
    }

    // ---- memory and transfers ---------------------------------------------------------------

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        memset(ptr(t), Shapes.numel(shape) * dtype.bytes());
        return t;
    }

    @Override
    public Tensor fromFloats(float[] data, DType dtype, int... shape) {
        checkCount(data.length, shape);
        Tensor t = empty(dtype, shape);
        Pointer host;
        if (dtype == DType.BF16) {
            short[] s = new short[data.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = LowPrecision.toBf16(data[i]);
            }
            host = new ShortPointer(s);
        } else if (dtype == DType.I32) {
            int[] v = new int[data.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = (int) data[i];
            }
            host = new IntPointer(v);
        } else {
            host = new FloatPointer(data);
        }
        upload(host, t);
        return t;
    }

    @Override
    public Tensor fromInts(int[] data, DType dtype, int... shape) {
        checkCount(data.length, shape);
        if (dtype == DType.U8) {
            byte[] b = new byte[data.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) data[i];
            }
            Tensor t = empty(dtype, shape);
            upload(new BytePointer(b), t);
            return t;
        }
        if (dtype != DType.I32) {
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = data[i];
            }
            return fromFloats(f, dtype, shape);
        }
        Tensor t = empty(dtype, shape);
        upload(new IntPointer(data), t);
        return t;
    }

    private static void checkCount(int len, int[] shape) {
        if (Shapes.numel(shape) != len) {
            throw new IllegalArgumentException(len + " elements do not fill shape " + Shapes.str(shape));
        }
    }

    private void upload(Pointer host, Tensor t) {
        long bytes = t.numel() * t.dtype().bytes();
        if (bytes > 0) {
            CudaCheck.runtime(cudart.cudaMemcpyAsync(new DevicePointer(ptr(t)), host, bytes,
                    cudart.cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync to the device");
        }
        dev.synchronize(); // the host buffer may be freed once this returns
        host.close();
    }

    private BytePointer download(Tensor t) {
        long bytes = t.numel() * t.dtype().bytes();
        BytePointer host = new BytePointer(Math.max(bytes, 1));
        checkFlag();
        if (bytes > 0) {
            CudaCheck.runtime(cudart.cudaMemcpyAsync(host, new DevicePointer(ptr(t)), bytes,
                    cudart.cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync to the host");
        }
        dev.synchronize();
        return host;
    }

    @Override
    public float[] toFloats(Tensor t) {
        int n = t.numelInt();
        float[] out = new float[n];
        try (BytePointer host = download(t)) {
            switch (t.dtype()) {
                case U8: {
                    for (int i = 0; i < n; i++) {
                        out[i] = host.get(i) & 0xFF;
                    }
                    break;
                }
                case BF16: {
                    short[] s = new short[n];
                    new ShortPointer(host).get(s);
                    for (int i = 0; i < n; i++) {
                        out[i] = LowPrecision.fromBf16(s[i]);
                    }
                    break;
                }
                case I32: {
                    int[] v = new int[n];
                    new IntPointer(host).get(v);
                    for (int i = 0; i < n; i++) {
                        out[i] = v[i];
                    }
                    break;
                }
                default:
                    new FloatPointer(host).get(out);
            }
        }
        return out;
    }

    @Override
    public int[] toInts(Tensor t) {
        if (t.dtype() != DType.I32 && t.dtype() != DType.U8) {
            float[] f = toFloats(t);
            int[] out = new int[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = (int) f[i];
            }
            return out;
        }
        int[] out = new int[t.numelInt()];
        try (BytePointer host = download(t)) {
            if (t.dtype() == DType.U8) {
                for (int i = 0; i < out.length; i++) {
                    out[i] = host.get(i) & 0xFF;
                }
            } else {
                new IntPointer(host).get(out);
            }
        }
        return out;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (src.numel() != dst.numel()) {
            throw new IllegalArgumentException("copy " + src + " into " + dst + ": element counts differ");
        }
        if (src.dtype() == dst.dtype()) {
            long bytes = src.numel() * src.dtype().bytes();
            if (bytes > 0 && ptr(src) != ptr(dst)) {
                long t0 = OpProfile.begin();
                CudaCheck.runtime(cudart.cudaMemcpyAsync(new DevicePointer(ptr(dst)), new DevicePointer(ptr(src)), bytes,
                        cudart.cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync on the device");
                OpProfile.end("device copy", t0);
            }
        } else {
            launch("k_convert", src.numel(), ptr(src), code(src), ptr(dst), code(dst), src.numel());
        }
    }

    @Override
    public Tensor cast(Tensor src, DType dtype) {
        Tensor out = empty(dtype, src.shape());
        copy(src, out);
        return out;
    }

    @Override
    public void fill(Tensor t, float value) {
        launch("k_fill", t.numel(), ptr(t), code(t), t.numel(), value);
    }

    @Override
    public void release(Tensor t) {
        CudaStorage s = (CudaStorage) t.storage();
        if (!plans.isEmpty()) {
            DevicePlan plan = plans.remove(s);
            if (plan != null) {
                plan.close();
            }
        }
        if (sideReleases != null) {
            sideReleases.add(s);
        } else if (s.ready != null || s.sideReads != null) {
            dev.allocator.freeAfter(s.address(), s.bytes(), s.sideReads != null ? s.sideReads : s.ready);
        } else {
            dev.allocator.free(s.address(), s.bytes());
        }
    }

    // ---- matrix products --------------------------------------------------------------------

    @Override
    public void gemm(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
        GemmShape g = GemmShape.of(a, transA, b, transB, c);
        int m = g.m();
        int n = g.n();
        int kk = g.k();
        int batch = g.batch();
        int batchB = g.batchB();
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        // cuBLAS multiplies operands of one type; a mixed pair is widened to fp32 (exact for bf16)
        Tensor aa = a;
        Tensor bb = b;
        if (a.dtype() != b.dtype()) {
            aa = a.dtype() == DType.F32 ? a : cast(a, DType.F32);
            bb = b.dtype() == DType.F32 ? b : cast(b, DType.F32);
        }
        // fp32 operands cannot write a bf16 C directly: go through an fp32 copy of C
        Tensor cc = aa.dtype() == DType.F32 && c.dtype() != DType.F32 ? cast(c, DType.F32) : c;
        try {
            if (kk == 0 && beta == 0f) {
                fill(cc, 0f);
            } else if (kk == 0) {
                try (Tensor s = scale(cc, beta)) {
                    copy(s, cc);
                }
            } else {
                this.alpha.put(0, alpha);
                this.beta.put(0, beta);
                int abType = aa.dtype() == DType.BF16 ? CUDA_R_16BF : CUDA_R_32F;
                int cType = cc.dtype() == DType.BF16 ? CUDA_R_16BF : CUDA_R_32F;
                // row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T
                long t0 = OpProfile.begin();
                CudaCheck.blas(cublas.cublasGemmStridedBatchedEx(blas,
                        transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                        n, m, kk, this.alpha,
                        new DevicePointer(ptr(bb)), abType, bb.dim(-1), batchB == 1 ? 0L : (long) kk * n,
                        new DevicePointer(ptr(aa)), abType, aa.dim(-1), (long) m * kk,
                        this.beta, new DevicePointer(ptr(cc)), cType, n, (long) m * n, batch,
                        cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmStridedBatchedEx");
                OpProfile.end(batch > 1 ? "gemm batched (attention)" : Math.min(m, Math.min(n, kk)) <= 64
                        ? "gemm (a side <= 64)" : "gemm", t0);
            }
            if (cc != c) {
                copy(cc, c);
            }
        } finally {
            if (aa != a) {
                aa.close();
            }
            if (bb != b) {
                bb.close();
            }
            if (cc != c) {
                cc.close();
            }
        }
    }

    // ---- elementwise ------------------------------------------------------------------------

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Shapes.checkTrailing(op.toString(), a.shape(), b.shape());
        Tensor out = emptyLike(a);
        if (bf16x8(a, b)) {
            launch("k_binary_bf16x8", a.numel() / 8, op.ordinal(), ptr(a), ptr(b), ptr(out), a.numel() / 8, b.numel() / 8);
            return out;
        }
        launch("k_binary", a.numel(), op.ordinal(), ptr(a), code(a), ptr(b), code(b), ptr(out), code(out), a.numel(),
                b.numel());
        return out;
    }

    @Override
    public Tensor scale(Tensor a, float s) {
        Tensor out = emptyLike(a);
        launch("k_scale", a.numel(), ptr(a), code(a), ptr(out), code(out), a.numel(), s);
        return out;
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        if (x.numel() != y.numel()) {
            throw new IllegalArgumentException("axpy " + x + " into " + y + ": element counts differ");
        }
        if (bf16x8(x, y)) {
            launch("k_axpy_bf16x8", x.numel() / 8, ptr(x), ptr(y), x.numel() / 8, alpha);
            return;
        }
        launch("k_axpy", x.numel(), ptr(x), code(x), ptr(y), code(y), x.numel(), alpha);
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = emptyLike(x);
        if (bf16x8(x, x)) {
            launch("k_unary_bf16x8", x.numel() / 8, op.ordinal(), ptr(x), ptr(out), x.numel() / 8);
            return out;
        }
        launch("k_unary", x.numel(), op.ordinal(), ptr(x), code(x), ptr(out), code(out), x.numel());
        return out;
    }

    @Override
    public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor dy) {
        Tensor out = emptyLike(x);
        if (bf16x8(x, dy)) {
            launch("k_unary_bwd_bf16x8", x.numel() / 8, op.ordinal(), ptr(x), ptr(dy), ptr(out), x.numel() / 8);
            return out;
        }
        launch("k_unary_bwd", x.numel(), op.ordinal(), ptr(x), code(x), ptr(dy), code(dy), ptr(out), code(out), x.numel());
        return out;
    }

    // ---- reductions -------------------------------------------------------------------------

    @Override
    public Tensor sumToTrailing(Tensor a, int[] trailingShape) {
        long cols = Shapes.numel(trailingShape);
        if (cols == 0 || a.numel() % cols != 0) {
            throw new IllegalArgumentException("cannot sum " + a + " down to " + Shapes.str(trailingShape));
        }
        Tensor out = empty(a.dtype(), trailingShape);
        launch("k_sum_to_trailing", cols, ptr(a), code(a), ptr(out), code(out), a.numel() / cols, cols);
        return out;
    }

    private void reduceToScratch(Tensor a, boolean squares) {
        memset(scratch, 8);
        kernels.launch("k_reduce_sum", stream, blocks(a.numel()), 1, THREADS, 1, ptr(a), code(a), a.numel(),
                squares ? 1 : 0, scratch);
    }

    @Override
    public Tensor sumAll(Tensor a) {
        reduceToScratch(a, false);
        Tensor out = empty(DType.F32, 1);
        kernels.launch("k_double_to_float", stream, 1, 1, 1, 1, scratch, ptr(out));
        return out;
    }

    @Override
    public double sumSquares(Tensor a) {
        reduceToScratch(a, true);
        try (org.bytedeco.javacpp.DoublePointer host = new org.bytedeco.javacpp.DoublePointer(1)) {
            CudaCheck.runtime(cudart.cudaMemcpyAsync(host, new DevicePointer(scratch), 8, cudart.cudaMemcpyDeviceToHost,
                    stream), "cudaMemcpyAsync to the host");
            dev.synchronize();
            return host.get(0);
        }
    }

    // ---- neural-network ops -----------------------------------------------------------------

    @Override
    public Tensor softmax(Tensor x) {
        int n = x.dim(-1);
        Tensor out = emptyLike(x);
        launchRows("k_softmax", x.numelInt() / n, rowThreads(n), ptr(x), code(x), ptr(out), code(out), n);
        return out;
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor dy) {
        int n = y.dim(-1);
        Tensor out = emptyLike(y);
        Tensor g = dy.dtype() == y.dtype() ? dy : cast(dy, y.dtype());
        launchRows("k_softmax_bwd", y.numelInt() / n, rowThreads(n), ptr(y), ptr(g), ptr(out), code(y), n);
        if (g != dy) {
            g.close();
        }
        return out;
    }

    private NormResult normForward(Tensor x, Tensor w, Tensor b, float eps, float offset, boolean centered) {
        int n = x.dim(-1);
        int rows = x.numelInt() / n;
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - 1);
        Tensor out = emptyLike(x);
        Tensor mean = centered ? empty(DType.F32, statShape) : null;
        Tensor rstd = empty(DType.F32, statShape);
        launchRows("k_norm_fwd", rows, rowThreads(n), ptr(x), code(x), ptr(w), code(w), ptr(b),
                b == null ? 0 : code(b), ptr(out), code(out), ptr(mean), ptr(rstd), n, eps, offset, centered ? 1 : 0);
        return new NormResult(out, mean, rstd);
    }

    private NormGrads normBackward(Tensor x, Tensor w, NormResult saved, Tensor dy, float offset, boolean wantWeightGrads,
                                   boolean centered) {
        int n = x.dim(-1);
        int rows = x.numelInt() / n;
        Tensor dx = emptyLike(x);
        // weight gradients need one partial row per block, so those launches cap the grid; without
        // them every row gets its own block
        int grid = wantWeightGrads ? Math.max(1, Math.min(rows, dev.multiprocessors * 2)) : Math.max(1, rows);
        Tensor dwPart = wantWeightGrads ? zeros(DType.F32, grid, n) : null;
        Tensor dbPart = wantWeightGrads && centered ? zeros(DType.F32, grid, n) : null;
        if (rows > 0) {
            kernels.launch("k_norm_bwd", stream, grid, 1, rowThreads(n), 1, ptr(x), code(x), ptr(w), code(w),
                    ptr(saved.mean()), ptr(saved.rstd()), ptr(dy), code(dy), ptr(dx), code(dx), rows, n, offset,
                    centered ? 1 : 0, ptr(dwPart), ptr(dbPart));
        }
        Tensor dw = null;
        Tensor db = null;
        if (wantWeightGrads) {
            dw = empty(w.dtype(), w.shape());
            launch("k_sum_parts", n, ptr(dwPart), grid, n, ptr(dw), code(dw));
            dwPart.close();
            if (centered) {
                db = empty(w.dtype(), w.shape());
                launch("k_sum_parts", n, ptr(dbPart), grid, n, ptr(db), code(db));
                dbPart.close();
            }
        }
        return new NormGrads(dx, dw, db);
    }

    @Override
    public NormResult layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return normForward(x, gamma, beta, eps, 0f, true);
    }

    @Override
    public NormGrads layerNormBackward(Tensor x, Tensor gamma, NormResult saved, Tensor dy, boolean wantWeightGrads) {
        return normBackward(x, gamma, saved, dy, 0f, wantWeightGrads, true);
    }

    @Override
    public NormResult rmsNorm(Tensor x, Tensor w, float eps, float weightOffset) {
        return normForward(x, w, null, eps, weightOffset, false);
    }

    @Override
    public NormGrads rmsNormBackward(Tensor x, Tensor w, NormResult saved, Tensor dy, float weightOffset,
                                     boolean wantWeightGrads) {
        return normBackward(x, w, saved, dy, weightOffset, wantWeightGrads, false);
    }

    @Override
    public Tensor rope(Tensor x, Tensor cos, Tensor sin, Tensor positions, boolean inverse) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("rope expects (batch, seq, heads, headDim), got " + x);
        }
        int heads = x.dim(2);
        int d = x.dim(3);
        long bt = (long) x.dim(0) * x.dim(1);
        if (cos.dim(-1) != d / 2 || positions.numel() != bt || cos.dtype() != DType.F32 || sin.dtype() != DType.F32) {
            throw new IllegalArgumentException("rope tables " + cos + " / positions " + positions + " do not fit " + x);
        }
        Tensor out = emptyLike(x);
        launch("k_rope", bt * heads * (d / 2), ptr(x), code(x), ptr(cos), ptr(sin), ptr(positions), ptr(out), code(out),
                bt, heads, d, cos.dim(0), inverse ? -1f : 1f, flag);
        return out;
    }

    @Override
    public Tensor embedding(Tensor table, Tensor ids) {
        int dim = table.dim(1);
        int[] outShape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        outShape[ids.rank()] = dim;
        Tensor out = empty(table.dtype(), outShape);
        launch("k_embedding", ids.numel() * dim, ptr(table), code(table), ptr(ids), ptr(out), code(out), ids.numel(), dim,
                table.dim(0), flag);
        return out;
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        int dim = dTable.dim(1);
        try (Tensor acc = zeros(DType.F32, dTable.shape())) {
            launch("k_embedding_bwd", ids.numel() * dim, ptr(ids), ptr(dOut), code(dOut), ptr(acc), ids.numel(), dim,
                    dTable.dim(0));
            axpy(1f, acc, dTable);
        }
    }

    @Override
    public void indexCopy(Tensor src, Tensor rows, Tensor dst) {
        int width = dst.dim(-1);
        if (src.numel() != rows.numel() * width) {
            throw new IllegalArgumentException("indexCopy: " + src + " is not " + rows.numel() + " rows of " + width);
        }
        launch("k_index_copy", src.numel(), ptr(src), code(src), ptr(rows), ptr(dst), code(dst), rows.numel(), width,
                dst.numelInt() / width, flag);
    }

    @Override
    public CrossEntropyResult crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        int vocab = logits.dim(-1);
        int rows = logits.numelInt() / vocab;
        if (targets.numel() != rows) {
            throw new IllegalArgumentException("cross-entropy: " + rows + " rows of logits but " + targets.numel()
                    + " targets");
        }
        Tensor loss = empty(DType.F32, rows);
        Tensor lse = empty(DType.F32, rows);
        launchRows("k_ce_fwd", rows, 512, ptr(logits), code(logits), ptr(targets), ptr(loss), ptr(lse), vocab,
                ignoreIndex, flag);
        return new CrossEntropyResult(loss, lse);
    }

    @Override
    public Tensor crossEntropyBackward(Tensor logits, Tensor targets, CrossEntropyResult saved, Tensor dLoss,
                                       int ignoreIndex) {
        int vocab = logits.dim(-1);
        int rows = logits.numelInt() / vocab;
        Tensor dl = dLoss.dtype() == DType.F32 ? dLoss : cast(dLoss, DType.F32);
        Tensor out = emptyLike(logits);
        launchRows("k_ce_bwd", rows, 512, ptr(logits), code(logits), ptr(targets), ptr(saved.logSumExp()), ptr(dl),
                dl.numel() == 1 ? 0 : 1, ptr(out), code(out), vocab, ignoreIndex);
        if (dl != dLoss) {
            dl.close();
        }
        return out;
    }

    // ---- attention --------------------------------------------------------------------------

    /** Dimensions of one attention call; scores are laid out (batch * kvHeads, group * tq, tk). */
    private record AttnDims(int batch, int tq, int tk, int hq, int hkv, int d) {
        int group() {
            return hq / hkv;
        }

        int scoreRows() {
            return batch * hq * tq;
        }
    }

    private static AttnDims attnDims(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || !k.sameShape(v)) {
            throw new IllegalArgumentException("attention expects (batch, seq, heads, headDim): q " + q + ", k " + k
                    + ", v " + v);
        }
        AttnDims dm = new AttnDims(q.dim(0), q.dim(1), k.dim(1), q.dim(2), k.dim(2), q.dim(3));
        if (k.dim(0) != dm.batch() || k.dim(3) != dm.d() || dm.hq() % dm.hkv() != 0 || dm.tq() > dm.tk() || dm.d() % 2 != 0
                || q.numel() >= Integer.MAX_VALUE || k.numel() >= Integer.MAX_VALUE
                || (long) dm.batch() * dm.hq() * dm.tq() * dm.tk() >= Integer.MAX_VALUE
                || q.dtype() != k.dtype() || k.dtype() != v.dtype()) {
            throw new IllegalArgumentException("attention shapes do not agree: q " + q + ", k " + k + ", v " + v);
        }
        return dm;
    }

    /** (B, T, H, D) to head-major (B * H/group, group * T, D) for the batched products. */
    private Tensor headMajor(Tensor x, int group) {
        int b = x.dim(0);
        int t = x.dim(1);
        int h = x.dim(2);
        int d = x.dim(3);
        Tensor out = empty(x.dtype(), b * (h / group), group * t, d);
        launch("k_heads_permute", x.numel() / 2, ptr(x), ptr(out), code(x), b, t, h, d, 0);
        return out;
    }

    private Tensor tokenMajor(Tensor x, int b, int t, int h, int d) {
        Tensor out = empty(x.dtype(), b, t, h, d);
        launch("k_heads_permute", x.numel() / 2, ptr(x), ptr(out), code(x), b, t, h, d, 1);
        return out;
    }

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale) {
        AttnDims dm = attnDims(q, k, v);
        if (q.dtype() == DType.BF16 && (dm.d() == 64 || dm.d() == 128)) {
            // fused: the scores stay on chip
            Tensor out = emptyLike(q);
            Tensor lse = empty(DType.F32, dm.batch(), dm.hq(), dm.tq());
            kernels.launch(dm.d() == 64 ? "k_flash_fwd_d64" : "k_flash_fwd_d128", stream, (dm.tq() + 63) / 64,
                    dm.batch() * dm.hq(), 128, 1, ptr(q), ptr(k), ptr(v), ptr(keyMask), ptr(out), ptr(lse), dm.tq(), dm.tk(),
                    dm.hq(), dm.hkv(), causal ? 1 : 0, scale);
            return new AttentionResult(out, lse);
        }
        int bk = dm.batch() * dm.hkv();
        int rowsPerBatch = dm.group() * dm.tq();
        Tensor lse = empty(DType.F32, dm.batch(), dm.hq(), dm.tq());
        try (Tensor qh = headMajor(q, dm.group()); Tensor kh = headMajor(k, 1); Tensor vh = headMajor(v, 1);
             Tensor s = empty(q.dtype(), bk, rowsPerBatch, dm.tk()); Tensor p = empty(q.dtype(), bk, rowsPerBatch, dm.tk());
             Tensor oh = empty(q.dtype(), bk, rowsPerBatch, dm.d())) {
            gemm(qh, false, kh, true, s, 1f, 0f);
            launchWarps("k_attn_softmax", dm.scoreRows(), ptr(s), code(s), ptr(p), code(p), ptr(lse), ptr(keyMask), dm.hq(),
                    dm.tq(), dm.tk(), causal ? 1 : 0, scale, dm.scoreRows());
            gemm(p, false, vh, false, oh, 1f, 0f);
            return new AttentionResult(tokenMajor(oh, dm.batch(), dm.tq(), dm.hq(), dm.d()), lse);
        }
    }

    @Override
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale,
                                            AttentionResult saved, Tensor dOut) {
        AttnDims dm = attnDims(q, k, v);
        int bk = dm.batch() * dm.hkv();
        int rowsPerBatch = dm.group() * dm.tq();
        Tensor g = dOut.dtype() == q.dtype() ? dOut : cast(dOut, q.dtype());
        Tensor o = saved.out().dtype() == q.dtype() ? saved.out() : cast(saved.out(), q.dtype());
        try (Tensor qh = headMajor(q, dm.group()); Tensor kh = headMajor(k, 1); Tensor vh = headMajor(v, 1);
             Tensor doh = headMajor(g, dm.group()); Tensor delta = empty(DType.F32, dm.batch(), dm.hq(), dm.tq());
             Tensor s = empty(q.dtype(), bk, rowsPerBatch, dm.tk()); Tensor dp = empty(DType.F32, bk, rowsPerBatch, dm.tk());
             Tensor p = empty(q.dtype(), bk, rowsPerBatch, dm.tk()); Tensor ds = empty(q.dtype(), bk, rowsPerBatch, dm.tk());
             Tensor dqh = empty(q.dtype(), bk, rowsPerBatch, dm.d()); Tensor dkh = empty(q.dtype(), bk, dm.tk(), dm.d());
             Tensor dvh = empty(q.dtype(), bk, dm.tk(), dm.d())) {
            gemm(qh, false, kh, true, s, 1f, 0f);
            gemm(doh, false, vh, true, dp, 1f, 0f);
            long rows = (long) dm.scoreRows();
            kernels.launch("k_attn_delta", stream, (int) ((rows * 32 + THREADS - 1) / THREADS), 1, THREADS, 1, ptr(g), ptr(o),
                    code(g), ptr(delta), dm.batch(), dm.tq(), dm.hq(), dm.d());
            launchWarps("k_attn_bwd_scores", dm.scoreRows(), ptr(s), code(s), ptr(dp), ptr(saved.logSumExp()), ptr(delta),
                    ptr(p), ptr(ds), code(p), ptr(keyMask), dm.hq(), dm.tq(), dm.tk(), causal ? 1 : 0, scale, dm.scoreRows());
            gemm(p, true, doh, false, dvh, 1f, 0f);
            gemm(ds, false, kh, false, dqh, 1f, 0f);
            gemm(ds, true, qh, false, dkh, 1f, 0f);
            return new AttentionGrads(tokenMajor(dqh, dm.batch(), dm.tq(), dm.hq(), dm.d()),
                    tokenMajor(dkh, dm.batch(), dm.tk(), dm.hkv(), dm.d()),
                    tokenMajor(dvh, dm.batch(), dm.tk(), dm.hkv(), dm.d()));
        } finally {
            if (g != dOut) {
                g.close();
            }
            if (o != saved.out()) {
                o.close();
            }
        }
    }

    /** Selection happens on the host: it runs once per mask choice, never inside a training step. */
    @Override
    public Tensor topk(Tensor x, int kk) {
        float[] v = toFloats(x);
        if (kk < 0 || kk > v.length) {
            throw new IllegalArgumentException("top-" + kk + " of " + v.length + " elements");
        }
        int[] result = new int[kk];
        if (kk > 0) {
            float[] sorted = v.clone();
            Arrays.sort(sorted);
            float threshold = sorted[v.length - kk];
            int n = 0;
            for (int e = 0; e < v.length && n < kk; e++) {
                if (v[e] > threshold) {
                    result[n++] = e;
                }
            }
            for (int e = 0; e < v.length && n < kk; e++) {
                if (v[e] == threshold) {
                    result[n++] = e;
                }
            }
            Arrays.sort(result);
        }
        return fromInts(result, DType.I32, kk);
    }

    // ---- sparse (CSR) -----------------------------------------------------------------------

    private static void checkCsr(Tensor rowOffs, Tensor colIdx, long nnz, int n) {
        if (rowOffs.numel() != n + 1L || colIdx.numel() != nnz || rowOffs.dtype() != DType.I32
                || colIdx.dtype() != DType.I32) {
            throw new IllegalArgumentException("CSR structure (" + rowOffs + " offsets, " + colIdx
                    + " columns) does not describe " + nnz + " values of " + n + " rows");
        }
    }

    @Override
    public Tensor csrAddDense(Tensor values, Tensor rowOffs, Tensor colIdx, Tensor dense) {
        int n = dense.dim(0);
        checkCsr(rowOffs, colIdx, values.numel(), n);
        Tensor out = emptyLike(dense);
        launchRows("k_csr_add", n, 256, ptr(dense), ptr(values), code(values), ptr(rowOffs), ptr(colIdx), ptr(out), code(out),
                dense.dim(1));
        return out;
    }

    @Override
    public void csrAddInPlace(Tensor values, Tensor rowOffs, Tensor colIdx, Tensor dense, Tensor saved) {
        int n = dense.dim(0);
        checkCsr(rowOffs, colIdx, values.numel(), n);
        if (saved.numel() != values.numel() || saved.dtype() != dense.dtype()) {
            throw new IllegalArgumentException("csrAddInPlace: " + saved + " cannot hold " + values.numel()
                    + " elements of " + dense);
        }
        launchWarps("k_csr_add_inplace", n, ptr(values), code(values), ptr(rowOffs), ptr(colIdx), ptr(dense),
                ptr(saved), code(dense), n, dense.dim(1));
    }

    @Override
    public void csrRestore(Tensor saved, Tensor rowOffs, Tensor colIdx, Tensor dense) {
        int n = dense.dim(0);
        checkCsr(rowOffs, colIdx, saved.numel(), n);
        launchWarps("k_csr_restore", n, ptr(saved), ptr(rowOffs), ptr(colIdx), ptr(dense), code(dense), n,
                dense.dim(1));
    }

    private Tensor transposed(Tensor x) {
        int rows = x.dim(0);
        int cols = x.dim(1);
        Tensor out = empty(x.dtype(), cols, rows);
        if (x.dtype() == DType.BF16 && rows % 8 == 0 && cols % 8 == 0) {
            kernels.launch("k_transpose_bf16", stream, (cols + 63) / 64, (rows + 63) / 64, 256, 1, ptr(x), ptr(out), rows, cols);
            return out;
        }
        kernels.launch("k_transpose", stream, (cols + 31) / 32, (rows + 31) / 32, 32, 8, ptr(x), ptr(out), code(x), rows, cols);
        return out;
    }

    /**
     * Above this density the sampled product is cheaper as one dense {@code a^T b} GEMM and a gather
     * than as transposes plus the generic gathered-dot kernel (fp32 operands, or shapes the
     * row-group kernel does not take).
     */
    static final double SDDMM_DENSE_ABOVE = 0.0015;
    /**
     * The bf16 row-group kernel reads a row of X^T per non-zero where the dense route's GEMM does
     * n x m x T products whatever the mask, so it wins on sparse masks, but only where its blocks
     * (8 rows each) have enough non-zeros to stream and the transpose of X pays: at most 1% density,
     * at least {@link #SDDMM_ROW_GROUP_MIN_PER_ROW} non-zeros a row, and {@link #SDDMM_ROW_GROUP_MIN_ROWS}
     * rows unless X^T is already made for a sibling layer (H100, runs 19 and 20 in docs/cuda.md: the
     * 7B layers take it, the 1.1B ones, with 2048 inputs, do not).
     */
    static final double SDDMM_ROW_GROUP_MAX = 0.01;
    static final double SDDMM_ROW_GROUP_MIN_PER_ROW = 24;
    static final int SDDMM_ROW_GROUP_MIN_ROWS = 4096;

    /**
     * A RoSA layer's sparse gradient. The row-group kernel runs on the main stream; the dense route
     * and the generic kernel are queued on the side stream, as the gradient is needed only by the
     * optimizer: their GEMM fills gaps the backward pass leaves on the tensor cores (1.1B: -2.5 ms a
     * step), where the L2-bound row-group kernel beside the main stream's GEMMs slows both (7B: +4
     * ms a step).
     */
    @Override
    public Tensor sddmm(Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b) {
        int n = a.dim(1);
        int m = b.dim(1);
        checkCsr(rowOffs, colIdx, colIdx.numel(), n);
        double density = colIdx.numel() / ((double) n * m);
        int[] tile = SDDMM_TILES && tiledSddmm(a, b) && density <= SDDMM_TILES_MAX
                ? sddmmTile(n, m, dev.sharedPerBlockOptin) : null;
        if (tile != null) {
            return sddmmTiles(rowOffs, colIdx, a, b, tile[0], tile[1]);
        }
        if (rowGroupSddmm(a, b) && density <= SDDMM_ROW_GROUP_MAX && density * m >= SDDMM_ROW_GROUP_MIN_PER_ROW
                && (n >= SDDMM_ROW_GROUP_MIN_ROWS || b.storage() == transposedSource)) {
            return sddmmSparse(rowOffs, colIdx, a, b);
        }
        boolean generic = !rowGroupSddmm(a, b) && density <= SDDMM_DENSE_ABOVE;
        return onSideStream(() -> generic ? sddmmSparse(rowOffs, colIdx, a, b) : sddmmDense(rowOffs, colIdx, a, b),
                rowOffs, colIdx, a, b);
    }

    /** bf16, T, n and m multiples of 8, and 8 rows of T bf16 within the device's shared memory per block. */
    private boolean rowGroupSddmm(Tensor a, Tensor b) {
        return a.dtype() == DType.BF16 && b.dtype() == DType.BF16 && a.dim(0) % 8 == 0 && a.dim(1) % 8 == 0
                && b.dim(1) % 8 == 0 && 16L * a.dim(0) <= dev.sharedPerBlockOptin;
    }

    /**
     * SDDMM as the dense {@code a^T b} (fp32 accumulation) sampled on the mask. The dense product is
     * stored in the operands' precision, so bf16 operands give bf16-rounded gradients, as PyTorch
     * gives a bf16 parameter (half the bytes the GEMM writes and the gather reads).
     */
    public Tensor sddmmDense(Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b) {
        int n = a.dim(1);
        int m = b.dim(1);
        Tensor out = empty(DType.F32, colIdx.numelInt());
        DType denseType = a.dtype() == DType.BF16 && b.dtype() == DType.BF16 ? DType.BF16 : DType.F32;
        try (Tensor dense = empty(denseType, n, m)) {
            gemm(a, true, b, false, dense, 1f, 0f);
            launchWarps("k_csr_gather", n, ptr(rowOffs), ptr(colIdx), ptr(dense), code(dense), ptr(out), n, m);
        }
        return out;
    }

    /**
     * SDDMM by a gathered-dot kernel, never forming the dense product: for bf16 the row-group
     * kernel on {@code a} as stored and {@code b^T} (shared by consecutive calls on the same
     * {@code b}), otherwise the generic kernel on both operands transposed.
     */
    public Tensor sddmmSparse(Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b) {
        Tensor out = empty(DType.F32, colIdx.numelInt());
        if (rowGroupSddmm(a, b)) {
            int t = a.dim(0);
            kernels.launchShared("k_sddmm_rows8", stream, a.dim(1) / 8, 1, 256, 1, 16 * t, ptr(rowOffs), ptr(colIdx), ptr(a),
                    ptr(transposedInput(b)), ptr(out), a.dim(1), t);
            return out;
        }
        DType dt = a.dtype() == b.dtype() ? a.dtype() : DType.F32;
        try (Tensor a2 = a.dtype() == dt ? null : cast(a, dt); Tensor b2 = b.dtype() == dt ? null : cast(b, dt);
             Tensor at = transposed(a2 == null ? a : a2); Tensor bt = transposed(b2 == null ? b : b2)) {
            launchWarps("k_sddmm", at.dim(0), ptr(rowOffs), ptr(colIdx), ptr(at), ptr(bt), code(at), ptr(out), at.dim(0),
                    at.dim(1));
        }
        return out;
    }

    /**
     * SDDMM by the tiled kernel: a block per slab of output rows and 64 tokens, staging the slab's
     * dO and, panel by panel, columns of X in shared memory, then one partial sum per plan entry and
     * token block, summed in order and scattered to the CSR order. The slab is up to 1024 rows and the
     * panel, on an H100, 384 columns (with its raw copy, 224 KB of shared memory), so each staged column
     * of X serves about {@code 1024 d} non-zeros.
     */
    public Tensor sddmmTiles(Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b) {
        int[] tile = sddmmTile(a.dim(1), b.dim(1), dev.sharedPerBlockOptin);
        return sddmmTiles(rowOffs, colIdx, a, b, tile[0], tile[1]);
    }

    /**
     * The slab and panel of an {@code n x m} mask: up to 1024 rows, and the rest of the device's shared
     * memory per block to the panel and its raw copy (on an H100 1024 x 384; on a 99 KB device the
     * slab gives way to a panel of at least 128 columns); null where not even 16 x 64 fits.
     */
    static int[] sddmmTile(int n, int m, long sharedPerBlock) {
        int budget = (int) (sharedPerBlock / SDDMM_STAGED_ROW_BYTES);
        int cols = Math.min(ceil(m, 64), Math.max(128, ((budget - SDDMM_SLAB_ROWS) / 2) & ~63));
        int rows = Math.min(ceil(n, 16), Math.min(SDDMM_SLAB_ROWS, (budget - 2 * cols) & ~15));
        cols = Math.min(ceil(m, 64), ((budget - rows) / 2) & ~63);
        return rows >= 16 && cols >= 64 ? new int[] {rows, cols} : null;
    }

    /**
     * {@link #sddmmTiles(Tensor, Tensor, Tensor, Tensor)} with the slab and panel sizes given (multiples
     * of 16 and 64).
     */
    public Tensor sddmmTiles(Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b, int slabRows, int panelCols) {
        int t = a.dim(0);
        int n = a.dim(1);
        int m = b.dim(1);
        checkCsr(rowOffs, colIdx, colIdx.numel(), n);
        if (b.dim(0) != t) {
            throw new IllegalArgumentException("sddmm: dO " + a + " and X " + b + " have different token counts");
        }
        long shared = (long) (slabRows + 2L * panelCols) * SDDMM_STAGED_ROW_BYTES;
        if (!tiledSddmm(a, b) || slabRows < 16 || panelCols < 64 || slabRows % 16 != 0 || panelCols % 64 != 0
                || slabRows > SDDMM_SLAB_ROWS || shared > dev.sharedPerBlockOptin) {
            throw new IllegalArgumentException("sddmm tiles: " + a + ", " + b + " with slabs of " + slabRows
                    + " and panels of " + panelCols + " (" + shared + " bytes of shared memory)");
        }
        int nnz = colIdx.numelInt();
        Tensor out = empty(DType.F32, nnz);
        if (nnz == 0 || t == 0) {
            fill(out, 0f);
            return out;
        }
        DevicePlan plan = plan(rowOffs, colIdx, n, m, slabRows, panelCols);
        int tokenBlocks = (t + 63) / 64;
        int entries = (int) (plan.entries().numel() / 2);
        try (Tensor partials = empty(DType.F32, tokenBlocks, entries)) {
            kernels.launchShared("k_sddmm_tiles", stream, plan.slabs(), tokenBlocks, 512, 1, (int) shared,
                    ptr(plan.entries()), ptr(plan.offsets()), ptr(a), ptr(b), ptr(partials), n, m, t, entries, slabRows,
                    panelCols, plan.panels());
            launch("k_sum_plan_parts", entries, ptr(partials), tokenBlocks, entries, ptr(plan.entries()), ptr(out));
        }
        return out;
    }

    static final int SDDMM_SLAB_ROWS = 1024;
    /**
     * The tiled kernel's density limit (its cost against the dense GEMM crosses at about 2% by
     * instruction counts). It is taken only with {@code -Drosarium.cuda.sddmmTiles=true} until it
     * beats the row-group kernel: on an H100 (runs 26-27) its first staging bound it and it was slower;
     * the staging by {@code cp.async} and {@code ldmatrix.trans} that replaced it is not yet measured.
     */
    static final double SDDMM_TILES_MAX = 0.02;
    static final boolean SDDMM_TILES = Boolean.getBoolean("rosarium.cuda.sddmmTiles");
    /** A staged row: 64 tokens of one feature in bf16. */
    static final int SDDMM_STAGED_ROW_BYTES = 128;

    /** bf16 operands whose feature counts are multiples of 8 (the staging copies 16-byte chunks). */
    private static boolean tiledSddmm(Tensor a, Tensor b) {
        return a.dtype() == DType.BF16 && b.dtype() == DType.BF16 && a.dim(1) % 8 == 0 && b.dim(1) % 8 == 0;
    }

    /** v rounded up to a multiple of the power of two {@code align}. */
    private static int ceil(int v, int align) {
        return (v + align - 1) & -align;
    }

    /** A mask's {@link SddmmPlan} on the device, with the shape it was made for. */
    private record DevicePlan(int rows, int cols, int slabRows, int panelCols, int slabs, int panels, Tensor entries,
                              Tensor offsets) implements AutoCloseable {
        boolean fits(int n, int m, int slabRows, int panelCols) {
            return rows == n && cols == m && this.slabRows == slabRows && this.panelCols == panelCols;
        }

        @Override
        public void close() {
            entries.close();
            offsets.close();
        }
    }

    /**
     * Plans by the buffer of the mask's column indices, which RoSA keeps for as long as the mask
     * holds; a plan is freed with that buffer ({@link #release}).
     */
    private final java.util.IdentityHashMap<CudaStorage, DevicePlan> plans = new java.util.IdentityHashMap<>();

    private DevicePlan plan(Tensor rowOffs, Tensor colIdx, int n, int m, int slabRows, int panelCols) {
        CudaStorage key = (CudaStorage) colIdx.storage();
        DevicePlan plan = plans.get(key);
        if (plan != null && plan.fits(n, m, slabRows, panelCols)) {
            return plan;
        }
        DevicePlan old = plans.remove(key);
        if (old != null) {
            old.close();
        }
        SddmmPlan shape = SddmmPlan.of(toInts(rowOffs), toInts(colIdx), n, m, slabRows, panelCols);
        plan = new DevicePlan(n, m, slabRows, panelCols, shape.slabs(), shape.panels(),
                fromInts(shape.entries(), DType.I32, shape.entries().length),
                fromInts(shape.offsets(), DType.I32, shape.offsets().length));
        plans.put(key, plan);
        return plan;
    }

    /** The last X^T made for the SDDMM and whose X it is: q, k and v (gate and up) share X. */
    private CudaStorage transposedSource;
    private Tensor transposedInput;

    private Tensor transposedInput(Tensor b) {
        CudaStorage source = (CudaStorage) b.storage();
        if (source != transposedSource || transposedInput.dim(0) != b.dim(1) || transposedInput.dim(1) != b.dim(0)) {
            if (transposedInput != null) {
                transposedInput.close();
                transposedInput = null;
                transposedSource = null;
            }
            transposedInput = transposed(b);
            transposedSource = source;
        }
        return transposedInput;
    }

    @Override
    public Tensor spmm(Tensor values, Tensor rowOffs, Tensor colIdx, int cols, Tensor x, boolean transposed) {
        int n = (int) rowOffs.numel() - 1;
        checkCsr(rowOffs, colIdx, values.numel(), n);
        int t = x.dim(0);
        int inCols = transposed ? n : cols;
        if (x.dim(1) != inCols) {
            throw new IllegalArgumentException("spmm: input " + x + " does not have " + inCols + " columns");
        }
        if (!transposed) {
            Tensor out = empty(x.dtype(), t, n);
            launch("k_spmm", (long) t * n, ptr(values), code(values), ptr(rowOffs), ptr(colIdx), ptr(x), code(x), ptr(out),
                    code(out), t, n, cols);
            return out;
        }
        try (Tensor acc = zeros(DType.F32, t, cols)) {
            launch("k_spmm_t", (long) t * n, ptr(values), code(values), ptr(rowOffs), ptr(colIdx), ptr(x), code(x), ptr(acc),
                    t, n, cols);
            return cast(acc, x.dtype());
        }
    }

    // ---- NF4 --------------------------------------------------------------------------------

    private Tensor nf4Code;
    private Tensor nf4DynamicMap;

    @Override
    public Tensor dequantizeNf4(Tensor packed, Tensor absmaxCodes, Tensor absmax2, float offset, DType dtype,
                                int... shape) {
        long n = Shapes.numel(shape);
        if (packed.dtype() != DType.U8 || absmaxCodes.dtype() != DType.U8 || packed.numel() != (n + 1) / 2
                || absmaxCodes.numel() != (n + Nf4.BLOCK - 1) / Nf4.BLOCK) {
            throw new IllegalArgumentException("NF4 codes " + packed + " / absmax codes " + absmaxCodes
                    + " do not describe " + n + " weights");
        }
        if (nf4Code == null) {
            nf4Code = fromFloats(Nf4.CODE, DType.F32, Nf4.CODE.length);
            nf4DynamicMap = fromFloats(Nf4.DYNAMIC, DType.F32, Nf4.DYNAMIC.length);
        }
        Tensor out = empty(dtype, shape);
        launch("k_nf4_dequant", n, ptr(packed), ptr(absmaxCodes), ptr(absmax2), ptr(nf4Code), ptr(nf4DynamicMap), offset,
                ptr(out), code(out), n);
        return out;
    }

    // ---- random numbers ---------------------------------------------------------------------

    @Override
    public void fillUniform(Tensor t, float lo, float hi, long seed, long offset) {
        launch("k_uniform", t.numel(), ptr(t), code(t), t.numel(), seed, offset, lo, hi);
    }

    @Override
    public void fillNormal(Tensor t, float mean, float std, long seed, long offset) {
        launch("k_normal", t.numel(), ptr(t), code(t), t.numel(), seed, offset, mean, std);
    }

    // ---- optimizers -------------------------------------------------------------------------

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h) {
        double bc1 = 1 - Math.pow(h.beta1(), h.step());
        double bc2 = 1 - Math.pow(h.beta2(), h.step());
        launch("k_adamw", param.numel(), ptr(param), code(param), ptr(grad), code(grad), ptr(m), ptr(v), param.numel(),
                1f - h.lr() * h.weightDecay(), (float) (h.lr() / bc1), (float) Math.sqrt(bc2), h.beta1(), h.beta2(), h.eps());
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float weightDecay) {
        launch("k_sgd", param.numel(), ptr(param), code(param), ptr(grad), code(grad), ptr(momentumBuffer), param.numel(),
                lr, momentum, weightDecay);
    }
}
