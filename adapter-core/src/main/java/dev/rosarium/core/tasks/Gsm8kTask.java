package dev.rosarium.core.tasks;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GSM8k grade-school math. The model is trained on {@code question} followed by the full worked
 * {@code answer} (the RoSA recipe's prompt/response pair; a newline separates them so a text
 * tokenizer sees the boundary the authors get by concatenating token sequences). Scoring is exact
 * match of the final number: the one after {@code ####} when the generation has it, else the last
 * number in the generation (lm-eval's strict and flexible extractions, in that order).
 */
public final class Gsm8kTask implements Task.Generation {
    private static final Pattern STRICT = Pattern.compile("####\\s*(-?[$0-9.,]+)");
    private static final Pattern NUMBER = Pattern.compile("-?[$]?[0-9][0-9,]*(\\.[0-9]+)?");

    @Override
    public String name() {
        return "gsm8k";
    }

    @Override
    public Path file(Path dataRoot, Split split) {
        return dataRoot.resolve("gsm8k").resolve(split == Split.TRAIN ? "train.jsonl" : "test.jsonl");
    }

    @Override
    public List<GenerationExample> read(Path dataRoot, Split split) throws IOException {
        Path file = file(dataRoot, split);
        List<GenerationExample> out = new ArrayList<>();
        for (DataFiles.Row<com.google.gson.JsonObject> r : DataFiles.jsonl(file)) {
            String q = DataFiles.field(file, r, "question");
            String a = DataFiles.field(file, r, "answer");
            String ref = finalAnswer(a);
            if (ref == null) {
                throw new DataFormatException(file, r.line(), "answer has no '#### <number>' line");
            }
            out.add(new GenerationExample(q + "\n", a, ref));
        }
        return out;
    }

    /** The number a text commits to, normalized; null when it has none. */
    public static String finalAnswer(String text) {
        Matcher m = STRICT.matcher(text);
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        if (found == null) {
            Matcher n = NUMBER.matcher(text);
            while (n.find()) {
                found = n.group();
            }
        }
        return found == null ? null : normalize(found);
    }

    static String normalize(String number) {
        String s = number.replace(",", "").replace("$", "");
        while (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            return new BigDecimal(s).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException e) {
            return s;
        }
    }

    @Override
    public boolean correct(String generated, GenerationExample example) {
        String got = finalAnswer(generated);
        return got != null && got.equals(example.reference());
    }
}
