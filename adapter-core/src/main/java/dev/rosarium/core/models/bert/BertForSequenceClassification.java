package dev.rosarium.core.models.bert;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.ModelExport;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.StepContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;

/**
 * BERT with a classification head on the pooled first token, as transformers'
 * BertForSequenceClassification: dropout, then {@code classifier (numLabels, hidden)}. A head the
 * checkpoint lacks is initialized as transformers does (N(0, 0.02) weight, zero bias), from the seed.
 */
public final class BertForSequenceClassification {
    private final BertModel bert;
    private final Linear classifier;
    private final Weights weights;

    private final String prefix;

    private BertForSequenceClassification(BertModel bert, Linear classifier, Weights weights, String prefix) {
        this.bert = bert;
        this.classifier = classifier;
        this.weights = weights;
        this.prefix = prefix;
    }

    public static BertForSequenceClassification load(HfModelDirectory dir, int numLabels, Backend backend, DType dtype,
                                                     Predicate<String> trainable, long seed) throws IOException {
        BertConfig cfg = BertConfig.fromJson(dir.config(), dir.path().resolve("config.json"));
        String prefix = dir.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        return create(cfg, new Weights(dir::load, backend, dtype, trainable), prefix, dir.has("classifier.weight"),
                numLabels, seed);
    }

    /**
     * Builds the model over any weight source; {@code storedHead} says whether the source holds a
     * classifier or one is initialized here.
     */
    public static BertForSequenceClassification create(BertConfig cfg, Weights w, String prefix, boolean storedHead,
                                                       int numLabels, long seed) throws IOException {
        Backend backend = w.backend();
        DType dtype = w.dtype();
        BertModel bert = new BertModel(cfg, w, prefix);
        Linear head;
        if (storedHead) {
            head = BertModel.linear(w, "classifier", numLabels, cfg.hiddenSize());
        } else {
            Tensor hw = backend.zeros(dtype, numLabels, cfg.hiddenSize());
            backend.fillNormal(hw, 0f, 0.02f, seed, 0);
            head = new Linear("classifier", w.register("classifier.weight", hw),
                    w.register("classifier.bias", backend.zeros(dtype, numLabels)));
        }
        if (head.outFeatures() != numLabels) {
            throw new IllegalArgumentException("classifier has " + head.outFeatures()
                    + " labels, the task has " + numLabels);
        }
        return new BertForSequenceClassification(bert, head, w, prefix);
    }

    public BertModel bert() {
        return bert;
    }

    public Weights weights() {
        return weights;
    }

    /** Linear layers adapters may target, by transformers module path (the head excluded). */
    public Map<String, Linear> linearModules() {
        return bert.linearModules("bert.");
    }

    public Linear classifier() {
        return classifier;
    }

    /**
     * Saves the model as a transformers {@code BertForSequenceClassification} directory: the encoder
     * under "bert." (sentence-transformers checkpoints store it without), the head as "classifier",
     * and {@code extraFiles} (the tokenizer) copied in.
     */
    public void saveHfDirectory(Path dir, DType dtype, Map<String, Path> extraFiles) throws IOException {
        ModelExport.saveHfDirectory(dir, weights,
                name -> name.startsWith("classifier.") || !prefix.isEmpty() ? name : "bert." + name,
                bert.config().toJson(classifier.outFeatures()), extraFiles, dtype);
    }

    /** Logits {@code (batch, numLabels)}. */
    public Variable logits(Tape t, Tensor ids, Tensor typeIds, Tensor mask, StepContext ctx) {
        Variable pooled = bert.forward(t, ids, typeIds, mask, ctx).pooled();
        if (ctx != null) {
            pooled = t.dropout(pooled, bert.config().hiddenDropout(), ctx.randomSeed(4095), 0);
        }
        return classifier.forward(t, pooled, ctx);
    }
}
