package dev.rosarium.kernels;

import dev.rosarium.core.tensor.DType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every CUDA op and a short LoRA/RoSA training run against the CPU backend; skipped without a GPU. */
class CudaParityTest {
    private CudaParity parity;

    @BeforeEach
    void gpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), "no CUDA device: " + probe.reason());
        parity = new CudaParity(CudaBackend.get(), System.nanoTime());
    }

    @Test
    void everyOpMatchesTheCpuBackend() {
        List<CudaParity.Outcome> failed = parity.opChecks().stream().filter(o -> !o.passed()).toList();
        assertTrue(failed.isEmpty(), () -> failed.stream().map(Object::toString).collect(Collectors.joining("\n")));
    }

    @Test
    void trainingLossCurvesMatch() throws Exception {
        for (CudaParity.Method m : CudaParity.Method.values()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                CudaParity.Curve c = parity.trainingCheck(m, dt, 20);
                assertTrue(c.passed(), () -> m + " " + dt + ": loss curves differ by " + c.maxRelDiff());
            }
        }
    }
}
