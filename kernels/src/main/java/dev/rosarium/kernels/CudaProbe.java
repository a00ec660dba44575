package dev.rosarium.kernels;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;

/**
 * Finds out whether this process can use a CUDA device, without ever throwing: machines without a
 * GPU or without the CUDA 13 libraries get a reason instead. The host's libraries are used
 * ({@code -Dorg.bytedeco.javacpp.pathsFirst=true} with {@code LD_LIBRARY_PATH} naming them).
 */
public final class CudaProbe {
    /** What the probe found; {@code reason} says why CUDA is unavailable, or is empty. */
    public record Result(boolean available, int devices, int runtimeVersion, int driverVersion, String reason) {
    }

    private static Result cached;

    private CudaProbe() {
    }

    public static synchronized Result probe() {
        if (cached == null) {
            cached = run();
        }
        return cached;
    }

    private static Result run() {
        try {
            Loader.load(cudart.class);
        } catch (Throwable t) {
            return new Result(false, 0, 0, 0, "CUDA runtime libraries not loadable: " + t.getMessage());
        }
        try (IntPointer n = new IntPointer(1); IntPointer rt = new IntPointer(1); IntPointer drv = new IntPointer(1)) {
            int err = cudart.cudaGetDeviceCount(n);
            cudart.cudaRuntimeGetVersion(rt);
            cudart.cudaDriverGetVersion(drv);
            if (err != cudart.cudaSuccess || n.get() == 0) {
                return new Result(false, 0, rt.get(), drv.get(),
                        err != cudart.cudaSuccess ? "cudaGetDeviceCount failed: " + cudart.cudaGetErrorString(err).getString()
                                : "no CUDA device");
            }
            return new Result(true, n.get(), rt.get(), drv.get(), "");
        } catch (Throwable t) {
            return new Result(false, 0, 0, 0, "CUDA probe failed: " + t);
        }
    }
}
