package dev.rosarium.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On a machine without a GPU (CI) the probe must report why instead of failing the process. */
class CudaProbeTest {
    @Test
    void reportsAvailabilityOrAReason() {
        CudaProbe.Result r = CudaProbe.probe();
        if (r.available()) {
            assertTrue(r.devices() > 0);
            assertTrue(r.runtimeVersion() >= 13000, "CUDA 13 runtime expected, got " + r.runtimeVersion());
        } else {
            assertFalse(r.reason().isBlank());
        }
    }
}
