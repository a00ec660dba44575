"""Emulates k_sddmm_tiles and k_sum_plan_parts lane by lane (NumPy over the 32 lanes of a warp, warps in
turn) to check the kernel's index arithmetic off the GPU: the plan's order (as SddmmPlan.of), the
swizzled transposing staging, the lanes' loads (asserting every quarter-warp hits 8 distinct bank
groups) and the partial sums. Mirror any change
to the kernel here. Prints the relative error against a float64 reference (fp32 rounding: ~3e-8).

Usage: emulate_sddmm_tiles.py N M T DENSITY SLAB_ROWS PANEL_COLS
  e.g. 1040 1200 100 0.01 1024 512 (partial slab, panel and token block)
"""
import sys

import numpy as np
rng = np.random.default_rng(1)
n, m, T, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
R, C = int(sys.argv[5]), int(sys.argv[6])
BLOCK = 512; WARPS = BLOCK // 32; ROUNDS = 2
# what CudaBackend.sddmmTiles admits: feature counts and tiles in multiples of 16, a panel staged in one pass
assert n % 16 == 0 and m % 16 == 0 and R % 16 == 0 and C % 16 == 0, "multiples of 16"
assert 16 <= R <= 1024 and 16 <= C <= ROUNDS * WARPS * 16, "slab of 16..1024 rows, panel of 16..512 columns"
def bf16(a):  # round to bf16 bits (RNE)
    b = a.astype(np.float32).view(np.uint32)
    b = b + 0x7fff + ((b >> 16) & 1)
    return (b >> 16).astype(np.uint16)
dO = bf16(rng.uniform(-1, 1, (T, n))); X = bf16(rng.uniform(-1, 1, (T, m)))
f32 = lambda u16: (u16.astype(np.uint32) << 16).view(np.float32)
nnz = int(d * n * m)
flat = np.sort(rng.choice(n * m, nnz, replace=False))
rows_, cols_ = flat // m, flat % m
rowOffs = np.zeros(n + 1, np.int64); np.add.at(rowOffs, rows_ + 1, 1); rowOffs = np.cumsum(rowOffs)
colIdx = cols_
# plan (as SddmmPlan.of): each (slab, panel) in runs of 8 with distinct row and column residues
slabs = (n + R - 1) // R; panels = (m + C - 1) // C
entries = []; offsets = np.zeros(slabs * panels + 1, np.int64)
for s in range(slabs):
    r0, r1 = s * R, min(n, s * R + R)
    units = [[] for _ in range(panels)]
    for r in range(r0, r1):
        for k in range(rowOffs[r], rowOffs[r + 1]): units[colIdx[k] // C].append((k, r - r0))
    for p in range(panels):
        offsets[s * panels + p] = len(entries); c0 = p * C
        rows_t, cols_t, slot, hint = [], [], [], [0] * 64
        for i, (k, row) in enumerate(units[p]):
            a_, b_ = row & 7, (colIdx[k] - c0) & 7
            j = hint[a_ * 8 + b_]
            while j < len(rows_t) and ((rows_t[j] >> a_) & 1 or (cols_t[j] >> b_) & 1): j += 1
            hint[a_ * 8 + b_] = j
            if j == len(rows_t): rows_t.append(0); cols_t.append(0); slot.append([-1] * 8)
            rows_t[j] |= 1 << a_; cols_t[j] |= 1 << b_; slot[j][a_] = i
        for j in range(len(rows_t)):
            free = [b_ for b_ in range(8) if not (cols_t[j] >> b_) & 1]
            for a_ in range(8):
                i = slot[j][a_]
                if i >= 0:
                    k, row = units[p][i]; entries.append((k, (row << 16) | (colIdx[k] - c0)))
                else:
                    b_ = free.pop(0); entries.append((-1, (a_ << 16) | b_))
offsets[-1] = len(entries)
entries = np.array(entries, np.int64).reshape(-1, 2)
print(f"slots used {nnz / len(entries):.3f}")
def u32(x): return np.uint32(x & 0xffffffff)
def stage_load(src, width, f0, count, t0, pss, warp):
    lane = np.arange(32); ta = t0 + 2 * lane
    regs = []
    for i in range(ROUNDS):
        f = ((pss * ROUNDS + i) * WARPS + warp) * 16
        words = []
        for h in range(2):
            w = np.zeros((32, 8), np.uint32)
            if f < count:
                for L in range(32):
                    if ta[L] + h < T:
                        v = src[ta[L] + h, f0 + f: f0 + f + 16].astype(np.uint32)
                        w[L] = v[0::2] | (v[1::2] << 16)
            words.append(w)
        regs.append((f, words[0], words[1]))
    return regs
def byte_perm(a, b, sel):
    bytes_ = [(a >> (8 * i)) & 0xff for i in range(4)] + [(b >> (8 * i)) & 0xff for i in range(4)]
    out = np.zeros_like(a)
    for i in range(4): out |= bytes_[(sel >> (4 * i)) & 0xf] << (8 * i)
    return out
def stage_store(regs, count, dst):
    lane = np.arange(32)
    for (f, wa, wb) in regs:
        if f >= count: continue
        for j in range(8):
            r0_, r1_ = f + 2 * j, f + 2 * j + 1
            dst[r0_ * 32 + (lane ^ ((r0_ & 7) << 2))] = byte_perm(wa[:, j], wb[:, j], 0x5410)
            dst[r1_ * 32 + (lane ^ ((r1_ & 7) << 2))] = byte_perm(wa[:, j], wb[:, j], 0x7632)
def words_f(w):  # uint32 pairs -> (lo, hi) float32
    return (w << 16).view(np.float32), (w & 0xffff0000).view(np.float32)
tokenBlocks = (T + 63) // 64
partials = np.full((tokenBlocks, len(entries)), np.nan, np.float32)  # plan order
for slab in range(slabs):
    for tb in range(tokenBlocks):
        i0, t0 = slab * R, tb * 64
        smem_rows = np.zeros(R * 32, np.uint32); smem_cols = np.zeros(C * 32, np.uint32)
        slabRows = min(R, n - i0)
        perPass = ROUNDS * WARPS * 16; passes = (slabRows + perPass - 1) // perPass
        for pss in range(passes):
            for w in range(WARPS): stage_store(stage_load(dO, n, i0, slabRows, t0, pss, w), slabRows, smem_rows)
        staged = [stage_load(X, m, 0, min(C, m), t0, 0, w) for w in range(WARPS)]
        for p in range(panels):
            c0 = p * C
            for w in range(WARPS): stage_store(staged[w], min(C, m - c0), smem_cols)
            if p + 1 < panels: staged = [stage_load(X, m, c0 + C, min(C, m - c0 - C), t0, 0, w) for w in range(WARPS)]
            e1 = offsets[slab * panels + p + 1]
            lane = np.arange(32); q = lane & 7
            idle = np.stack([np.full(32, -1), (q << 16) | q], 1)
            W = WARPS * 32
            def fetch(at):
                return np.where((at < e1)[:, None], entries[np.minimum(at, len(entries) - 1)], idle)
            def staged_dot(cur):
                row, col = cur[:, 1] >> 16, cur[:, 1] & 0xffff
                s0 = np.zeros(32, np.float32); s1 = np.zeros(32, np.float32)
                for c in range(8):
                    ai, bi = row * 8 + (c ^ (row & 7)), col * 8 + (c ^ (col & 7))   # uint4 indices
                    for phase in range(4):                          # quarter-warps: 8 distinct bank groups
                        sl = slice(8 * phase, 8 * phase + 8)
                        assert len(set((ai[sl] & 7).tolist())) == 8 and len(set((bi[sl] & 7).tolist())) == 8, "bank conflict"
                    U = np.stack([smem_rows[ai * 4 + w] for w in range(4)], 1)
                    V = np.stack([smem_cols[bi * 4 + w] for w in range(4)], 1)
                    ulo, uhi = words_f(U); vlo, vhi = words_f(V)
                    for w in range(4):
                        s0 = (ulo[:, w] * vlo[:, w] + s0).astype(np.float32)
                        s1 = (uhi[:, w] * vhi[:, w] + s1).astype(np.float32)
                return s0 + s1
            for warp in range(WARPS):
                e = offsets[slab * panels + p] + warp * 32 + lane
                ent, ent2 = fetch(e), fetch(e + W)
                while e[0] < e1:                                    # two entries a lane an iteration
                    cur, cur2 = ent, ent2
                    ent, ent2 = fetch(e + 2 * W), fetch(e + 3 * W)
                    s, s2 = staged_dot(cur), staged_dot(cur2)
                    mine = e < e1; partials[tb, e[mine]] = s[mine]
                    mine2 = e + W < e1; partials[tb, (e + W)[mine2]] = s2[mine2]
                    e = e + 2 * W
assert not np.isnan(partials).any(), "a plan entry never got its partial"
out = np.full(nnz, np.nan)
live = entries[:, 0] >= 0
out[entries[live, 0]] = partials[:, live].astype(np.float64).sum(0)   # k_sum_plan_parts
assert not np.isnan(out).any(), "a non-zero never got its sum"
ref = np.array([np.dot(f32(dO[:, rows_[k]]).astype(np.float64), f32(X[:, colIdx[k]]).astype(np.float64)) for k in range(nnz)])
print(f"n={n} m={m} T={T} nnz={nnz} slabs={slabs} panels={panels} rel err {np.linalg.norm(out - ref) / np.linalg.norm(ref):.2e}")
