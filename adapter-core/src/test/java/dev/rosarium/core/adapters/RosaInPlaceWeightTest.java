package dev.rosarium.core.adapters;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.tensor.Backend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RoSA's sp_add puts {@code W + S} into the frozen weight in place, and a training tape keeps it
 * there from a layer's forward product to its backward one. Whatever the graph does, the frozen
 * weight must come back bit-exactly: after a step, after a tape closed without a backward, after
 * two forward passes on one tape; and nothing may merge while a tape holds {@code W + S}.
 */
class RosaInPlaceWeightTest {
    private final Backend be = CpuBackend.get();

    private static final class Rig {
        final LlamaForCausalLM model;
        final AdapterSet set;
        final Map<String, float[]> original = new LinkedHashMap<>();
        final AdapterBehaviourTest.Batch batch;

        Rig(Backend be) throws Exception {
            model = AdapterBehaviourTest.tiny(be);
            batch = AdapterBehaviourTest.batch(be);
            for (Map.Entry<String, Linear> e : model.linearModules().entrySet()) {
                original.put(e.getKey(), e.getValue().weight().value().toFloats());
            }
            set = AdapterSet.rosa(model.linearModules(), new RosaConfig(4, 8, 0, 0.05, TargetModules.allLinear(), 0, 1,
                    GradientStatistics.Mode.MEAN_SQUARED, RosaConfig.Impl.SP_ADD), 1);
            Random r = new Random(5);
            for (LinearAdapter la : set.adapters().values()) {
                RosaAdapter ra = (RosaAdapter) la;
                ra.setMask(SparseMask.random(ra.base().outFeatures(), ra.base().inFeatures(), 0.05, r));
                be.fillUniform(ra.values().value(), -0.1f, 0.1f, r.nextLong(), 0);
            }
        }

        Variable loss(Tape t) {
            return t.crossEntropy(model.logits(t, batch.x(), null, null, null), batch.y(), -100);
        }

        void assertRestored() {
            for (Map.Entry<String, Linear> e : model.linearModules().entrySet()) {
                assertArrayEquals(original.get(e.getKey()), e.getValue().weight().value().toFloats(), 0f, e.getKey());
            }
        }

        boolean anyWeightDiffers() {
            for (Map.Entry<String, Linear> e : model.linearModules().entrySet()) {
                if (!java.util.Arrays.equals(original.get(e.getKey()), e.getValue().weight().value().toFloats())) {
                    return true;
                }
            }
            return false;
        }

        List<float[]> valueGrads() {
            List<float[]> out = new ArrayList<>();
            for (LinearAdapter la : set.adapters().values()) {
                out.add(((RosaAdapter) la).values().grad().toFloats());
                ((RosaAdapter) la).values().zeroGrad();
            }
            return out;
        }
    }

    @Test
    void aTrainingStepHoldsWPlusSUntilTheBackwardAndRestoresW() throws Exception {
        Rig rig = new Rig(be);
        try (Tape t = Tape.training(be)) {
            Variable l = rig.loss(t);
            assertTrue(rig.anyWeightDiffers(), "between forward and backward the frozen weights hold W + S");
            t.backward(l);
            rig.assertRestored();
        }
        rig.assertRestored();
    }

    @Test
    void aTapeClosedWithoutABackwardRestoresW() throws Exception {
        Rig rig = new Rig(be);
        try (Tape t = Tape.training(be)) {
            rig.loss(t);
        }
        rig.assertRestored();
    }

    @Test
    void twoForwardPassesOnOneTapeGiveTheGradientsOfTwoTapes() throws Exception {
        Rig rig = new Rig(be);
        try (Tape t = Tape.training(be)) {
            t.backward(t.add(rig.loss(t), rig.loss(t)));
        }
        rig.assertRestored();
        List<float[]> together = rig.valueGrads();
        for (int pass = 0; pass < 2; pass++) {
            try (Tape t = Tape.training(be)) {
                t.backward(rig.loss(t));
            }
        }
        rig.assertRestored();
        List<float[]> separate = rig.valueGrads();
        for (int i = 0; i < together.size(); i++) {
            assertArrayEquals(separate.get(i), together.get(i), 1e-6f, "layer " + i);
        }
    }

    @Test
    void nothingMergesWhileATapeHoldsWPlusS() throws Exception {
        Rig rig = new Rig(be);
        // the last layer: its input carries gradient (the first layer's, from frozen embeddings, does
        // not, so its backward needs no W and nothing is held there)
        List<LinearAdapter> adapters = new ArrayList<>(rig.set.adapters().values());
        LinearAdapter last = adapters.get(adapters.size() - 1);
        try (Tape t = Tape.training(be)) {
            rig.loss(t);
            assertThrows(IllegalStateException.class, last::merge);
        }
        rig.assertRestored();
        last.merge();
    }
}
