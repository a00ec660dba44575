package dev.rosarium.core.train;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.optim.GradClip;
import dev.rosarium.core.optim.LrSchedule;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.Optimizer;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The training step, top to bottom: for each of {@code gradAccumulation} micro-batches run the
 * forward on a fresh tape and back-propagate {@code loss / gradAccumulation}; clip the global
 * gradient norm; step the optimizer at the scheduled rate; report; checkpoint every
 * {@code checkpointEvery} steps.
 */
public final class TrainingLoop<B> {
    /** How long and how to train. {@code maxGradNorm <= 0} disables clipping; {@code checkpointEvery <= 0} disables checkpoints. */
    public record Settings(long totalSteps, int gradAccumulation, double maxGradNorm, int checkpointEvery, long seed,
                           String config) {
        public Settings {
            if (totalSteps < 0 || gradAccumulation < 1) {
                throw new IllegalArgumentException("totalSteps must be >= 0 and gradAccumulation >= 1");
            }
        }
    }

    private final Backend backend;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final DataSource<B> data;
    private final LossFunction<B> lossFunction;
    private final Settings settings;
    private final CheckpointStore checkpoints;
    private final java.util.List<StepHook> hooks = new java.util.ArrayList<>();
    private long step;

    public TrainingLoop(Backend backend, Optimizer optimizer, LrSchedule schedule, DataSource<B> data,
                        LossFunction<B> lossFunction, Settings settings, CheckpointStore checkpoints) {
        this.backend = backend;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.data = data;
        this.lossFunction = lossFunction;
        this.settings = settings;
        this.checkpoints = checkpoints;
    }

    public long step() {
        return step;
    }

    /** Adds a method schedule (mask warm-up, subspace resampling, pruning) to every step. */
    public TrainingLoop<B> addHook(StepHook hook) {
        hooks.add(hook);
        return this;
    }

    /** One optimizer step over {@code gradAccumulation} micro-batches. */
    public StepMetrics trainStep() {
        for (StepHook h : hooks) {
            h.beforeStep(step);
        }
        double lossSum = 0;
        float seedGrad = 1f / settings.gradAccumulation();
        for (int micro = 0; micro < settings.gradAccumulation(); micro++) {
            B batch = data.next();
            try (Tape tape = Tape.training(backend)) {
                Variable loss = lossFunction.loss(tape, batch, new StepContext(step, micro, settings.seed()));
                lossSum += loss.value().item();
                tape.backward(loss, seedGrad);
            }
        }
        double norm = GradClip.clipGlobalNorm(optimizer.groups(), settings.maxGradNorm());
        double factor = schedule.factor(step);
        for (StepHook h : hooks) {
            h.beforeOptimizerStep(step);
        }
        optimizer.step(factor);
        optimizer.zeroGrad();
        for (StepHook h : hooks) {
            h.afterStep(step);
        }
        step++;
        return new StepMetrics(step, settings.totalSteps(), lossSum / settings.gradAccumulation(), factor, norm);
    }

    /** Trains until {@code totalSteps}, reporting each step and checkpointing on schedule. */
    public void run(Consumer<StepMetrics> listener) throws IOException {
        while (step < settings.totalSteps()) {
            StepMetrics m = trainStep();
            listener.accept(m);
            if (checkpoints != null && settings.checkpointEvery() > 0
                    && (step % settings.checkpointEvery() == 0 || step == settings.totalSteps())) {
                saveCheckpoint();
            }
        }
    }

    public Path saveCheckpoint() throws IOException {
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (ParamGroup g : optimizer.groups()) {
            for (NamedParameter p : g.params()) {
                params.put(p.name(), p.variable().value());
            }
        }
        return checkpoints.save(new Checkpoint(step, optimizer.steps(), settings.seed(), data.position(),
                settings.config(), params, optimizer.state()));
    }

    /** Continues from a checkpoint: parameters copied in place, optimizer, data position and step restored. */
    public void restore(Checkpoint c) {
        if (c.seed() != settings.seed()) {
            throw new IllegalArgumentException("checkpoint seed " + c.seed() + " differs from the run's seed "
                    + settings.seed());
        }
        for (ParamGroup g : optimizer.groups()) {
            for (NamedParameter p : g.params()) {
                Tensor saved = c.params().get(p.name());
                Variable v = p.variable();
                if (saved == null || !saved.sameShape(v.value())) {
                    throw new IllegalArgumentException("checkpoint has no tensor of the right shape for parameter "
                            + p.name());
                }
                backend.copy(saved, v.value());
            }
        }
        optimizer.loadState(c.optimizerState(), c.optimizerSteps());
        data.seek(c.dataPosition());
        step = c.step();
    }
}
