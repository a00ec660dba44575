package dev.rosarium.kernels;

import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.PointerPointer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Device memory with a cache of freed blocks keyed by their rounded size: a training step
 * allocates the same shapes every time, so after the first step nearly every allocation is a
 * free-list pop instead of a {@code cudaMalloc} (which synchronizes the device). A block freed by
 * the host is handed out again at once when only the main stream used it (the stream orders its old
 * users before its new ones); a block the side stream still reads or writes waits in
 * {@code deferred} until the event recorded after that work has passed. When the device is full,
 * the cache is returned and the allocation retried once.
 */
final class CachingAllocator {
    private static final long SMALL = 1L << 20;
    private static final long SMALL_ROUND = 512;
    private static final long LARGE_ROUND = 2L << 20;

    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private final List<Deferred> deferred = new ArrayList<>();
    private long inUse;
    private long peakInUse;
    private long reserved;
    private long peakReserved;

    static long roundUp(long bytes) {
        long unit = bytes <= SMALL ? SMALL_ROUND : LARGE_ROUND;
        return Math.max(unit, (bytes + unit - 1) / unit * unit);
    }

    private record Deferred(long ptr, long size, CUevent_st after) {
    }

    synchronized long allocate(long bytes) {
        long size = roundUp(bytes);
        reclaim(false);
        ArrayDeque<Long> list = free.get(size);
        long ptr;
        if (list != null && !list.isEmpty()) {
            ptr = list.pop();
        } else {
            ptr = cudaMalloc(size);
            reserved += size;
            peakReserved = Math.max(peakReserved, reserved);
        }
        inUse += size;
        peakInUse = Math.max(peakInUse, inUse);
        return ptr;
    }

    synchronized void free(long ptr, long bytes) {
        long size = roundUp(bytes);
        inUse -= size;
        free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(ptr);
    }

    /** Frees a block once {@code after} has passed; until then it counts as in use. */
    synchronized void freeAfter(long ptr, long bytes, CUevent_st after) {
        deferred.add(new Deferred(ptr, roundUp(bytes), after));
    }

    /** Frees the deferred blocks whose events have passed, or all of them after a device sync. */
    private void reclaim(boolean all) {
        for (Iterator<Deferred> it = deferred.iterator(); it.hasNext(); ) {
            Deferred d = it.next();
            if (all || cudart.cudaEventQuery(d.after()) == cudart.cudaSuccess) {
                it.remove();
                free(d.ptr(), d.size());
            }
        }
    }

    private long cudaMalloc(long size) {
        try (PointerPointer<?> out = new PointerPointer<>(1)) {
            int err = cudart.cudaMalloc(out, size);
            if (err == cudart.cudaErrorMemoryAllocation) {
                cudart.cudaGetLastError();
                releaseCache();
                err = cudart.cudaMalloc(out, size);
            }
            CudaCheck.runtime(err, "cudaMalloc(" + size + " bytes; " + inUse + " in use, " + reserved + " reserved)");
            return out.get(0).address();
        }
    }

    /** Returns every cached block to the device. */
    synchronized void releaseCache() {
        CudaCheck.runtime(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
        reclaim(true);
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
            for (long p : e.getValue()) {
                CudaCheck.runtime(cudart.cudaFree(new DevicePointer(p)), "cudaFree");
                reserved -= e.getKey();
            }
        }
        free.clear();
    }

    synchronized long inUse() {
        return inUse;
    }

    synchronized long peakInUse() {
        return peakInUse;
    }

    synchronized long peakReserved() {
        return peakReserved;
    }

    synchronized void resetPeaks() {
        peakInUse = inUse;
        peakReserved = reserved;
    }
}
