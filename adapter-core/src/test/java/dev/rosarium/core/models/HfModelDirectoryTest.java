package dev.rosarium.core.models;

import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sharded checkpoints through model.safetensors.index.json, and the errors of a broken directory. */
class HfModelDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void readsShardsThroughTheIndex() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\"}");
        new SafetensorsWriter().addFloats("a", DType.F32, new int[] {2}, new float[] {1, 2})
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addFloats("b", DType.BF16, new int[] {1, 2}, new float[] {3, 4})
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{"
                + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        try (HfModelDirectory m = HfModelDirectory.open(dir)) {
            assertArrayEquals(new float[] {1, 2}, m.load("a", CpuBackend.get(), DType.F32).toFloats());
            assertArrayEquals(new float[] {3, 4}, m.load("b", CpuBackend.get(), DType.F32).toFloats());
            IOException e = assertThrows(IOException.class, () -> m.load("c", CpuBackend.get(), DType.F32));
            assertTrue(e.getMessage().contains("'c'"), e.getMessage());
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\"}}");
        IOException e = assertThrows(IOException.class, () -> HfModelDirectory.open(dir).close());
        assertTrue(e.getMessage().contains("weight_map sends a"), e.getMessage());
        Files.delete(dir.resolve("config.json"));
        e = assertThrows(IOException.class, () -> HfModelDirectory.open(dir).close());
        assertTrue(e.getMessage().contains("config.json is missing"), e.getMessage());
    }
}
