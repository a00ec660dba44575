package dev.rosarium.kernels;

import dev.rosarium.core.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DevicesTest {
    @Test
    void cpuIsTheReferenceBackend() {
        assertSame(CpuBackend.get(), Devices.byName("cpu"));
    }

    @Test
    void unknownDeviceNamesTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.byName("tpu"));
        assertTrue(e.getMessage().contains("cpu or cuda"), e.getMessage());
    }

    @Test
    void cudaIsTheGpuBackendOrAClearRefusal() {
        if (CudaProbe.probe().available()) {
            assertEquals("cuda", Devices.byName("cuda").name());
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.byName("cuda"));
            assertTrue(e.getMessage().startsWith("--device cuda: "), e.getMessage());
        }
    }
}
