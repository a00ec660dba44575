package dev.rosarium.core.tasks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ViGGO (GEM/viggo): turn a video-game meaning representation into a function call string. Files
 * {@code viggo/train.jsonl} and {@code viggo/validation.jsonl} with fields {@code target} (the
 * utterance) and {@code meaning_representation}; the model reads the utterance and must produce the
 * meaning representation exactly (after trimming), as the RoSA evaluation scores it.
 */
public final class ViggoTask implements Task.Generation {
    static final String INSTRUCTION = "Given a target sentence construct the underlying meaning representation of "
            + "the input sentence as a single function with attributes and attribute values. The function should "
            + "describe the target string accurately and be one of: inform, request, give_opinion, confirm, "
            + "verify_attribute, suggest, request_explanation, recommend, request_attribute. The attributes must be "
            + "one of: name, exp_release_date, release_year, developer, esrb, rating, genres, player_perspective, "
            + "has_multiplayer, platforms, available_on_steam, has_linux_release, has_mac_release, specifier.";

    @Override
    public String name() {
        return "viggo";
    }

    @Override
    public Path file(Path dataRoot, Split split) {
        return dataRoot.resolve("viggo").resolve(split == Split.TRAIN ? "train.jsonl" : "validation.jsonl");
    }

    @Override
    public List<GenerationExample> read(Path dataRoot, Split split) throws IOException {
        Path file = file(dataRoot, split);
        List<GenerationExample> out = new ArrayList<>();
        for (DataFiles.Row<com.google.gson.JsonObject> r : DataFiles.jsonl(file)) {
            String target = DataFiles.field(file, r, "target");
            String mr = DataFiles.field(file, r, "meaning_representation");
            out.add(new GenerationExample(INSTRUCTION + "\n### Target sentence:\n" + target
                    + "\n### Meaning representation:\n", mr, mr.strip()));
        }
        return out;
    }

    @Override
    public boolean correct(String generated, GenerationExample example) {
        return generated.strip().equals(example.reference());
    }
}
