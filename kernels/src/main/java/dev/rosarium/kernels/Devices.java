package dev.rosarium.kernels;

import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.tensor.Backend;

/** The backend a command runs on, chosen by name at run time ({@code --device cpu|cuda}). */
public final class Devices {
    private Devices() {
    }

    /**
     * {@code cpu} or {@code cuda}; asking for CUDA where it cannot be used fails with the probe's
     * reason (no device, libraries not found) rather than later inside a kernel.
     */
    public static Backend byName(String device) {
        switch (device) {
            case "cpu":
                return CpuBackend.get();
            case "cuda": {
                CudaProbe.Result probe = CudaProbe.probe();
                if (!probe.available()) {
                    throw new IllegalArgumentException("--device cuda: " + probe.reason()
                            + " (run with LD_LIBRARY_PATH naming the CUDA 13 libraries and"
                            + " -Dorg.bytedeco.javacpp.pathsFirst=true)");
                }
                return CudaBackend.get();
            }
            default:
                throw new IllegalArgumentException("--device must be cpu or cuda, got '" + device + "'");
        }
    }
}
