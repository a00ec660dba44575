package dev.rosarium.core.gguf;

import dev.rosarium.core.Golden;
import dev.rosarium.core.io.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every supported ggml type dequantizes exactly as llama.cpp's gguf-py does
 * (tools/golden/make_gguf_golden.py): both compute scale * quant (+ min) in fp32, so values must be
 * bit-identical; metadata of each value type reads back.
 */
class GgufFileTest {
    @TempDir
    Path tmp;

    @Test
    void dequantizesLikeGgufPy() throws IOException {
        try (GgufFile g = GgufFile.open(Golden.path("gguf_types.gguf"));
             SafetensorsReader want = SafetensorsReader.open(Golden.path("gguf_types.safetensors"))) {
            assertEquals(8, g.tensors().size());
            for (String name : want.names()) {
                assertArrayEquals(want.info(name).shape(), g.tensors().get(name).shape(), name);
                float[] w = want.readFloats(name);
                float[] got = g.readFloats(name);
                for (int i = 0; i < w.length; i++) {
                    assertEquals(w[i], got[i], Math.ulp(w[i]), name + "[" + i + "]");
                }
            }
            assertEquals("héllo", g.metadata().get("test.string"));
            assertEquals(4_000_000_000L, g.metadata().get("test.u32"));
            assertEquals(-7, g.metadata().get("test.i32"));
            assertEquals(1.5f, g.metadata().get("test.f32"));
            assertEquals(true, g.metadata().get("test.bool"));
            assertEquals(List.of(1L, 2L, 3L).toString(), String.valueOf(g.metadata().get("test.array"))
                    .replace("L", ""));
        }
    }

    @Test
    void truncatedOrForeignFilesAreNamed() throws IOException {
        byte[] all = Files.readAllBytes(Golden.path("gguf_types.gguf"));
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(all, 200));
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(cut).close());
        assertTrue(e.getMessage().startsWith(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        Path data = tmp.resolve("short.gguf");
        Files.write(data, Arrays.copyOf(all, all.length - 100));
        e = assertThrows(GgufException.class, () -> GgufFile.open(data).close());
        assertTrue(e.getMessage().contains("past the end"), e.getMessage());
        Path foreign = tmp.resolve("x.gguf");
        Files.write(foreign, "not a gguf file at all".getBytes());
        e = assertThrows(GgufException.class, () -> GgufFile.open(foreign).close());
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
    }
}
