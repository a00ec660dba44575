package dev.rosarium.activities.trial;

import com.google.gson.Gson;
import dev.rosarium.activities.prepare.DataPreparation;
import dev.rosarium.activities.prepare.PrepareRequest;
import dev.rosarium.activities.prepare.PreparedData;
import dev.rosarium.activities.prepare.TokenShards;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import dev.rosarium.core.adapters.MaskFile;
import dev.rosarium.core.adapters.RosaSchedule;
import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.recipes.FineTuneConfig;
import dev.rosarium.core.recipes.ClassificationRecipe;
import dev.rosarium.core.recipes.CausalLmRun;
import dev.rosarium.core.recipes.ClassifierRun;
import dev.rosarium.core.recipes.FineTuneRun;
import dev.rosarium.core.recipes.GenerationEval;
import dev.rosarium.core.recipes.GenerationRecipe;
import dev.rosarium.core.tasks.GenerationExample;
import dev.rosarium.core.tasks.RowSelection;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tokenize.TokenizedExample;
import dev.rosarium.core.train.Checkpoint;
import dev.rosarium.core.train.CheckpointStore;
import dev.rosarium.core.train.StepMetrics;
import dev.rosarium.core.train.TrainingLoop;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The trial steps on a worker: each calls the real recipe pieces and writes content-addressed files. */
public final class TrialActivitiesImpl implements TrialActivities {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Backend backend;
    private final TrialWorkspace workspace;
    private final Trackers trackers;

    public TrialActivitiesImpl(Backend backend, TrialWorkspace workspace, Trackers trackers) {
        this.backend = backend;
        this.workspace = workspace;
        this.trackers = trackers;
    }

    @Override
    public PreparedRef prepare(TrialConfig t) {
        FineTuneConfig c = t.fineTune();
        try {
            PreparedData d = DataPreparation.prepare(new PrepareRequest(c.task(), c.model(), c.maxLength(),
                    c.trainRows(), c.evalRows(), c.seed(), workspace.dataRoot(), workspace.prepared(), "direct"));
            return new PreparedRef(d.directory().toString(), d.contentHash());
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
    }

    @Override
    public MaskRef warmUp(TrialConfig t, PreparedRef data) {
        List<TokenizedExample> train = trainRows(t, data);
        FineTuneConfig c = t.fineTune();
        long total = FineTuneRun.totalSteps(c, train.size());
        String hash = Hashes.sha256("masks|" + c.cacheKey() + "|" + total + "|" + data.contentHash());
        Path file = workspace.masks().resolve(hash + ".safetensors");
        if (Files.isRegularFile(file)) {
            trackers.of(t.experiment()).logArtifact(t.trialId(), file, "masks");
            return new MaskRef(file.toString(), hash);
        }
        ActivityExecutionContext ctx = Activity.getExecutionContext();
        try (FineTuneRun<?> run = open(t, total)) {
            RosaSchedule schedule = run.rosaSchedule().orElseThrow(() -> new IllegalArgumentException(
                    "method " + c.method().method() + " has no mask warm-up"));
            TrainingLoop<?> loop = run.loopOver(train, null, 0);
            while (!schedule.masksReady()) {
                if (loop.step() >= total) {
                    throw new IllegalArgumentException("the mask warm-up needs more steps than the run's " + total
                            + " (lower method.warmup_steps or train longer)");
                }
                loop.trainStep();
                ctx.heartbeat(new TrainHeartbeat(loop.step(), total, null));
            }
            Files.createDirectories(file.getParent());
            MaskFile.save(file, schedule.masks(), Map.of("config", c.toString(), "data", data.contentHash(),
                    "warmup_steps", Long.toString(loop.step())));
            trackers.of(t.experiment()).logArtifact(t.trialId(), file, "masks");
            return new MaskRef(file.toString(), hash);
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
    }

    @Override
    public TrainProgress train(TrialConfig t, PreparedRef data, MaskRef masks, int rung) {
        List<TokenizedExample> train = trainRows(t, data);
        long total = FineTuneRun.totalSteps(t.fineTune(), train.size());
        long until = total * (rung + 1) / t.rungs();
        Path dir = workspace.trial(t, data);
        Path rungFile = dir.resolve("rungs").resolve("step-" + until + ".json");
        CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), 2);
        ActivityExecutionContext ctx = Activity.getExecutionContext();
        try {
            if (Files.isRegularFile(rungFile)) {
                return GSON.fromJson(Files.readString(rungFile), TrainProgress.class);
            }
            Optional<Path> resume = resumePoint(ctx, store, until);
            try (FineTuneRun<?> run = open(t, total)) {
                if (masks != null) {
                    run.rosaSchedule().orElseThrow().useMasks(MaskFile.load(Path.of(masks.file())));
                }
                TrainingLoop<?> loop = run.loopOver(train, store, t.checkpointEvery());
                if (resume.isPresent()) {
                    loop.restore(CheckpointStore.load(resume.get(), backend));
                }
                long from = loop.step();
                String checkpoint = resume.map(Path::toString).orElse(null);
                ctx.heartbeat(new TrainHeartbeat(from, total, checkpoint));
                while (loop.step() < until) {
                    StepMetrics m = loop.trainStep();
                    if (loop.step() % t.checkpointEvery() == 0 || loop.step() == until) {
                        checkpoint = loop.saveCheckpoint().toString();
                    }
                    ctx.heartbeat(new TrainHeartbeat(loop.step(), total, checkpoint));
                    onStep(t, m);
                }
                if (checkpoint == null) {
                    checkpoint = loop.saveCheckpoint().toString();
                }
                TrainHeartbeat done = new TrainHeartbeat(until, total, checkpoint);
                ctx.heartbeat(done);
                Map<String, Double> metrics = run instanceof CausalLmRun lm
                        ? lm.evaluate(heldOut(t), () -> ctx.heartbeat(done))
                        : ((ClassifierRun) run).evaluate(split(data, "eval"));
                Map<String, Double> logged = new LinkedHashMap<>();
                metrics.forEach((k, v) -> logged.put("eval_" + k, v));
                trackers.of(t.experiment()).logMetrics(t.trialId(), logged, until);
                TrainProgress p = new TrainProgress(until, total, checkpoint, metrics, from, until - from);
                AtomicFiles.write(rungFile, GSON.toJson(p).getBytes(StandardCharsets.UTF_8));
                return p;
            }
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
    }

    /** The checkpoint to continue from: the heartbeat's if it is still there, else the store's newest before {@code until}. */
    private static Optional<Path> resumePoint(ActivityExecutionContext ctx, CheckpointStore store, long until)
            throws IOException {
        Optional<TrainHeartbeat> beat = ctx.getHeartbeatDetails(TrainHeartbeat.class);
        Optional<Path> newest = store.latest().filter(p -> CheckpointStore.stepOf(p) <= until);
        if (beat.isPresent() && beat.get().checkpoint() != null) {
            Path p = Path.of(beat.get().checkpoint());
            if (Files.isDirectory(p) && (newest.isEmpty() || CheckpointStore.stepOf(p) >= CheckpointStore.stepOf(newest.get()))) {
                return Optional.of(p);
            }
        }
        return newest;
    }

    private void onStep(TrialConfig t, StepMetrics m) {
        trackers.of(t.experiment()).logMetrics(t.trialId(), Map.of("loss", m.loss(), "lr_factor", m.lrFactor(),
                "grad_norm", m.gradNorm()), m.step());
    }

    @Override
    public MergedRef merge(TrialConfig t, PreparedRef data, MaskRef masks, TrainProgress trained) {
        Path dir = workspace.trial(t, data);
        Path model = dir.resolve("model");
        Path adapter = dir.resolve("adapter");
        try {
            if (!Files.isDirectory(model)) {
                try (FineTuneRun<?> run = open(t, trained.totalSteps())) {
                    if (masks != null) {
                        run.rosaSchedule().orElseThrow().useMasks(MaskFile.load(Path.of(masks.file())));
                    }
                    Checkpoint c = CheckpointStore.load(Path.of(trained.checkpoint()), backend);
                    run.loadTrained(c);
                    if (!run.exportAdapter(adapter)) {
                        adapter = null;
                    }
                    run.mergeAdapters();
                    run.exportModel(model);
                }
            } else if (!Files.isDirectory(adapter)) {
                adapter = null;
            }
            if (adapter != null) {
                trackers.of(t.experiment()).logArtifact(t.trialId(), adapter, "");
            }
            trackers.of(t.experiment()).setTags(t.trialId(), Map.of("rosarium.merged_model", model.toString()));
            return new MergedRef(model.toString(), adapter == null ? null : adapter.toString());
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
    }

    @Override
    public EvalResult evaluate(TrialConfig t, PreparedRef data, MergedRef merged) {
        Path dir = workspace.trial(t, data).resolve("eval");
        Path metricsFile = dir.resolve("metrics.json");
        Path predictions = dir.resolve("predictions.jsonl");
        try {
            if (!Files.isRegularFile(metricsFile)) {
                FineTuneConfig c = t.fineTune();
                FineTuneConfig plain = new FineTuneConfig(c.model(), c.task(), c.trainRows(), c.evalRows(),
                        c.batchSize(), c.maxLength(), c.lr(), c.weightDecay(), c.epochs(), c.warmupRatio(),
                        c.maxGradNorm(), c.seed(), dev.rosarium.core.adapters.MethodSpec.defaults("full"));
                Path model = Path.of(merged.modelDirectory());
                StringBuilder lines = new StringBuilder();
                Map<String, Double> metrics;
                if (Tasks.byName(c.task()) instanceof Task.Generation task) {
                    ActivityExecutionContext ctx = Activity.getExecutionContext();
                    try (CausalLmRun run = CausalLmRun.open(backend, model, plain, task, 1)) {
                        GenerationEval.Result r = run.generate(heldOut(t), () -> ctx.heartbeat(null));
                        for (int i = 0; i < r.scored().size(); i++) {
                            JsonObject line = new JsonObject();
                            GenerationEval.Scored g = r.scored().get(i);
                            line.addProperty("index", i);
                            line.addProperty("reference", g.example().reference());
                            line.addProperty("generated", g.generated());
                            line.addProperty("correct", g.correct());
                            lines.append(line).append('\n');
                        }
                        metrics = Map.of("accuracy", r.accuracy());
                    }
                } else {
                    List<TokenizedExample> eval = split(data, "eval");
                    Task.Classification task = ClassificationRecipe.classification(c);
                    try (ClassifierRun run = ClassifierRun.open(backend, model, plain, task, 1)) {
                        int[] predicted = run.predict(eval);
                        for (int i = 0; i < predicted.length; i++) {
                            lines.append("{\"index\":").append(i).append(",\"label\":").append(eval.get(i).label())
                                    .append(",\"predicted\":").append(predicted[i]).append("}\n");
                        }
                        metrics = task.score(predicted, eval.stream().mapToInt(TokenizedExample::label).toArray());
                    }
                }
                AtomicFiles.write(predictions, lines.toString().getBytes(StandardCharsets.UTF_8));
                AtomicFiles.write(metricsFile, GSON.toJson(new LinkedHashMap<>(metrics)).getBytes(StandardCharsets.UTF_8));
            }
            Map<String, Double> metrics = GSON.fromJson(Files.readString(metricsFile),
                    new TypeToken<LinkedHashMap<String, Double>>() { }.getType());
            trackers.of(t.experiment()).logMetrics(t.trialId(), metrics, 0);
            trackers.of(t.experiment()).logArtifact(t.trialId(), predictions, "eval");
            return new EvalResult(metrics, predictions.toString());
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
    }

    /** The run of the trial's task kind: a classifier, or a causal LM for a generative task. */
    private FineTuneRun<?> open(TrialConfig t, long total) throws IOException {
        FineTuneConfig c = t.fineTune();
        Path model = workspace.models().resolve(c.model());
        return Tasks.byName(c.task()) instanceof Task.Generation task ? CausalLmRun.open(backend, model, c, task, total)
                : ClassifierRun.open(backend, model, c, ClassificationRecipe.classification(c), total);
    }

    /** The prepared training rows, less a generative task's rows that keep no target (as {@code rosarium train}). */
    private static List<TokenizedExample> trainRows(TrialConfig t, PreparedRef data) {
        List<TokenizedExample> rows = split(data, "train");
        return t.fineTune().generative() ? GenerationRecipe.trainable(rows, t.fineTune()) : rows;
    }

    /**
     * A generative task's held-out rows as text, read from the task's file as data preparation
     * selected them (its shards hold token ids; generation is scored against the text).
     */
    private List<GenerationExample> heldOut(TrialConfig t) {
        FineTuneConfig c = t.fineTune();
        try {
            return RowSelection.eval(GenerationRecipe.generation(c).read(workspace.dataRoot(), Split.EVAL), c.evalRows());
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
    }

    private static List<TokenizedExample> split(PreparedRef data, String name) {
        try (TokenShards shards = TokenShards.open(Path.of(data.directory()))) {
            return shards.split(name);
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
    }
}
