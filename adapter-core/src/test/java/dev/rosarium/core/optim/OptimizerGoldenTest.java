package dev.rosarium.core.optim;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rosarium.core.Golden;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * AdamW and SGD trajectories against torch.optim on the same gradients (tools/golden). Both compute
 * in fp32 with the same formula order; the tolerance 1e-6 absolute covers the few ulps that
 * differing sqrt/division rounding can leave after four steps.
 */
class OptimizerGoldenTest {
    private final Backend be = CpuBackend.get();

    @Test
    void matchesTorchOptim() {
        JsonObject g = Golden.json("optimizers.json").getAsJsonObject();
        int[] shape = g.getAsJsonArray("shape").asList().stream().mapToInt(JsonElement::getAsInt).toArray();
        float[] init = Golden.floats(g.get("init"));
        var grads = g.getAsJsonArray("grads");
        for (JsonElement runEl : g.getAsJsonArray("runs")) {
            JsonObject run = runEl.getAsJsonObject();
            JsonObject cfg = run.getAsJsonObject("config");
            Variable p = Variable.parameter(be.fromFloats(init, DType.F32, shape));
            ParamGroup group = new ParamGroup("all", List.of(new NamedParameter("p", p)), cfg.get("lr").getAsDouble(),
                    cfg.get("weight_decay").getAsDouble());
            Optimizer opt = run.get("kind").getAsString().equals("adamw")
                    ? new AdamW(List.of(group), cfg.getAsJsonArray("betas").get(0).getAsDouble(),
                    cfg.getAsJsonArray("betas").get(1).getAsDouble(), cfg.get("eps").getAsDouble())
                    : new Sgd(List.of(group), cfg.get("momentum").getAsDouble());
            var after = run.getAsJsonArray("after_each_step");
            for (int s = 0; s < grads.size(); s++) {
                p.setGrad(be.fromFloats(Golden.floats(grads.get(s)), DType.F32, shape));
                opt.step(1.0);
                assertArrayEquals(Golden.floats(after.get(s)), p.value().toFloats(), 1e-6f,
                        run.get("kind") + " " + cfg + " step " + (s + 1));
            }
        }
    }

    @Test
    void schedulesFollowTheirFormulas() {
        LrSchedule lin = new LrSchedule.LinearWarmupDecay(10, 110);
        assertEquals(0.0, lin.factor(0));
        assertEquals(0.5, lin.factor(5));
        assertEquals(1.0, lin.factor(10));
        assertEquals(0.5, lin.factor(60));
        assertEquals(0.0, lin.factor(110));
        assertEquals(0.0, lin.factor(500));
        LrSchedule cos = new LrSchedule.Cosine(0, 100, 0.1);
        assertEquals(1.0, cos.factor(0), 1e-12);
        assertEquals(0.55, cos.factor(50), 1e-12);
        assertEquals(0.1, cos.factor(100), 1e-12);
        assertEquals(1.0, new LrSchedule.Constant(0).factor(7));
        assertEquals(0.25, new LrSchedule.Constant(4).factor(1));
    }

    @Test
    void clipsToTheGlobalNorm() {
        Variable a = Variable.parameter(be.zeros(DType.F32, 2));
        Variable b = Variable.parameter(be.zeros(DType.F32, 1));
        a.setGrad(be.fromFloats(new float[] {3f, 0f}, DType.F32, 2));
        b.setGrad(be.fromFloats(new float[] {4f}, DType.F32, 1));
        List<ParamGroup> groups = List.of(new ParamGroup("g", List.of(new NamedParameter("a", a),
                new NamedParameter("b", b)), 1, 0));
        assertEquals(5.0, GradClip.clipGlobalNorm(groups, 1.0), 1e-9);
        assertArrayEquals(new float[] {0.6f, 0f}, a.grad().toFloats(), 1e-6f);
        assertArrayEquals(new float[] {0.8f}, b.grad().toFloats(), 1e-6f);
        assertEquals(1.0, GradClip.clipGlobalNorm(groups, 2.0), 1e-5);
        assertArrayEquals(new float[] {0.8f}, b.grad().toFloats(), 1e-6f);
    }
}
