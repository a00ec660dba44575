package dev.rosarium.core.io;

import com.google.gson.JsonObject;
import dev.rosarium.core.Golden;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.tensor.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void readsEveryDtypeWrittenByTorch() throws IOException {
        JsonObject want = Golden.json("torch_tensors.json").getAsJsonObject();
        try (SafetensorsReader r = SafetensorsReader.open(Golden.path("torch_tensors.safetensors"))) {
            assertEquals("pt", r.metadata().get("format"));
            assertEquals(want.keySet().size(), r.names().size());
            for (String name : want.keySet()) {
                JsonObject w = want.getAsJsonObject(name);
                SafetensorsReader.TensorInfo info = r.info(name);
                int[] shape = w.getAsJsonArray("shape").asList().stream().mapToInt(e -> e.getAsInt()).toArray();
                assertArrayEquals(shape, info.shape(), name);
                float[] expect = Golden.floats(w.get("values"));
                if (info.dtype().isFloating()) {
                    assertArrayEquals(expect, r.readFloats(name), 0f, name);
                } else {
                    int[] got = r.readInts(name);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(w.getAsJsonArray("values").get(i).getAsLong(), got[i], name + "[" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void roundTripsAndRewritesTorchFileIdentically() throws IOException {
        Path out = tmp.resolve("copy.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsReader r = SafetensorsReader.open(Golden.path("torch_tensors.safetensors"))) {
            for (String name : r.names()) {
                SafetensorsReader.TensorInfo info = r.info(name);
                ByteBuffer b = r.bytes(name);
                byte[] raw = new byte[b.remaining()];
                b.get(raw);
                w.addRaw(name, info.dtype(), info.shape(), raw);
            }
        }
        w.write(out);
        try (SafetensorsReader a = SafetensorsReader.open(Golden.path("torch_tensors.safetensors"));
             SafetensorsReader b = SafetensorsReader.open(out)) {
            for (String name : a.names()) {
                assertEquals(a.bytes(name), b.bytes(name), name);
            }
        }
    }

    @Test
    void fileWeWriteLoadsInPythonSafetensors() throws Exception {
        String python = System.getenv("ROSARIUM_PYTHON");
        Assumptions.assumeTrue(python != null && !python.isBlank(),
                "ROSARIUM_PYTHON (a Python with safetensors and numpy) is not set; .ci/run sets it");
        Path out = tmp.resolve("ours.safetensors");
        new SafetensorsWriter().metadata("made_by", "rosarium")
                .addFloats("w.f32", DType.F32, new int[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-3f, 7})
                .addFloats("w.bf16", DType.BF16, new int[] {3}, new float[] {1.5f, -0.25f, 3.140625f})
                .addFloats("w.f16", DType.F16, new int[] {2}, new float[] {0.5f, -65504f})
                .addInts("idx.i16", DType.I16, new int[] {4}, new int[] {-3, 0, 7, 32767})
                .addInts("offs.i32", DType.I32, new int[] {3}, new int[] {0, 5, 9})
                .addInts("mask", DType.BOOL, new int[] {2}, new int[] {1, 0})
                .write(out);
        String script = String.join("\n",
                "import sys, numpy as np, safetensors",
                "data = open(sys.argv[1], 'rb').read()",
                "items = dict(safetensors.deserialize(data))",
                "bf = np.frombuffer(bytes(items['w.bf16']['data']), dtype=np.uint16).astype(np.uint32) << 16",
                "assert bf.view(np.float32).tolist() == [1.5, -0.25, 3.140625], bf",
                "from safetensors import safe_open",
                "with safe_open(sys.argv[1], framework='np') as f:",
                "    assert f.metadata() == {'made_by': 'rosarium'}, f.metadata()",
                "    assert f.get_tensor('w.f32').tolist() == [[1, -2, 3.5], [0, np.float32(1e-3), 7]]",
                "    assert f.get_tensor('w.f16').tolist() == [0.5, -65504.0]",
                "    assert f.get_tensor('idx.i16').dtype == np.int16 and f.get_tensor('idx.i16').tolist() == [-3, 0, 7, 32767]",
                "    assert f.get_tensor('offs.i32').tolist() == [0, 5, 9]",
                "    assert f.get_tensor('mask').tolist() == [True, False]",
                "print('ok')");
        Process p = new ProcessBuilder(python, "-c", script, out.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("ok"), output);
    }

    @Test
    void loadsOntoBackendWithConversion() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(Golden.path("torch_tensors.safetensors"))) {
            var t = r.load("bf16", CpuBackend.get(), DType.F32);
            assertArrayEquals(r.readFloats("bf16"), t.toFloats(), 0f);
            assertEquals(DType.I32, r.load("i64", CpuBackend.get()).dtype());
        }
    }

    // ---- malformed files: each error names the file and, where it applies, the tensor ----------

    private Path withHeader(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = Files.createTempFile(tmp, "bad", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private void assertRejected(Path p, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(p).close());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void rejectsMalformedHeaders() throws IOException {
        assertRejected(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12),
                "tensor 'a'", "needs 8 bytes");
        assertRejected(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4),
                "tensor 'a'", "outside");
        assertRejected(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlaps");
        assertRejected(withHeader("{\"a\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                "tensor 'a'", "dtype");
        assertRejected(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8),
                "tensor 'a'", "dimension");
        assertRejected(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "tensor 'a'", "data_offsets");
        assertRejected(withHeader("[1,2]", 0), "not a JSON object");
        assertRejected(withHeader("{not json", 0), "not valid JSON");
        Path tiny = tmp.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertRejected(tiny, "shorter");
        Path huge = tmp.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertRejected(huge, "header length");
    }

    @Test
    void failedWriteLeavesNothingBehind() throws IOException {
        Path target = tmp.resolve("sub").resolve("x.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().addFloats("a", DType.F32, new int[] {1}, new float[] {1});
        assertThrows(IOException.class, () -> AtomicFiles.write(target, ch -> {
            ch.write(ByteBuffer.wrap(w.toBytes()));
            throw new IOException("disk full (simulated)");
        }));
        assertFalse(Files.exists(target));
        try (var s = Files.list(target.getParent())) {
            assertEquals(List.of(), s.toList());
        }
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().addInts("i", DType.I16,
                new int[] {1}, new int[] {40000}));
    }
}
