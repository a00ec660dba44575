package dev.rosarium.kernels;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

import java.util.HashMap;
import java.util.Map;

/**
 * A loaded cubin and launches of its kernels through the driver API. Arguments are written into
 * one reused native buffer (8 bytes a slot), so a launch allocates nothing; the driver copies the
 * arguments during {@code cuLaunchKernel}, which makes reusing the buffer safe.
 */
final class KernelModule {
    private static final int MAX_ARGS = 32;
    /** Dynamic shared memory a block gets without raising the function's limit. */
    private static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final BytePointer argBytes = new BytePointer(MAX_ARGS * 8L);
    private final PointerPointer<?> argPtrs = new PointerPointer<>(MAX_ARGS);

    KernelModule(byte[] cubin) {
        BytePointer image = new BytePointer(cubin.length);
        image.put(cubin);
        CudaCheck.driver(cudart.cuModuleLoadData(module, image), "cuModuleLoadData");
        for (int i = 0; i < MAX_ARGS; i++) {
            argPtrs.put(i, new DevicePointer(argBytes.address() + 8L * i));
        }
    }

    private CUfunc_st function(String name) {
        CUfunc_st f = functions.get(name);
        if (f == null) {
            f = new CUfunc_st();
            CudaCheck.driver(cudart.cuModuleGetFunction(f, module, name), "cuModuleGetFunction(" + name + ")");
            functions.put(name, f);
        }
        return f;
    }

    /**
     * Launches {@code name} on {@code stream}. Arguments: {@link Long} for pointers and 64-bit
     * integers, {@link Integer}, {@link Float}; a null pointer is {@code 0L}.
     */
    void launch(String name, CUstream_st stream, int gridX, int gridY, int blockX, int blockY, Object... args) {
        launchShared(name, stream, gridX, gridY, blockX, blockY, 0, args);
    }

    /** As {@link #launch}, with {@code sharedBytes} of dynamic shared memory per block. */
    synchronized void launchShared(String name, CUstream_st stream, int gridX, int gridY, int blockX, int blockY,
                                   int sharedBytes, Object... args) {
        if (args.length > MAX_ARGS) {
            throw new IllegalArgumentException(name + ": more than " + MAX_ARGS + " arguments");
        }
        for (int i = 0; i < args.length; i++) {
            long off = 8L * i;
            Object a = args[i];
            if (a instanceof Long l) {
                argBytes.putLong(off, l);
            } else if (a instanceof Integer n) {
                argBytes.putInt(off, n);
            } else if (a instanceof Float f) {
                argBytes.putFloat(off, f);
            } else {
                throw new IllegalArgumentException(name + ": argument " + i + " has unsupported type " + a);
            }
        }
        CUfunc_st f = function(name);
        if (sharedBytes > DEFAULT_SHARED_LIMIT) {
            CudaCheck.driver(cudart.cuFuncSetAttribute(f, cudart.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                    "cuFuncSetAttribute(" + name + ", " + sharedBytes + " bytes of shared memory)");
        }
        long t0 = OpProfile.begin();
        CudaCheck.driver(cudart.cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, sharedBytes, stream, argPtrs,
                (PointerPointer<?>) null), "cuLaunchKernel(" + name + ")");
        OpProfile.end(name, t0);
    }
}
