package dev.rosarium.core.train;

import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.LrSchedule;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingTest {
    private final Backend be = CpuBackend.get();

    @TempDir
    Path tmp;

    private static double mean(List<StepMetrics> m, int from, int to) {
        return m.subList(from, to).stream().mapToDouble(StepMetrics::loss).average().orElseThrow();
    }

    @Test
    void mlpLearns() throws IOException {
        TinyModels.Mlp model = new TinyModels.Mlp(be, 1, 0f);
        AdamW opt = AdamW.withDefaults(List.of(new ParamGroup("all", model.params, 1e-2, 0.0)));
        TrainingLoop<TinyModels.Batch> loop = new TrainingLoop<>(be, opt, new LrSchedule.Constant(0),
                TinyModels.Mlp.data(be, 64), model, new TrainingLoop.Settings(300, 1, 0, 0, 1, "{}"), null);
        List<StepMetrics> m = new ArrayList<>();
        loop.run(m::add);
        double first = m.get(0).loss();
        double last = mean(m, 290, 300);
        assertTrue(first > 1.2, "initial loss " + first + " should be near ln 4");
        assertTrue(last < 0.35, "loss fell only from " + first + " to " + last);
    }

    @Test
    void attentionBlockLearnsToCount() throws IOException {
        TinyModels.AttentionBlock model = new TinyModels.AttentionBlock(be, 2, 16);
        AdamW opt = AdamW.withDefaults(List.of(new ParamGroup("all", model.params, 1e-2, 0.01)));
        TrainingLoop<TinyModels.Batch> loop = new TrainingLoop<>(be, opt, new LrSchedule.LinearWarmupDecay(10, 200),
                TinyModels.AttentionBlock.data(be, 8, 12), model, new TrainingLoop.Settings(200, 1, 1.0, 0, 2, "{}"),
                null);
        List<StepMetrics> m = new ArrayList<>();
        loop.run(m::add);
        double first = m.get(0).loss();
        double last = mean(m, 190, 200);
        assertTrue(first > 2.0, "initial loss " + first + " should be near ln 11");
        assertTrue(last < 0.1, "loss fell only from " + first + " to " + last);
    }

    private TrainingLoop<TinyModels.Batch> mlpRun(TinyModels.Mlp model, long steps, CheckpointStore store) {
        List<ParamGroup> groups = List.of(
                new ParamGroup("weights", List.of(model.params.get(0), model.params.get(2)), 5e-3, 0.05),
                new ParamGroup("biases", List.of(model.params.get(1), model.params.get(3)), 2e-2, 0.0));
        return new TrainingLoop<>(be, AdamW.withDefaults(groups), new LrSchedule.LinearWarmupDecay(3, steps),
                TinyModels.Mlp.data(be, 16), model, new TrainingLoop.Settings(steps, 2, 0.5, 4, 11, "{\"lr\":5e-3}"),
                store);
    }

    @Test
    void resumeIsBitExact() throws IOException {
        TinyModels.Mlp straight = new TinyModels.Mlp(be, 3, 0.1f);
        mlpRun(straight, 12, null).run(x -> { });

        CheckpointStore store = new CheckpointStore(tmp.resolve("ckpt"), 2);
        TinyModels.Mlp first = new TinyModels.Mlp(be, 3, 0.1f);
        TrainingLoop<TinyModels.Batch> a = mlpRun(first, 12, store);
        for (int s = 0; s < 5; s++) {
            a.trainStep();
        }
        Path saved = a.saveCheckpoint();
        assertEquals(5, CheckpointStore.stepOf(saved));

        TinyModels.Mlp resumed = new TinyModels.Mlp(be, 99, 0.1f); // different init: everything must come from the checkpoint
        TrainingLoop<TinyModels.Batch> b = mlpRun(resumed, 12, store);
        b.restore(CheckpointStore.load(store.latest().orElseThrow(), be));
        b.run(x -> { });
        for (int i = 0; i < straight.params.size(); i++) {
            NamedParameter p = straight.params.get(i);
            assertArrayEquals(p.variable().value().toFloats(), resumed.params.get(i).variable().value().toFloats(), 0f,
                    p.name());
        }
        // checkpoints at 8 and 12 were written by the resumed run; only the newest two are kept
        assertEquals(List.of(8L, 12L), store.list().stream().map(CheckpointStore::stepOf).toList());
    }

    @Test
    void corruptCheckpointIsRefused() throws IOException {
        CheckpointStore store = new CheckpointStore(tmp.resolve("c"), 1);
        TrainingLoop<TinyModels.Batch> loop = mlpRun(new TinyModels.Mlp(be, 3, 0f), 4, store);
        loop.trainStep();
        Path dir = loop.saveCheckpoint();
        Path state = dir.resolve("state.safetensors");
        byte[] bytes = Files.readAllBytes(state);
        bytes[bytes.length - 1] ^= 1;
        Files.write(state, bytes);
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(dir, be));
        assertTrue(e.getMessage().contains("state.safetensors") && e.getMessage().contains("SHA-256"), e.getMessage());
    }
}
