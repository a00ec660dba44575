// Rosarium's CUDA kernels, compiled at run time by NVRTC for the device's architecture.
// Element types are passed as run-time codes (uniform branches, negligible next to memory
// traffic) so one kernel serves fp32, bf16 and int32 tensors; every op computes in fp32 and
// rounds once when it stores a bf16 result, as the CPU reference does. No headers: bf16 is
// handled as raw 16-bit words with the same round-to-nearest-even as LowPrecision.toBf16.

#define DT_F32 0
#define DT_BF16 1
#define DT_I32 2

typedef long long i64;

#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif

__device__ __forceinline__ float bf2f(unsigned short h) { return __uint_as_float(((unsigned int) h) << 16); }

__device__ __forceinline__ unsigned short f2bf(float f) {
    unsigned int b = __float_as_uint(f);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (unsigned short) ((b >> 16) | 0x40u);
    b += 0x7fffu + ((b >> 16) & 1u);
    return (unsigned short) (b >> 16);
}

__device__ __forceinline__ float ld(const void* p, int dt, i64 i) {
    if (dt == DT_BF16) return bf2f(((const unsigned short*) p)[i]);
    if (dt == DT_I32) return (float) ((const int*) p)[i];
    return ((const float*) p)[i];
}

__device__ __forceinline__ void st(void* p, int dt, i64 i, float v) {
    if (dt == DT_BF16) ((unsigned short*) p)[i] = f2bf(v);
    else if (dt == DT_I32) ((int*) p)[i] = (int) v;
    else ((float*) p)[i] = v;
}

#define GRID_STRIDE(i, n) for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64) blockDim.x * gridDim.x)

struct AddOp {
    template <typename T> __device__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Block-wide reduction of one value per thread (blockDim.x a multiple of 32, at most 1024); every
// thread gets the result.
template <typename T, typename Op>
__device__ T block_reduce(T v, T identity, Op op) {
    __shared__ T red[32];
    for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) red[warp] = v;
    __syncthreads();
    int nw = blockDim.x >> 5;
    T r = lane < nw ? red[lane] : identity;
    for (int o = 16; o > 0; o >>= 1) r = op(r, __shfl_xor_sync(0xffffffffu, r, o));
    return r;
}

__device__ float block_sum(float v) { return block_reduce(v, 0.f, AddOp()); }
__device__ float block_max(float v) { return block_reduce(v, -INFINITY, MaxOp()); }
__device__ double block_sum_d(double v) { return block_reduce(v, 0.0, AddOp()); }

// ---- memory -------------------------------------------------------------------------------

extern "C" __global__ void k_fill(void* p, int dt, i64 n, float v) {
    GRID_STRIDE(i, n) st(p, dt, i, v);
}

extern "C" __global__ void k_convert(const void* s, int sdt, void* d, int ddt, i64 n) {
    GRID_STRIDE(i, n) {
        if (sdt == DT_I32 && ddt == DT_I32) ((int*) d)[i] = ((const int*) s)[i];
        else st(d, ddt, i, ld(s, sdt, i));
    }
}

// ---- elementwise --------------------------------------------------------------------------

extern "C" __global__ void k_binary(int op, const void* a, int adt, const void* b, int bdt, void* o, int odt,
                                    i64 n, i64 nb) {
    GRID_STRIDE(i, n) {
        float u = ld(a, adt, i);
        float w = ld(b, bdt, nb == n ? i : i % nb);
        float r = op == 0 ? u + w : op == 1 ? u - w : op == 2 ? u * w : u / w;
        st(o, odt, i, r);
    }
}

extern "C" __global__ void k_scale(const void* a, int adt, void* o, int odt, i64 n, float s) {
    GRID_STRIDE(i, n) st(o, odt, i, ld(a, adt, i) * s);
}

extern "C" __global__ void k_axpy(const void* x, int xdt, void* y, int ydt, i64 n, float alpha) {
    GRID_STRIDE(i, n) st(y, ydt, i, ld(y, ydt, i) + alpha * ld(x, xdt, i));
}

#define SQRT_2_OVER_PI 0.7978845608028654f

__device__ float unary_value(int op, float v) {
    switch (op) {
        case 0: return 0.5f * v * (1.f + erff(v * 0.7071067811865476f));
        case 1: return 0.5f * v * (1.f + tanhf(SQRT_2_OVER_PI * (v + 0.044715f * v * v * v)));
        case 2: return v / (1.f + expf(-v));
        case 3: return v > 0.f ? v : 0.f;
        case 4: return tanhf(v);
        case 5: return v * v;
        default: return expf(v);
    }
}

__device__ float unary_derivative(int op, float v) {
    switch (op) {
        case 0: {
            float cdf = 0.5f * (1.f + erff(v * 0.7071067811865476f));
            float pdf = expf(-0.5f * v * v) * 0.3989422804014327f;
            return cdf + v * pdf;
        }
        case 1: {
            float t = tanhf(SQRT_2_OVER_PI * (v + 0.044715f * v * v * v));
            float dInner = SQRT_2_OVER_PI * (1.f + 3.f * 0.044715f * v * v);
            return 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * dInner;
        }
        case 2: {
            float s = 1.f / (1.f + expf(-v));
            return s * (1.f + v * (1.f - s));
        }
        case 3: return v > 0.f ? 1.f : 0.f;
        case 4: {
            float t = tanhf(v);
            return 1.f - t * t;
        }
        case 5: return 2.f * v;
        default: return expf(v);
    }
}

extern "C" __global__ void k_unary(int op, const void* x, int xdt, void* o, int odt, i64 n) {
    GRID_STRIDE(i, n) st(o, odt, i, unary_value(op, ld(x, xdt, i)));
}

extern "C" __global__ void k_unary_bwd(int op, const void* x, int xdt, const void* dy, int dydt, void* o, int odt, i64 n) {
    GRID_STRIDE(i, n) st(o, odt, i, ld(dy, dydt, i) * unary_derivative(op, ld(x, xdt, i)));
}

// ---- elementwise on bf16, eight elements (16 bytes) a thread ----------------------------------
// Used when every operand is bf16 and the counts are multiples of 8 (the common training case).

__device__ __forceinline__ void unpack8(uint4 u, float f[8]) {
    unsigned int w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
    for (int e = 0; e < 4; e++) {
        f[2 * e] = __uint_as_float(w[e] << 16);
        f[2 * e + 1] = __uint_as_float(w[e] & 0xffff0000u);
    }
}

__device__ __forceinline__ uint4 pack8(const float f[8]) {
    unsigned int w[4];
#pragma unroll
    for (int e = 0; e < 4; e++) w[e] = (unsigned int) f2bf(f[2 * e]) | ((unsigned int) f2bf(f[2 * e + 1]) << 16);
    return make_uint4(w[0], w[1], w[2], w[3]);
}

extern "C" __global__ void k_binary_bf16x8(int op, const uint4* a, const uint4* b, uint4* o, i64 n8, i64 nb8) {
    GRID_STRIDE(i, n8) {
        float u[8], w[8], r[8];
        unpack8(a[i], u);
        unpack8(b[nb8 == n8 ? i : i % nb8], w);
#pragma unroll
        for (int e = 0; e < 8; e++) r[e] = op == 0 ? u[e] + w[e] : op == 1 ? u[e] - w[e] : op == 2 ? u[e] * w[e] : u[e] / w[e];
        o[i] = pack8(r);
    }
}

extern "C" __global__ void k_axpy_bf16x8(const uint4* x, uint4* y, i64 n8, float alpha) {
    GRID_STRIDE(i, n8) {
        float u[8], w[8];
        unpack8(x[i], u);
        unpack8(y[i], w);
#pragma unroll
        for (int e = 0; e < 8; e++) w[e] = w[e] + alpha * u[e];
        y[i] = pack8(w);
    }
}

extern "C" __global__ void k_unary_bf16x8(int op, const uint4* x, uint4* o, i64 n8) {
    GRID_STRIDE(i, n8) {
        float u[8];
        unpack8(x[i], u);
#pragma unroll
        for (int e = 0; e < 8; e++) u[e] = unary_value(op, u[e]);
        o[i] = pack8(u);
    }
}

extern "C" __global__ void k_unary_bwd_bf16x8(int op, const uint4* x, const uint4* dy, uint4* o, i64 n8) {
    GRID_STRIDE(i, n8) {
        float u[8], g[8];
        unpack8(x[i], u);
        unpack8(dy[i], g);
#pragma unroll
        for (int e = 0; e < 8; e++) g[e] = g[e] * unary_derivative(op, u[e]);
        o[i] = pack8(g);
    }
}

// ---- reductions ---------------------------------------------------------------------------

// Column sums over rows, one thread per column, accumulated in double.
extern "C" __global__ void k_sum_to_trailing(const void* a, int adt, void* o, int odt, i64 rows, i64 cols) {
    GRID_STRIDE(j, cols) {
        double s = 0;
        for (i64 r = 0; r < rows; r++) s += ld(a, adt, r * cols + j);
        st(o, odt, j, (float) s);
    }
}

// out[plan[e].x] = the sum of part[p * entries + e] over p, in order, for every plan entry e whose
// index is not -1 (padding): the tiled SDDMM's partials, written in plan order, scattered once.
extern "C" __global__ void k_sum_plan_parts(const float* part, int parts, int entries, const int2* plan, float* out) {
    GRID_STRIDE(e, (i64) entries) {
        const int k = plan[e].x;
        if (k >= 0) {
            double s = 0;
            for (int p = 0; p < parts; p++) s += part[(i64) p * entries + e];
            out[k] = (float) s;
        }
    }
}

// Adds the sum (or the sum of squares) of all elements to *out (zeroed by the caller).
extern "C" __global__ void k_reduce_sum(const void* a, int adt, i64 n, int squares, double* out) {
    double s = 0;
    GRID_STRIDE(i, n) {
        double v = ld(a, adt, i);
        s += squares ? v * v : v;
    }
    s = block_sum_d(s);
    if (threadIdx.x == 0) atomicAdd(out, s);
}

extern "C" __global__ void k_double_to_float(const double* s, float* d) { d[0] = (float) s[0]; }

// ---- softmax, normalization ---------------------------------------------------------------

// The row's max m and sum of exp(x - m) over n values from base, block-wide: the stable preamble
// of the softmax and of the cross-entropy.
__device__ __forceinline__ void row_max_sumexp(const void* x, int dt, i64 base, int n, float& m, float& s) {
    m = -INFINITY;
    for (int j = threadIdx.x; j < n; j += blockDim.x) m = fmaxf(m, ld(x, dt, base + j));
    m = block_max(m);
    s = 0.f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) s += expf(ld(x, dt, base + j) - m);
    s = block_sum(s);
}

extern "C" __global__ void k_softmax(const void* x, int xdt, void* o, int odt, int n) {
    i64 base = (i64) blockIdx.x * n;
    float m, s;
    row_max_sumexp(x, xdt, base, n, m, s);
    float inv = 1.f / s;
    for (int j = threadIdx.x; j < n; j += blockDim.x) st(o, odt, base + j, expf(ld(x, xdt, base + j) - m) * inv);
}

extern "C" __global__ void k_softmax_bwd(const void* y, const void* dy, void* o, int dt, int n) {
    i64 base = (i64) blockIdx.x * n;
    float dot = 0.f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) dot += ld(y, dt, base + j) * ld(dy, dt, base + j);
    dot = block_sum(dot);
    for (int j = threadIdx.x; j < n; j += blockDim.x)
        st(o, dt, base + j, ld(y, dt, base + j) * (ld(dy, dt, base + j) - dot));
}

// Layer norm (centered) or RMS norm of one row per block; mean may be null for RMS norm.
extern "C" __global__ void k_norm_fwd(const void* x, int xdt, const void* w, int wdt, const void* b, int bdt,
                                      void* o, int odt, float* mean, float* rstd, int n, float eps, float offset,
                                      int centered) {
    i64 base = (i64) blockIdx.x * n;
    float mu = 0.f;
    if (centered) {
        float s = 0.f;
        for (int j = threadIdx.x; j < n; j += blockDim.x) s += ld(x, xdt, base + j);
        mu = block_sum(s) / n;
    }
    float ss = 0.f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        float d = ld(x, xdt, base + j) - mu;
        ss += d * d;
    }
    float rs = rsqrtf(block_sum(ss) / n + eps);
    if (threadIdx.x == 0) {
        rstd[blockIdx.x] = rs;
        if (centered) mean[blockIdx.x] = mu;
    }
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        float xhat = (ld(x, xdt, base + j) - mu) * rs;
        float y = xhat * (offset + ld(w, wdt, j)) + (b != 0 ? ld(b, bdt, j) : 0.f);
        st(o, odt, base + j, y);
    }
}

// Backward of k_norm_fwd. Rows are strided over a fixed grid; block k adds its rows' weight
// gradients into its own slice k of dwPart/dbPart (grid x n, zeroed), reduced afterwards in
// block order, so the result is deterministic.
extern "C" __global__ void k_norm_bwd(const void* x, int xdt, const void* w, int wdt, const float* mean,
                                      const float* rstd, const void* dy, int dydt, void* dx, int dxdt, int rows,
                                      int n, float offset, int centered, float* dwPart, float* dbPart) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 base = (i64) r * n;
        float mu = centered ? mean[r] : 0.f;
        float rs = rstd[r];
        float sg = 0.f, sgx = 0.f;
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            float xhat = (ld(x, xdt, base + j) - mu) * rs;
            float g = ld(dy, dydt, base + j);
            float gj = g * (offset + ld(w, wdt, j));
            sg += gj;
            sgx += gj * xhat;
            if (dwPart != 0) {
                dwPart[(i64) blockIdx.x * n + j] += g * xhat;
                if (centered) dbPart[(i64) blockIdx.x * n + j] += g;
            }
        }
        sg = block_sum(sg);
        sgx = block_sum(sgx);
        float meanG = centered ? sg / n : 0.f;
        float meanGX = sgx / n;
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            float xhat = (ld(x, xdt, base + j) - mu) * rs;
            float gj = ld(dy, dydt, base + j) * (offset + ld(w, wdt, j));
            st(dx, dxdt, base + j, rs * (gj - meanG - xhat * meanGX));
        }
    }
}

extern "C" __global__ void k_sum_parts(const float* part, int parts, int n, void* o, int odt) {
    GRID_STRIDE(j, (i64) n) {
        double s = 0;
        for (int p = 0; p < parts; p++) s += part[(i64) p * n + j];
        st(o, odt, j, (float) s);
    }
}

// ---- positions, embeddings ----------------------------------------------------------------

extern "C" __global__ void k_rope(const void* x, int xdt, const float* cosT, const float* sinT, const int* pos,
                                  void* o, int odt, i64 bt, int heads, int d, int maxPos, float sign, int* err) {
    int half = d / 2;
    GRID_STRIDE(i, bt * heads * half) {
        int j = (int) (i % half);
        i64 row = i / half;  // (bt, head)
        int p = pos[row / heads];
        if (p < 0 || p >= maxPos) {
            atomicExch(err, 1);
            continue;
        }
        float c = cosT[(i64) p * half + j];
        float s = sign * sinT[(i64) p * half + j];
        i64 base = row * d;
        float x1 = ld(x, xdt, base + j), x2 = ld(x, xdt, base + j + half);
        st(o, odt, base + j, x1 * c - x2 * s);
        st(o, odt, base + j + half, x2 * c + x1 * s);
    }
}

extern "C" __global__ void k_embedding(const void* table, int tdt, const int* ids, void* o, int odt, i64 count, int dim,
                                       int vocab, int* err) {
    GRID_STRIDE(i, count * dim) {
        int id = ids[i / dim];
        if (id < 0 || id >= vocab) {
            atomicExch(err, 2);
            st(o, odt, i, 0.f);
            continue;
        }
        st(o, odt, i, ld(table, tdt, (i64) id * dim + i % dim));
    }
}

extern "C" __global__ void k_embedding_bwd(const int* ids, const void* g, int gdt, float* acc, i64 count, int dim,
                                           int vocab) {
    GRID_STRIDE(i, count * dim) {
        int id = ids[i / dim];
        if (id >= 0 && id < vocab) atomicAdd(&acc[(i64) id * dim + i % dim], ld(g, gdt, i));
    }
}

extern "C" __global__ void k_index_copy(const void* s, int sdt, const int* rows, void* d, int ddt, i64 count, int width,
                                        int dstRows, int* err) {
    GRID_STRIDE(i, count * width) {
        int r = rows[i / width];
        if (r < 0 || r >= dstRows) {
            atomicExch(err, 3);
            continue;
        }
        st(d, ddt, (i64) r * width + i % width, ld(s, sdt, i));
    }
}

// ---- cross-entropy ------------------------------------------------------------------------

extern "C" __global__ void k_ce_fwd(const void* logits, int ldt, const int* targets, float* loss, float* lse, int vocab,
                                    int ignore, int* err) {
    i64 base = (i64) blockIdx.x * vocab;
    float m, s;
    row_max_sumexp(logits, ldt, base, vocab, m, s);
    if (threadIdx.x == 0) {
        float l = m + logf(s);
        lse[blockIdx.x] = l;
        int t = targets[blockIdx.x];
        if (t == ignore) loss[blockIdx.x] = 0.f;
        else if (t < 0 || t >= vocab) {
            atomicExch(err, 4);
            loss[blockIdx.x] = 0.f;
        } else loss[blockIdx.x] = l - ld(logits, ldt, base + t);
    }
}

extern "C" __global__ void k_ce_bwd(const void* logits, int ldt, const int* targets, const float* lse,
                                    const float* dloss, int dlossPerRow, void* o, int odt, int vocab, int ignore) {
    i64 base = (i64) blockIdx.x * vocab;
    int t = targets[blockIdx.x];
    if (t == ignore) {
        for (int j = threadIdx.x; j < vocab; j += blockDim.x) st(o, odt, base + j, 0.f);
        return;
    }
    float sc = dloss[dlossPerRow ? blockIdx.x : 0];
    float l = lse[blockIdx.x];
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
        float p = expf(ld(logits, ldt, base + j) - l) * sc;
        st(o, odt, base + j, j == t ? p - sc : p);
    }
}

// ---- attention (materialized scores, batched GEMMs around these kernels) --------------------

// (B, T, H, D) <-> (B, H, T, D); inverse goes from head-major back to token-major. Each thread
// moves two elements (D is even) with 32-bit index arithmetic (callers keep B*T*H*D below 2^31).
extern "C" __global__ void k_heads_permute(const void* in, void* out, int dt, int B, int T, int H, int D, int inverse) {
    int half = D >> 1;
    int n = B * T * H * half;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
        int d = (i % half) * 2;
        int r = i / half;
        int src, dst = r * D + d;
        if (!inverse) {  // r indexes the output rows (B, H, T)
            int t = r % T; r /= T;
            int h = r % H, b = r / H;
            src = ((b * T + t) * H + h) * D + d;
        } else {  // r indexes the output rows (B, T, H)
            int h = r % H; r /= H;
            int t = r % T, b = r / T;
            src = ((b * H + h) * T + t) * D + d;
        }
        if (dt == DT_BF16) ((unsigned int*) out)[dst >> 1] = ((const unsigned int*) in)[src >> 1];
        else ((float2*) out)[dst >> 1] = ((const float2*) in)[src >> 1];
    }
}

// Key s is visible to query t of head row r = (b, h, t) when unmasked and, if causal, not in the future.
__device__ __forceinline__ bool attn_visible(const int* keyMask, int b, int Tq, int Tk, int t, int s, int causal) {
    if (causal && s > Tk - Tq + t) return false;
    return keyMask == 0 || keyMask[(i64) b * Tk + s] != 0;
}

// Scores each lane keeps in registers; longer rows are re-read from memory.
#define ATTN_CACHE 32

// One warp per score row r = (b, h, t): P = softmax(scale * S) over visible keys, lse saved. Keys
// s = lane + 32 j; rows up to 32 * ATTN_CACHE keys are read once and held in registers.
extern "C" __global__ void k_attn_softmax(const void* S, int sdt, void* P, int pdt, float* lse, const int* keyMask, int Hq,
                                          int Tq, int Tk, int causal, float scale, int rows) {
    int r = (int) (((i64) blockIdx.x * blockDim.x + threadIdx.x) >> 5);
    int lane = threadIdx.x & 31;
    if (r >= rows) return;
    int t = r % Tq;
    int b = r / (Hq * Tq);
    i64 base = (i64) r * Tk;
    float v[ATTN_CACHE];
    float m = -INFINITY;
#pragma unroll
    for (int j = 0; j < ATTN_CACHE; j++) {
        int s = lane + 32 * j;
        v[j] = -INFINITY;
        if (s < Tk && attn_visible(keyMask, b, Tq, Tk, t, s, causal)) v[j] = ld(S, sdt, base + s) * scale;
        m = fmaxf(m, v[j]);
    }
    for (int s = lane + 32 * ATTN_CACHE; s < Tk; s += 32)
        if (attn_visible(keyMask, b, Tq, Tk, t, s, causal)) m = fmaxf(m, ld(S, sdt, base + s) * scale);
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
    if (m == -INFINITY) {
        for (int s = lane; s < Tk; s += 32) st(P, pdt, base + s, 0.f);
        if (lane == 0) lse[r] = INFINITY;
        return;
    }
    float sum = 0.f;
#pragma unroll
    for (int j = 0; j < ATTN_CACHE; j++) {
        v[j] = expf(v[j] - m);  // exp(-inf) = 0 for hidden and absent keys
        sum += v[j];
    }
    for (int s = lane + 32 * ATTN_CACHE; s < Tk; s += 32)
        if (attn_visible(keyMask, b, Tq, Tk, t, s, causal)) sum += expf(ld(S, sdt, base + s) * scale - m);
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    float inv = 1.f / sum;
#pragma unroll
    for (int j = 0; j < ATTN_CACHE; j++) {
        int s = lane + 32 * j;
        if (s < Tk) st(P, pdt, base + s, v[j] * inv);
    }
    for (int s = lane + 32 * ATTN_CACHE; s < Tk; s += 32)
        st(P, pdt, base + s, attn_visible(keyMask, b, Tq, Tk, t, s, causal) ? expf(ld(S, sdt, base + s) * scale - m) * inv : 0.f);
    if (lane == 0) lse[r] = m + logf(sum);
}

// ---- fused attention forward (FlashAttention-2 style, bf16 tensor cores) -------------------
// A block of 4 warps takes 64 queries of one (batch, head); each warp owns 16 query rows and
// keeps Q, the output accumulator and the running max / sum in registers. Key tiles of 64 go
// through shared memory (K by rows, V transposed); S = Q K^T and O += P V are m16n8k16 bf16 MMAs
// with fp32 accumulation, P rounded to bf16 between them. Scores never reach device memory.

#define FA_ROWS 64
#define FA_KEYS 64

__device__ __forceinline__ void mma_bf16(float c[4], const unsigned int a[4], unsigned int b0, unsigned int b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ unsigned int pack_bf16x2(float lo, float hi) {
    return (unsigned int) f2bf(lo) | ((unsigned int) f2bf(hi) << 16);
}

template <int D>
__device__ void flash_fwd(const unsigned short* q, const unsigned short* k, const unsigned short* v, const int* keyMask,
                          unsigned short* out, float* lse, int Tq, int Tk, int Hq, int Hkv, int causal, float scale) {
    __shared__ __align__(16) unsigned short Ks[FA_KEYS][D + 8];
    __shared__ __align__(16) unsigned short Vt[D][FA_KEYS + 8];
    const int bh = blockIdx.y;
    const int b = bh / Hq, h = bh % Hq, hk = h / (Hq / Hkv);
    const int q0 = blockIdx.x * FA_ROWS;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int g = lane >> 2, tq = lane & 3;
    const int row0 = q0 + warp * 16 + g, row1 = row0 + 8;  // this thread's two query rows

    // Q fragments: D/16 chunks of 4 registers
    unsigned int qa[D / 16][4];
#pragma unroll
    for (int kc = 0; kc < D / 16; kc++) {
        int c = kc * 16 + 2 * tq;
        const unsigned int* r0 = (const unsigned int*) (q + (((i64) b * Tq + row0) * Hq + h) * D);
        const unsigned int* r1 = (const unsigned int*) (q + (((i64) b * Tq + row1) * Hq + h) * D);
        qa[kc][0] = row0 < Tq ? r0[c / 2] : 0u;
        qa[kc][1] = row1 < Tq ? r1[c / 2] : 0u;
        qa[kc][2] = row0 < Tq ? r0[c / 2 + 4] : 0u;
        qa[kc][3] = row1 < Tq ? r1[c / 2 + 4] : 0u;
    }
    float o[D / 8][4];
#pragma unroll
    for (int dc = 0; dc < D / 8; dc++) o[dc][0] = o[dc][1] = o[dc][2] = o[dc][3] = 0.f;
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};

    int lastKey = Tk - 1;
    if (causal) lastKey = min(lastKey, Tk - Tq + q0 + FA_ROWS - 1);
    for (int k0 = 0; k0 <= lastKey; k0 += FA_KEYS) {
        // K tile by rows (16-byte moves), V tile transposed
        for (int x = threadIdx.x; x < FA_KEYS * (D / 8); x += blockDim.x) {
            int key = x / (D / 8), c8 = (x % (D / 8)) * 8;
            int s = k0 + key;
            uint4 kv = make_uint4(0, 0, 0, 0), vv = make_uint4(0, 0, 0, 0);
            if (s < Tk) {
                i64 off = (((i64) b * Tk + s) * Hkv + hk) * D + c8;
                kv = *(const uint4*) (k + off);
                vv = *(const uint4*) (v + off);
            }
            *(uint4*) &Ks[key][c8] = kv;
            unsigned int w[4] = {vv.x, vv.y, vv.z, vv.w};
#pragma unroll
            for (int e = 0; e < 4; e++) {
                Vt[c8 + 2 * e][key] = (unsigned short) (w[e] & 0xffffu);
                Vt[c8 + 2 * e + 1][key] = (unsigned short) (w[e] >> 16);
            }
        }
        __syncthreads();

        float sc[FA_KEYS / 8][4];
#pragma unroll
        for (int nc = 0; nc < FA_KEYS / 8; nc++) {
            sc[nc][0] = sc[nc][1] = sc[nc][2] = sc[nc][3] = 0.f;
#pragma unroll
            for (int kc = 0; kc < D / 16; kc++) {
                const unsigned int* kr = (const unsigned int*) &Ks[nc * 8 + g][kc * 16 + 2 * tq];
                mma_bf16(sc[nc], qa[kc], kr[0], kr[4]);
            }
        }
        // scale, mask, running max per row (the 4 threads of a quad share a row)
        float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int nc = 0; nc < FA_KEYS / 8; nc++) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                int s = k0 + nc * 8 + 2 * tq + (i & 1);
                int t = i < 2 ? row0 : row1;
                bool vis = s < Tk && (!causal || s <= Tk - Tq + t) && (keyMask == 0 || keyMask[(i64) b * Tk + s] != 0);
                sc[nc][i] = vis ? sc[nc][i] * scale : -INFINITY;
                mx[i >> 1] = fmaxf(mx[i >> 1], sc[nc][i]);
            }
        }
        float alpha[2], mu[2];
#pragma unroll
        for (int j = 0; j < 2; j++) {
            mx[j] = fmaxf(mx[j], __shfl_xor_sync(0xffffffffu, mx[j], 1));
            mx[j] = fmaxf(mx[j], __shfl_xor_sync(0xffffffffu, mx[j], 2));
            float mNew = fmaxf(m[j], mx[j]);
            mu[j] = mNew == -INFINITY ? 0.f : mNew;
            alpha[j] = expf(m[j] - mu[j]);
            m[j] = mNew;
            l[j] *= alpha[j];
        }
#pragma unroll
        for (int dc = 0; dc < D / 8; dc++) {
            o[dc][0] *= alpha[0]; o[dc][1] *= alpha[0];
            o[dc][2] *= alpha[1]; o[dc][3] *= alpha[1];
        }
#pragma unroll
        for (int nc = 0; nc < FA_KEYS / 8; nc++) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                sc[nc][i] = expf(sc[nc][i] - mu[i >> 1]);
                l[i >> 1] += sc[nc][i];
            }
        }
        // O += P V: P's accumulator layout is the A layout of the next product
#pragma unroll
        for (int kk = 0; kk < FA_KEYS / 16; kk++) {
            unsigned int pa[4] = {pack_bf16x2(sc[2 * kk][0], sc[2 * kk][1]), pack_bf16x2(sc[2 * kk][2], sc[2 * kk][3]),
                                  pack_bf16x2(sc[2 * kk + 1][0], sc[2 * kk + 1][1]),
                                  pack_bf16x2(sc[2 * kk + 1][2], sc[2 * kk + 1][3])};
#pragma unroll
            for (int dc = 0; dc < D / 8; dc++) {
                const unsigned int* vr = (const unsigned int*) &Vt[dc * 8 + g][kk * 16 + 2 * tq];
                mma_bf16(o[dc], pa, vr[0], vr[4]);
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int j = 0; j < 2; j++) {
        l[j] += __shfl_xor_sync(0xffffffffu, l[j], 1);
        l[j] += __shfl_xor_sync(0xffffffffu, l[j], 2);
    }
#pragma unroll
    for (int j = 0; j < 2; j++) {
        int t = j == 0 ? row0 : row1;
        if (t >= Tq) continue;
        bool empty = l[j] == 0.f;
        float inv = empty ? 0.f : 1.f / l[j];
        unsigned int* orow = (unsigned int*) (out + (((i64) b * Tq + t) * Hq + h) * D);
#pragma unroll
        for (int dc = 0; dc < D / 8; dc++)
            orow[(dc * 8 + 2 * tq) / 2] = pack_bf16x2(o[dc][2 * j] * inv, o[dc][2 * j + 1] * inv);
        if (tq == 0) lse[((i64) b * Hq + h) * Tq + t] = empty ? INFINITY : m[j] + logf(l[j]);
    }
}

extern "C" __global__ void __launch_bounds__(128) k_flash_fwd_d64(const unsigned short* q, const unsigned short* k,
        const unsigned short* v, const int* keyMask, unsigned short* out, float* lse, int Tq, int Tk, int Hq, int Hkv,
        int causal, float scale) {
    flash_fwd<64>(q, k, v, keyMask, out, lse, Tq, Tk, Hq, Hkv, causal, scale);
}

extern "C" __global__ void __launch_bounds__(128) k_flash_fwd_d128(const unsigned short* q, const unsigned short* k,
        const unsigned short* v, const int* keyMask, unsigned short* out, float* lse, int Tq, int Tk, int Hq, int Hkv,
        int causal, float scale) {
    flash_fwd<128>(q, k, v, keyMask, out, lse, Tq, Tk, Hq, Hkv, causal, scale);
}

// delta[(b, h, t)] = dot(dOut[b, t, h, :], out[b, t, h, :]); one warp per row.
extern "C" __global__ void k_attn_delta(const void* dO, const void* O, int dt, float* delta, int B, int Tq, int Hq, int D) {
    i64 row = ((i64) blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= (i64) B * Tq * Hq) return;
    float s = 0.f;
    for (int d = lane; d < D; d += 32) s += ld(dO, dt, row * D + d) * ld(O, dt, row * D + d);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (lane == 0) {
        int h = (int) (row % Hq);
        i64 bt = row / Hq;
        int t = (int) (bt % Tq), b = (int) (bt / Tq);
        delta[((i64) b * Hq + h) * Tq + t] = s;
    }
}

// From recomputed scores S and dP = dO V^T: P and dS = P * (dP - delta) * scale, masked entries 0;
// one warp per score row. dP stays fp32: dP - delta cancels, and rounding dP first would cost the
// gradient its precision.
extern "C" __global__ void k_attn_bwd_scores(const void* S, int sdt, const float* dP, const float* lse, const float* delta,
                                             void* P, void* dS, int dt, const int* keyMask, int Hq, int Tq, int Tk,
                                             int causal, float scale, int rows) {
    int r = (int) (((i64) blockIdx.x * blockDim.x + threadIdx.x) >> 5);
    int lane = threadIdx.x & 31;
    if (r >= rows) return;
    int t = r % Tq;
    int b = r / (Hq * Tq);
    i64 base = (i64) r * Tk;
    float l = lse[r];
    float dl = delta[r];
    for (int s = lane; s < Tk; s += 32) {
        float p = 0.f, g = 0.f;
        if (l != INFINITY && attn_visible(keyMask, b, Tq, Tk, t, s, causal)) {
            p = expf(ld(S, sdt, base + s) * scale - l);
            g = p * (dP[base + s] - dl) * scale;
        }
        st(P, dt, base + s, p);
        st(dS, dt, base + s, g);
    }
}

// ---- sparse (CSR) -------------------------------------------------------------------------

// out = dense + S in one pass: a block per row copies the dense row (16-byte moves for bf16 rows
// of a multiple of 8) and then adds that row's non-zeros (columns are distinct within a row).
extern "C" __global__ void k_csr_add(const void* dense, const void* values, int vdt, const int* ro, const int* ci,
                                     void* out, int dt, int m) {
    int r = blockIdx.x;
    i64 base = (i64) r * m;
    if (dt == DT_BF16 && (m & 7) == 0) {
        const uint4* src = (const uint4*) ((const unsigned short*) dense + base);
        uint4* dst = (uint4*) ((unsigned short*) out + base);
        for (int x = threadIdx.x; x < m / 8; x += blockDim.x) dst[x] = src[x];
    } else {
        for (int x = threadIdx.x; x < m; x += blockDim.x) st(out, dt, base + x, ld(dense, dt, base + x));
    }
    __syncthreads();
    for (int k = ro[r] + threadIdx.x; k < ro[r + 1]; k += blockDim.x) {
        i64 e = base + ci[k];
        st(out, dt, e, ld(out, dt, e) + ld(values, vdt, k));
    }
}

// The kernels below take one warp per CSR row (launchWarps): the row is the warp's index, so no
// non-zero has to search the offsets for it; lanes stride over the row's non-zeros.
#define CSR_ROW_WARP(row, n, lane) \
    int row = (int) (((i64) blockIdx.x * blockDim.x + threadIdx.x) >> 5); \
    int lane = threadIdx.x & 31; \
    if (row >= (n)) return;

// dense += S in place at the non-zeros, saving what it overwrites.
extern "C" __global__ void k_csr_add_inplace(const void* values, int vdt, const int* ro, const int* ci, void* dense,
                                             void* saved, int dt, int n, int m) {
    CSR_ROW_WARP(r, n, lane)
    for (int k = ro[r] + lane; k < ro[r + 1]; k += 32) {
        i64 e = (i64) r * m + ci[k];
        float w = ld(dense, dt, e);
        st(saved, dt, k, w);
        st(dense, dt, e, w + ld(values, vdt, k));
    }
}

// Puts the saved elements back (a bf16 -> fp32 -> bf16 round trip is exact).
extern "C" __global__ void k_csr_restore(const void* saved, const int* ro, const int* ci, void* dense, int dt, int n,
                                         int m) {
    CSR_ROW_WARP(r, n, lane)
    for (int k = ro[r] + lane; k < ro[r + 1]; k += 32) st(dense, dt, (i64) r * m + ci[k], ld(saved, dt, k));
}

// out[k] = dense[row(k), ci[k]]: samples a dense product on the mask.
extern "C" __global__ void k_csr_gather(const int* ro, const int* ci, const void* dense, int dt, float* out, int n,
                                        int m) {
    CSR_ROW_WARP(r, n, lane)
    for (int k = ro[r] + lane; k < ro[r + 1]; k += 32) out[k] = ld(dense, dt, (i64) r * m + ci[k]);
}

// out (cols x rows) = in^T (rows x cols), 32x32 tiles through shared memory.
extern "C" __global__ void k_transpose(const void* in, void* out, int dt, int rows, int cols) {
    __shared__ float tile[32][33];
    int c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        int r = r0 + y, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[y][threadIdx.x] = ld(in, dt, (i64) r * cols + c);
    }
    __syncthreads();
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        int c = c0 + y, r = r0 + threadIdx.x;
        if (r < rows && c < cols) st(out, dt, (i64) c * rows + r, tile[threadIdx.x][y]);
    }
}

// SDDMM on transposed operands, any dtype: out[k] = dot(aT[i, :], bT[ci[k], :]) over T for the
// non-zeros (i, ci[k]) of row i; one warp per CSR row.
extern "C" __global__ void k_sddmm(const int* ro, const int* ci, const void* aT, const void* bT, int dt, float* out,
                                   int n, int T) {
    CSR_ROW_WARP(row, n, lane)
    for (int k = ro[row]; k < ro[row + 1]; k++) {
        i64 ab = (i64) row * T, bb = (i64) ci[k] * T;
        float s = 0.f;
        for (int x = lane; x < T; x += 32) s += ld(aT, dt, ab + x) * ld(bT, dt, bb + x);
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        if (lane == 0) out[k] = s;
    }
}

// Warp-wide dot product of two bf16 rows of 8 * chunks values, 16 bytes a lane a step, fp32
// sums; every lane gets the total.
__device__ __forceinline__ float warp_dot_bf16(const uint4* a, const uint4* b, int chunks, int lane) {
    float s0 = 0.f, s1 = 0.f;
#pragma unroll 4
    for (int x = lane; x < chunks; x += 32) {
        uint4 p = a[x], q = b[x];
        s0 += __uint_as_float(p.x << 16) * __uint_as_float(q.x << 16);
        s1 += __uint_as_float(p.x & 0xffff0000u) * __uint_as_float(q.x & 0xffff0000u);
        s0 += __uint_as_float(p.y << 16) * __uint_as_float(q.y << 16);
        s1 += __uint_as_float(p.y & 0xffff0000u) * __uint_as_float(q.y & 0xffff0000u);
        s0 += __uint_as_float(p.z << 16) * __uint_as_float(q.z << 16);
        s1 += __uint_as_float(p.z & 0xffff0000u) * __uint_as_float(q.z & 0xffff0000u);
        s0 += __uint_as_float(p.w << 16) * __uint_as_float(q.w << 16);
        s1 += __uint_as_float(p.w & 0xffff0000u) * __uint_as_float(q.w & 0xffff0000u);
    }
    float s = s0 + s1;
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    return s;
}

// The bf16 SDDMM used for training, reading dO as it is stored: a block takes 8 consecutive rows
// (output features), copies their columns of dO (16 bytes a token) into shared memory as 8 rows of
// T, and its warps take those rows' non-zeros in turn, streaming the matching row of X^T (made
// once for the layers that share X, and kept in L2) against the shared row. Per non-zero that is
// one row of X^T read from L2, which at d = 0.6% is less than the dense dO^T X's tensor-core time.
// Needs T and n multiples of 8 and 16 T bytes of shared memory.
extern "C" __global__ void k_sddmm_rows8(const int* ro, const int* ci, const unsigned short* dO, const unsigned short* bT,
                                         float* out, int n, int T) {
    extern __shared__ uint4 arows[];
    unsigned short* a16 = (unsigned short*) arows;
    const int i0 = blockIdx.x * 8;
    for (int t = threadIdx.x; t < T; t += blockDim.x) {
        uint4 q = *(const uint4*) (dO + (i64) t * n + i0);
        unsigned int w[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
        for (int r = 0; r < 8; r++) a16[r * T + t] = (unsigned short) (w[r >> 1] >> ((r & 1) * 16));
    }
    int offs[9];
#pragma unroll
    for (int r = 0; r <= 8; r++) offs[r] = ro[i0 + r];
    __syncthreads();
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const int chunks = T / 8;
    for (int k = offs[0] + warp; k < offs[8]; k += warps) {
        int r = 0;
#pragma unroll
        for (int q = 1; q < 8; q++) r += offs[q] <= k;
        float s = warp_dot_bf16(arows + r * chunks, (const uint4*) (bT + (i64) ci[k] * T), chunks, lane);
        if (lane == 0) out[k] = s;
    }
}

// A 16-byte shared-memory load by shared-window address. Volatile, so it stays after the barrier
// that publishes what it reads, but with no memory clobber, so the compiler may schedule global loads
// and stores around it.
__device__ __forceinline__ uint4 lds128(unsigned address) {
    uint4 v;
    asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(address));
    return v;
}

// Where staged row r's chunk 0 lies (shared-window address): chunk c of a row is kept at position
// c ^ (r & 7), and rows are 128-byte aligned, so chunk c is then at the result ^ (c << 4).
__device__ __forceinline__ unsigned staged_row(unsigned base, int r) {
    return base + r * 128 + ((r & 7) << 4);
}

// The dot product of two staged 64-token rows (shared-window addresses of their chunk 0 under the
// swizzle): bf16 to fp32 is a shift or a mask, two accumulators for the even and odd tokens.
__device__ __forceinline__ float staged_dot(unsigned a, unsigned b) {
    float s0 = 0.f, s1 = 0.f;
#pragma unroll
    for (int c = 0; c < 8; c++) {
        const uint4 u = lds128(a ^ (c << 4)), v = lds128(b ^ (c << 4));
        s0 = fmaf(__uint_as_float(u.x << 16), __uint_as_float(v.x << 16), s0);
        s1 = fmaf(__uint_as_float(u.x & 0xffff0000u), __uint_as_float(v.x & 0xffff0000u), s1);
        s0 = fmaf(__uint_as_float(u.y << 16), __uint_as_float(v.y << 16), s0);
        s1 = fmaf(__uint_as_float(u.y & 0xffff0000u), __uint_as_float(v.y & 0xffff0000u), s1);
        s0 = fmaf(__uint_as_float(u.z << 16), __uint_as_float(v.z << 16), s0);
        s1 = fmaf(__uint_as_float(u.z & 0xffff0000u), __uint_as_float(v.z & 0xffff0000u), s1);
        s0 = fmaf(__uint_as_float(u.w << 16), __uint_as_float(v.w << 16), s0);
        s1 = fmaf(__uint_as_float(u.w & 0xffff0000u), __uint_as_float(v.w & 0xffff0000u), s1);
    }
    return s0 + s1;
}

// A 16-byte global-to-shared copy that runs while the thread goes on; srcBytes 0 zero-fills it.
__device__ __forceinline__ void cp_async16(unsigned dst, const void* src, int srcBytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(srcBytes) : "memory");
}

// Waits until at most `pending` of this thread's copy groups are still in flight.
template <int pending>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;" ::"n"(pending) : "memory");
}

// Shared-memory staging for the tiled SDDMM, in two steps. stage_copy brings features [f0, f0 + count)
// of a bf16 [T, width] activation for tokens t0..t0+63 into a raw buffer as stored (token-major,
// tokens past T as zeros) with cp.async: lanes take consecutive 16-byte chunks of a token row, so a
// warp reads whole 128-byte lines and the copy runs while the block computes. stage_transpose then
// turns the raw buffer feature-major with ldmatrix.trans, which hands each lane two consecutive
// tokens of one feature as one word: a feature's 64 tokens become one 128-byte row of 8 chunks,
// chunk c of feature r kept at position c ^ (r & 7), the layout the compute loop reads. The raw
// buffer keeps chunk k of token t at k ^ (t & 7) (rows of C features, C a multiple of 64), so the 8
// rows of each ldmatrix phase and the 32 words of each store hit distinct banks. count is a multiple
// of 8; raw and dst are shared-window addresses.
__device__ __forceinline__ void stage_copy(const unsigned short* src, int width, int f0, int count, int t0, int T,
                                           unsigned raw, int C) {
    const int chunks = C >> 3, used = count >> 3;
    for (int v = threadIdx.x; v < 64 * used; v += blockDim.x) {
        const int t = v / used, k = v - t * used;
        const bool live = t0 + t < T;
        // a copy past T reads nothing (zero fill) but still gets an address inside the tensor
        cp_async16(raw + ((t * chunks + (k ^ (t & 7))) << 4), src + (i64) (live ? t0 + t : 0) * width + f0 + 8 * k,
                   live ? 16 : 0);
    }
    asm volatile("cp.async.commit_group;" ::: "memory");
}

__device__ __forceinline__ void stage_transpose(unsigned raw, int C, int count, unsigned dst, int fBase) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const int chunks = C >> 3;
    // a unit is 8 features x 32 tokens: four 8 x 8 matrices, lane l addressing token 32 half + l
    for (int u = warp; u < (count >> 3) * 2; u += warps) {
        const int o = u >> 1, half = u & 1, t = half * 32 + lane;
        unsigned d[4];
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                     : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])
                     : "r"(raw + ((t * chunks + (o ^ (t & 7))) << 4)));
        // d[i]: feature 8 o + lane / 4, tokens 32 half + 8 i + 2 (lane & 3) and the next, which is
        // word lane & 3 of chunk 4 half + i in that feature's row
        const int f = fBase + 8 * o + (lane >> 2);
        const unsigned row = dst + f * 128 + ((lane & 3) << 2);
#pragma unroll
        for (int i = 0; i < 4; i++) {
            asm volatile("st.shared.b32 [%0], %1;" ::"r"(row + (((4 * half + i) ^ (f & 7)) << 4)), "r"(d[i]));
        }
    }
}

// The bf16 SDDMM by tiles, reading dO [T, n] and X [T, m] as stored. A block takes a slab of R output
// rows and 64 tokens: it stages the slab's dO in shared memory once (C features at a time, through
// the raw and column buffers in turn) and then, panel by panel, C columns of X (the next panel
// copied in while the current one is computed), both feature-major so a feature's 64 tokens are one
// 128-byte row. Each staged column of X serves the ~R d non-zeros of the slab in that column, where
// the row-group kernel read a row of X^T from L2 per non-zero. A lane takes whole non-zeros, two at a
// time, 64 tokens in 8 chunks, no shuffles: the plan (SddmmPlan) lists each (slab, panel)'s
// non-zeros as {CSR index or -1, slab row << 16 | panel column} in runs of 8 whose rows differ mod 8
// and whose columns differ mod 8, so the 8 lanes of a quarter-warp load 8 distinct bank groups from
// both operands under the staging's swizzle. The block writes one partial sum per plan entry for its
// 64 tokens (partials[tokenBlock * entries + e], coalesced), summed in a fixed order by
// k_sum_plan_parts. planOffs: where each (slab, panel) starts, multiples of 8. Shared memory: R + 2 C
// rows of 128 bytes (slab, panel, raw copy), C a multiple of 64.
extern "C" __global__ void __launch_bounds__(512, 1)
k_sddmm_tiles(const int2* plan, const int* planOffs, const unsigned short* dO, const unsigned short* X, float* partials,
              int n, int m, int T, int entries, int R, int C, int panels) {
    extern __shared__ __align__(128) uint4 tiles[];
    const unsigned rowsAt = (unsigned) __cvta_generic_to_shared(tiles);
    const unsigned colsAt = rowsAt + R * 128, rawAt = colsAt + C * 128;
    const int slab = blockIdx.x, tb = blockIdx.y;
    const int i0 = slab * R, t0 = tb * 64;
    const int slabRows = min(R, n - i0), pieces = (slabRows + C - 1) / C;
    stage_copy(dO, n, i0, min(C, slabRows), t0, T, rawAt, C);
    for (int k = 0; k < pieces; k++) {
        // piece k + 1 is copied into the other buffer while piece k is transposed
        if (k + 1 < pieces) {
            stage_copy(dO, n, i0 + (k + 1) * C, min(C, slabRows - (k + 1) * C), t0, T, (k & 1) ? rawAt : colsAt, C);
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        stage_transpose((k & 1) ? colsAt : rawAt, C, min(C, slabRows - k * C), rowsAt, k * C);
        __syncthreads();
    }
    stage_copy(X, m, 0, min(C, m), t0, T, rawAt, C);
    cp_async_wait<0>();
    __syncthreads();
    const int lane = threadIdx.x & 31, q = lane & 7;
    const int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    float* part = partials + (i64) tb * entries;
    for (int p = 0; p < panels; p++) {
        const int c0 = p * C;
        stage_transpose(rawAt, C, min(C, m - c0), colsAt, 0);
        __syncthreads();
        if (p + 1 < panels) stage_copy(X, m, c0 + C, min(C, m - c0 - C), t0, T, rawAt, C);
        const int e1 = planOffs[slab * panels + p + 1];
        int e = planOffs[slab * panels + p] + warp * 32 + lane;
        const int2 idle = make_int2(-1, q << 16 | q);  // row and column residues distinct
        // a lane takes entries e and e + W an iteration (two independent dot products in flight),
        // with the next two fetched a step ahead
        const int W = warps * 32;
        int2 ent = e < e1 ? __ldg(plan + e) : idle, ent2 = e + W < e1 ? __ldg(plan + e + W) : idle;
        for (; e - lane < e1; e += 2 * W) {
            const int2 cur = ent, cur2 = ent2;
            ent = e + 2 * W < e1 ? __ldg(plan + e + 2 * W) : idle;
            ent2 = e + 3 * W < e1 ? __ldg(plan + e + 3 * W) : idle;
            // the 8 lanes of a quarter-warp, with distinct row residues and distinct column residues,
            // load 8 distinct bank groups under the swizzle
            const int row = cur.y >> 16, col = cur.y & 0xffff, row2 = cur2.y >> 16, col2 = cur2.y & 0xffff;
            const float s = staged_dot(staged_row(rowsAt, row), staged_row(colsAt, col));
            const float s2 = staged_dot(staged_row(rowsAt, row2), staged_row(colsAt, col2));
            // partials in plan order: a warp's 32 stores are one 128-byte line
            if (e < e1) part[e] = s;
            if (e + W < e1) part[e + W] = s2;
        }
        // the next panel's copy has landed and every lane is done with this one's columns
        cp_async_wait<0>();
        __syncthreads();
    }
}

// out (cols x rows) = in^T for bf16 with rows and cols multiples of 8: 64 x 64 tiles, 16-byte
// loads along the input's rows and 16-byte stores along the output's.
extern "C" __global__ void k_transpose_bf16(const unsigned short* in, unsigned short* out, int rows, int cols) {
    __shared__ unsigned int tile[64][33];  // 64 rows of 64 bf16 (32 words) + one word of padding
    const int r0 = blockIdx.y * 64, c0 = blockIdx.x * 64;
    for (int v = threadIdx.x; v < 512; v += blockDim.x) {
        int r = v >> 3, c = (v & 7) * 8;
        if (r0 + r < rows && c0 + c < cols) {
            uint4 q = *(const uint4*) (in + (i64) (r0 + r) * cols + c0 + c);
            unsigned int* t = &tile[r][c >> 1];
            t[0] = q.x; t[1] = q.y; t[2] = q.z; t[3] = q.w;
        }
    }
    __syncthreads();
    const unsigned short* th = (const unsigned short*) &tile[0][0];
    for (int v = threadIdx.x; v < 512; v += blockDim.x) {
        int c = v >> 3, r = (v & 7) * 8;
        if (c0 + c < cols && r0 + r < rows) {
            unsigned int w[4];
            for (int q = 0; q < 4; q++) {
                w[q] = (unsigned int) th[(r + 2 * q) * 66 + c] | ((unsigned int) th[(r + 2 * q + 1) * 66 + c] << 16);
            }
            *(uint4*) (out + (i64) (c0 + c) * rows + r0 + r) = make_uint4(w[0], w[1], w[2], w[3]);
        }
    }
}

// out[t, r] = sum_k values[k] x[t, ci[k]] over row r (x S^T), one thread per output.
extern "C" __global__ void k_spmm(const void* values, int vdt, const int* ro, const int* ci, const void* x, int xdt,
                                  void* out, int odt, int T, int n, int m) {
    GRID_STRIDE(i, (i64) T * n) {
        int r = (int) (i % n);
        i64 t = i / n;
        float s = 0.f;
        for (int k = ro[r]; k < ro[r + 1]; k++) s += ld(values, vdt, k) * ld(x, xdt, t * m + ci[k]);
        st(out, odt, i, s);
    }
}

// acc[t, ci[k]] += values[k] x[t, r] (x S), scattered with fp32 atomics.
extern "C" __global__ void k_spmm_t(const void* values, int vdt, const int* ro, const int* ci, const void* x, int xdt,
                                    float* acc, int T, int n, int m) {
    GRID_STRIDE(i, (i64) T * n) {
        int r = (int) (i % n);
        i64 t = i / n;
        float xv = ld(x, xdt, i);
        for (int k = ro[r]; k < ro[r + 1]; k++) atomicAdd(&acc[t * m + ci[k]], ld(values, vdt, k) * xv);
    }
}

// ---- NF4 ------------------------------------------------------------------------------------

// 4-bit NormalFloat with double quantization (bitsandbytes' layout, dev.rosarium.core.quant.Nf4):
// two codes a byte, high nibble first; one absmax code a block of 64 into the dynamic map, scaled
// by one fp32 per 256 blocks, plus the offset. Same float operations as the CPU, so bit-identical.
extern "C" __global__ void k_nf4_dequant(const unsigned char* packed, const unsigned char* absmaxCodes,
                                         const float* absmax2, const float* code, const float* dynamicMap, float offset,
                                         void* out, int odt, i64 n) {
    GRID_STRIDE(i, n) {
        i64 block = i / 64;
        float absmax = dynamicMap[absmaxCodes[block]] * absmax2[block / 256] + offset;
        unsigned int b = packed[i >> 1];
        unsigned int c = (i & 1) == 0 ? b >> 4 : b & 0xFu;
        st(out, odt, i, code[c] * absmax);
    }
}

// ---- random numbers (Philox 4x32-10, the stream layout of dev.rosarium.core.tensor.Philox) ----

__device__ void philox(unsigned long long seed, unsigned long long blk, unsigned int out[4]) {
    unsigned int c0 = (unsigned int) blk, c1 = (unsigned int) (blk >> 32), c2 = 0, c3 = 0;
    unsigned int k0 = (unsigned int) seed, k1 = (unsigned int) (seed >> 32);
#pragma unroll
    for (int round = 0; round < 10; round++) {
        unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

extern "C" __global__ void k_uniform(void* p, int dt, i64 n, unsigned long long seed, unsigned long long offset,
                                     float lo, float hi) {
    GRID_STRIDE(i, n) {
        unsigned long long pos = offset + (unsigned long long) i;
        unsigned int r[4];
        philox(seed, pos >> 2, r);
        float u = (float) (r[pos & 3] >> 8) * (1.0f / 16777216.0f);
        st(p, dt, i, lo + (hi - lo) * u);
    }
}

extern "C" __global__ void k_normal(void* p, int dt, i64 n, unsigned long long seed, unsigned long long offset,
                                    float mean, float std) {
    GRID_STRIDE(i, n) {
        unsigned long long pos = offset + (unsigned long long) i;
        unsigned int r[4];
        philox(seed, pos >> 1, r);
        double u1 = (double) ((float) ((r[0] >> 8) + 1) * (1.0f / 16777216.0f));
        double u2 = (double) ((float) (r[1] >> 8) * (1.0f / 16777216.0f));
        double rad = sqrt(-2.0 * log(u1));
        double ang = 2.0 * 3.141592653589793 * u2;
        float z = (float) (rad * ((pos & 1) == 0 ? cos(ang) : sin(ang)));
        st(p, dt, i, mean + std * z);
    }
}

// ---- optimizers ---------------------------------------------------------------------------

extern "C" __global__ void k_adamw(void* p, int pdt, const void* g, int gdt, float* m, float* v, i64 n, float decay,
                                   float stepSize, float bc2Sqrt, float b1, float b2, float eps) {
    GRID_STRIDE(i, n) {
        float gi = ld(g, gdt, i);
        float mi = b1 * m[i] + (1.f - b1) * gi;
        float vi = b2 * v[i] + (1.f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2Sqrt + eps;
        st(p, pdt, i, ld(p, pdt, i) * decay - stepSize * mi / denom);
    }
}

extern "C" __global__ void k_sgd(void* p, int pdt, const void* g, int gdt, float* buf, i64 n, float lr, float momentum,
                                 float weightDecay) {
    GRID_STRIDE(i, n) {
        float d = ld(g, gdt, i) + weightDecay * ld(p, pdt, i);
        if (buf != 0) {
            buf[i] = momentum * buf[i] + d;
            d = buf[i];
        }
        st(p, pdt, i, ld(p, pdt, i) - lr * d);
    }
}
