package dev.rosarium.activities.prepare;

import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides a prepared directory's bytes, and the content hash over it: the format
 * version, the request's task, maxLength, row counts and seed, and the SHA-256 of the tokenizer
 * file, the chat template and each data file. The model's name, the runner and the paths are not
 * part of it: two requests that would write the same bytes share one directory.
 *
 * @param inputs data file (relative to the data root) to its SHA-256, train split first
 */
record PreparationKey(Task task, ModelTokenizer tokenizer, String tokenizerSha256, String chatTemplateSha256,
                      Map<String, String> inputs, String contentHash) {

    static PreparationKey of(PrepareRequest r, Task task, ModelTokenizer tokenizer) throws IOException {
        String tokSha = sha256(tokenizer.tokenizerJson());
        String chatSha = tokenizer.chatTemplate() == null ? null
                : hex(digest().digest(tokenizer.chatTemplate().getBytes(StandardCharsets.UTF_8)));
        Map<String, String> inputs = new LinkedHashMap<>();
        for (Split s : new Split[] {Split.TRAIN, Split.EVAL}) {
            Path file = task.file(r.dataRoot(), s);
            if (!Files.isRegularFile(file)) {
                throw new IOException(file + ": data file of task " + task.name() + " (" + s.name().toLowerCase()
                        + " split) not found under data root " + r.dataRoot());
            }
            inputs.put(relative(r.dataRoot(), file), sha256(file));
        }
        StringBuilder canonical = new StringBuilder("rosarium prepared data\n")
                .append("format=").append(DatasetManifest.FORMAT_VERSION).append('\n')
                .append("task=").append(task.name()).append('\n')
                .append("maxLength=").append(r.maxLength()).append('\n')
                .append("trainRows=").append(r.trainRows() <= 0 ? "all" : Integer.toString(r.trainRows())).append('\n')
                .append("evalRows=").append(r.evalRows() < 0 ? "all" : Integer.toString(r.evalRows())).append('\n')
                .append("seed=").append(r.seed()).append('\n')
                .append("tokenizer=").append(tokSha).append('\n')
                .append("chatTemplate=").append(chatSha == null ? "none" : chatSha).append('\n');
        inputs.forEach((name, sha) -> canonical.append("input ").append(name).append('=').append(sha).append('\n'));
        String hash = hex(digest().digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        return new PreparationKey(task, tokenizer, tokSha, chatSha, inputs, hash);
    }

    private static String relative(Path root, Path file) {
        return root.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString()
                .replace(java.io.File.separatorChar, '/');
    }

    static String sha256(Path file) throws IOException {
        MessageDigest d = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return hex(d.digest());
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
