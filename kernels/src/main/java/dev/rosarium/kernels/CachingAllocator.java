package dev.rosarium.kernels;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.PointerPointer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Device memory with a cache of freed blocks keyed by their rounded size: a training step
 * allocates the same shapes every time, so after the first step nearly every allocation is a
 * free-list pop instead of a {@code cudaMalloc} (which synchronizes the device). All work runs
 * on one stream, so a block freed by the host can be handed out again at once: the stream orders
 * its old users before its new ones. When the device is full, the cache is returned and the
 * allocation retried once.
 */
final class CachingAllocator {
    private static final long SMALL = 1L << 20;
    private static final long SMALL_ROUND = 512;
    private static final long LARGE_ROUND = 2L << 20;

    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long inUse;
    private long peakInUse;
    private long reserved;
    private long peakReserved;

    static long roundUp(long bytes) {
        long unit = bytes <= SMALL ? SMALL_ROUND : LARGE_ROUND;
        return Math.max(unit, (bytes + unit - 1) / unit * unit);
    }

    synchronized long allocate(long bytes) {
        long size = roundUp(bytes);
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
