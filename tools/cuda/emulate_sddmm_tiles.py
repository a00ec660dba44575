"""Emulates k_sddmm_tiles and k_sum_parts lane by lane (NumPy over the 32 lanes of a warp, warps in
turn) to check the kernel's index arithmetic off the GPU: the plan's order (as SddmmPlan.of), the
transposing staging, the 8-lane groups' transposing reduction and the partial sums. Mirror any change
to the kernel here. Prints the relative error against a float64 reference (fp32 rounding: ~3e-8).

Usage: emulate_sddmm_tiles.py N M T DENSITY SLAB_ROWS PANEL_COLS
  e.g. 1040 1200 100 0.01 1024 784 (partial slab, panel and token block)
"""
import sys

import numpy as np
rng = np.random.default_rng(1)
n, m, T, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
R, C = int(sys.argv[5]), int(sys.argv[6])
BLOCK = 512; WARPS = BLOCK // 32; ROUNDS = 4
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
# plan (as SddmmPlan.of)
slabs = (n + R - 1) // R; panels = (m + C - 1) // C
entries = np.zeros((nnz, 2), np.int64); offsets = np.zeros(slabs * panels + 1, np.int64)
for s in range(slabs):
    r0, r1 = s * R, min(n, s * R + R); base = rowOffs[r0]
    fill = np.zeros(panels, np.int64)
    for k in range(rowOffs[r0], rowOffs[r1]): fill[colIdx[k] // C] += 1
    for p in range(panels):
        start = base; base += fill[p]; offsets[s * panels + p] = start; fill[p] = start
    for r in range(r0, r1):
        for k in range(rowOffs[r], rowOffs[r + 1]):
            p = colIdx[k] // C; at = fill[p]; fill[p] += 1
            entries[at] = (k, ((r - r0) << 16) | (colIdx[k] - p * C))
offsets[-1] = nnz
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
            dst[(f + 2 * j) * 32 + lane] = byte_perm(wa[:, j], wb[:, j], 0x5410)
            dst[(f + 2 * j + 1) * 32 + lane] = byte_perm(wa[:, j], wb[:, j], 0x7632)
def words_f(w):  # uint32 pairs -> (lo, hi) float32
    return (w << 16).view(np.float32), (w & 0xffff0000).view(np.float32)
def dot8(p, q):  # p, q: [32, 4] uint32 per lane
    plo, phi = words_f(p); qlo, qhi = words_f(q)
    s0 = plo[:, 0] * qlo[:, 0]; s1 = phi[:, 0] * qhi[:, 0]
    for c in range(1, 4):
        s0 = (plo[:, c] * qlo[:, c] + s0).astype(np.float32); s1 = (phi[:, c] * qhi[:, c] + s1).astype(np.float32)
    return (s0 + s1).astype(np.float32)
tokenBlocks = (T + 63) // 64
partials = np.full((tokenBlocks, nnz), np.nan, np.float32)
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
            for warp in range(WARPS):
                e = offsets[slab * panels + p] + warp * 32 + lane
                ent = np.where((e < e1)[:, None], entries[np.minimum(e, nnz - 1)], 0)
                while e[0] < e1:
                    cur = ent.copy(); en = e + WARPS * 32
                    ent = np.where((en < e1)[:, None], entries[np.minimum(en, nnz - 1)], 0)
                    acc = np.zeros((8, 32), np.float32)
                    for j in range(8):
                        y = cur[(lane & ~7) | j, 1]
                        ra = (y >> 16) * 8 + q; ca = (y & 0xffff) * 8 + q   # uint4 indices
                        P = np.stack([smem_rows[ra * 4 + c] for c in range(4)], 1)
                        Q = np.stack([smem_cols[ca * 4 + c] for c in range(4)], 1)
                        acc[j] = dot8(P, Q)
                    h = 4
                    while h > 0:
                        upper = (q & h) != 0
                        for i in range(h):
                            send = np.where(upper, acc[i], acc[i + h]); keep = np.where(upper, acc[i + h], acc[i])
                            acc[i] = keep + send[lane ^ h]
                        h >>= 1
                    live = e < e1
                    partials[tb, cur[live, 0]] = acc[0][live]
                    e = e + WARPS * 32
assert not np.isnan(partials).any(), "a non-zero never got its partial"
out = partials.astype(np.float64).sum(0)
ref = np.array([np.dot(f32(dO[:, rows_[k]]).astype(np.float64), f32(X[:, colIdx[k]]).astype(np.float64)) for k in range(nnz)])
print(f"n={n} m={m} T={T} nnz={nnz} slabs={slabs} panels={panels} rel err {np.linalg.norm(out - ref) / np.linalg.norm(ref):.2e}")
