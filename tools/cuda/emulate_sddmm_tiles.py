"""Emulates k_sddmm_tiles and k_sum_plan_parts lane by lane (NumPy over the 32 lanes of a warp, warps in
turn) to check the kernel's index arithmetic off the GPU: the plan's order (as SddmmPlan.of), the
staging (cp.async copies as stored, then ldmatrix.trans into the swizzled feature-major rows,
asserting no bank conflicts), the lanes' loads (asserting every quarter-warp hits 8 distinct bank
groups) and the partial sums. Mirror any change
to the kernel here. Prints the relative error against a float64 reference (fp32 rounding: ~3e-8).

Usage: emulate_sddmm_tiles.py N M T DENSITY SLAB_ROWS PANEL_COLS
  e.g. 1040 1200 100 0.01 1024 384 (partial slab, panel and token block)
"""
import sys

import numpy as np
rng = np.random.default_rng(1)
n, m, T, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
R, C = int(sys.argv[5]), int(sys.argv[6])
BLOCK = 512; WARPS = BLOCK // 32
# what CudaBackend.sddmmTiles admits: feature counts in multiples of 8, slabs in multiples of 16, panels of 64
assert n % 8 == 0 and m % 8 == 0 and R % 16 == 0 and C % 64 == 0, "feature counts of 8, slabs of 16, panels of 64"
assert 16 <= R <= 1024 and (R + 2 * C) * 128 <= 232_448, "slab of 16..1024 rows; slab, panel and raw copy in 227 KB"
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
def stage_copy(src, width, f0, count, t0, smem8, raw):
    """cp.async of 16-byte chunks: chunk k of token t at raw chunk t * C / 8 + (k ^ (t & 7)), zeros past T"""
    chunks, used = C >> 3, count >> 3
    for t in range(64):
        for k in range(used):
            at = raw + ((t * chunks + (k ^ (t & 7))) << 4)
            piece = src[t0 + t, f0 + 8 * k: f0 + 8 * k + 8] if t0 + t < T else np.zeros(8, np.uint16)
            smem8[at: at + 16] = piece.view(np.uint8)
def stage_transpose(smem8, raw, count, dst, fBase):
    """ldmatrix.x4.trans of 8 features x 32 tokens a warp instruction, then four 32-bit stores a lane"""
    chunks = C >> 3; lane = np.arange(32); u16 = smem8.view(np.uint16); u32 = smem8.view(np.uint32)
    for u in range((count >> 3) * 2):
        o, half = u >> 1, u & 1
        t = half * 32 + lane
        addr = raw + ((t * chunks + (o ^ (t & 7))) << 4)              # lane l: row l & 7 of matrix l >> 3
        assert (addr % 16 == 0).all()
        for i in range(4):                                           # one phase a matrix: 8 distinct bank groups
            assert len(set(((addr[8 * i: 8 * i + 8] >> 4) & 7).tolist())) == 8, "ldmatrix bank conflict"
        mats = [np.stack([u16[(addr[8 * i + r] >> 1): (addr[8 * i + r] >> 1) + 8] for r in range(8)]) for i in range(4)]
        f = fBase + 8 * o + (lane >> 2)
        row = dst + f * 128 + ((lane & 3) << 2)
        for i in range(4):
            M = mats[i]                                              # [token row, feature column]
            d = M[2 * (lane & 3), lane >> 2].astype(np.uint32) | (M[2 * (lane & 3) + 1, lane >> 2].astype(np.uint32) << 16)
            at = row + (((4 * half + i) ^ (f & 7)) << 4)
            assert len(set(((at >> 2) & 31).tolist())) == 32, "store bank conflict"
            u32[at >> 2] = d
def words_f(w):  # uint32 pairs -> (lo, hi) float32
    return (w << 16).view(np.float32), (w & 0xffff0000).view(np.float32)
tokenBlocks = (T + 63) // 64
partials = np.full((tokenBlocks, len(entries)), np.nan, np.float32)  # plan order
for slab in range(slabs):
    for tb in range(tokenBlocks):
        i0, t0 = slab * R, tb * 64
        # shared memory starts as NaNs, so reading anything never staged shows in the result
        smem8 = np.full((R + 2 * C) * 128, 0xff, np.uint8); u32 = smem8.view(np.uint32)
        rowsAt, colsAt = 0, R * 128; rawAt = colsAt + C * 128
        slabRows = min(R, n - i0); pieces = (slabRows + C - 1) // C
        stage_copy(dO, n, i0, min(C, slabRows), t0, smem8, rawAt)
        for k in range(pieces):                                      # piece k + 1 copied before piece k's transpose
            if k + 1 < pieces:
                stage_copy(dO, n, i0 + (k + 1) * C, min(C, slabRows - (k + 1) * C), t0, smem8, rawAt if k & 1 else colsAt)
            stage_transpose(smem8, colsAt if k & 1 else rawAt, min(C, slabRows - k * C), rowsAt, k * C)
        stage_copy(X, m, 0, min(C, m), t0, smem8, rawAt)
        for p in range(panels):
            c0 = p * C
            stage_transpose(smem8, rawAt, min(C, m - c0), colsAt, 0)
            if p + 1 < panels: stage_copy(X, m, c0 + C, min(C, m - c0 - C), t0, smem8, rawAt)
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
                    U = np.stack([u32[(rowsAt >> 2) + ai * 4 + w] for w in range(4)], 1)
                    V = np.stack([u32[(colsAt >> 2) + bi * 4 + w] for w in range(4)], 1)
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
assert np.isfinite(out).all(), "a non-zero never got its sum, or read shared memory never staged"
ref = np.array([np.dot(f32(dO[:, rows_[k]]).astype(np.float64), f32(X[:, colIdx[k]]).astype(np.float64)) for k in range(nnz)])
print(f"n={n} m={m} T={T} nnz={nnz} slabs={slabs} panels={panels} rel err {np.linalg.norm(out - ref) / np.linalg.norm(ref):.2e}")
