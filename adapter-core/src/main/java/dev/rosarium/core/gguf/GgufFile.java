package dev.rosarium.core.gguf;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A GGUF (v2/v3) file: metadata key/values, tensor infos, and tensor data dequantized to fp32 on
 * load. Shapes are reported in PyTorch order (outermost first); ggml stores {@code ne0} innermost.
 * The data section is memory-mapped one tensor at a time.
 */
public final class GgufFile implements AutoCloseable {
    private static final int MAGIC = 0x46554747; // "GGUF" little-endian
    private static final long MAX_STRING = 1L << 28;

    /** One tensor's place in the file. */
    public record TensorInfo(String name, GgmlType type, int[] shape, long offset, long numel) {
    }

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Object> metadata;
    private final Map<String, TensorInfo> tensors;
    private final long dataStart;

    private GgufFile(Path file, FileChannel channel, Map<String, Object> metadata, Map<String, TensorInfo> tensors,
                     long dataStart) {
        this.file = file;
        this.channel = channel;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataStart = dataStart;
    }

    /** Sequential reader over the mapped header with bounds checks that name the file. */
    private static final class Cursor {
        final Path file;
        final ByteBuffer buf;

        Cursor(Path file, ByteBuffer buf) {
            this.file = file;
            this.buf = buf;
        }

        void need(long n, String what) throws GgufException {
            if (n < 0 || buf.remaining() < n) {
                throw new GgufException(file, what, "truncated header (needs " + n + " bytes at offset "
                        + buf.position() + ")");
            }
        }

        int u32(String what) throws GgufException {
            need(4, what);
            return buf.getInt();
        }

        long u64(String what) throws GgufException {
            need(8, what);
            return buf.getLong();
        }

        String str(String what) throws GgufException {
            long len = u64(what);
            if (len > MAX_STRING) {
                throw new GgufException(file, what, "string length " + len + " is implausible");
            }
            need(len, what);
            byte[] b = new byte[(int) len];
            buf.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    /**
     * The GGUF file a model path names: the path itself when it is a {@code .gguf} file, the first
     * {@code .gguf} (by name) of a directory without {@code config.json}; null when it is neither.
     */
    public static Path find(Path path) throws IOException {
        if (Files.isRegularFile(path) && path.toString().endsWith(".gguf")) {
            return path;
        }
        if (Files.isDirectory(path) && !Files.exists(path.resolve("config.json"))) {
            try (Stream<Path> s = Files.list(path)) {
                return s.filter(p -> p.toString().endsWith(".gguf")).sorted().findFirst().orElse(null);
            }
        }
        return null;
    }

    public static GgufFile open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            // the header precedes the data; map what is there (headers of large vocabularies are tens of MB)
            ByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE))
                    .order(ByteOrder.LITTLE_ENDIAN);
            Cursor c = new Cursor(file, head);
            if (c.u32("magic") != MAGIC) {
                throw new GgufException(file, null, "not a GGUF file (bad magic)");
            }
            int version = c.u32("version");
            if (version != 2 && version != 3) {
                throw new GgufException(file, "version", version + " is not supported (2 or 3)");
            }
            long nTensors = c.u64("tensor_count");
            long nKv = c.u64("kv_count");
            if (nTensors > 1_000_000 || nKv > 1_000_000) {
                throw new GgufException(file, null, "implausible counts: " + nTensors + " tensors, " + nKv + " keys");
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                String key = c.str("key #" + i);
                meta.put(key, readValue(c, c.u32(key), key));
            }
            Map<String, TensorInfo> infos = new LinkedHashMap<>();
            for (long i = 0; i < nTensors; i++) {
                String name = c.str("tensor #" + i);
                int nDims = c.u32(name);
                if (nDims < 1 || nDims > 4) {
                    throw new GgufException(file, "tensor '" + name + "'", nDims + " dimensions");
                }
                int[] shape = new int[nDims];
                long numel = 1;
                for (int d = 0; d < nDims; d++) {
                    long ne = c.u64(name);
                    if (ne < 0 || ne > Integer.MAX_VALUE) {
                        throw new GgufException(file, "tensor '" + name + "'", "dimension " + ne);
                    }
                    shape[nDims - 1 - d] = (int) ne;
                    numel *= ne;
                }
                int typeId = c.u32(name);
                GgmlType type = GgmlType.byId(typeId);
                if (type == null) {
                    throw new GgufException(file, "tensor '" + name + "'", "ggml type " + typeId
                            + " is not supported (F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K)");
                }
                if (numel % type.blockSize != 0) {
                    throw new GgufException(file, "tensor '" + name + "'", numel + " elements are not whole "
                            + type + " blocks");
                }
                infos.put(name, new TensorInfo(name, type, shape, c.u64(name), numel));
            }
            long alignment = meta.get("general.alignment") instanceof Number n ? n.longValue() : 32;
            long dataStart = (head.position() + alignment - 1) / alignment * alignment;
            for (TensorInfo t : infos.values()) {
                if (t.offset() % alignment != 0 || dataStart + t.offset() + t.type().bytesFor(t.numel()) > size) {
                    throw new GgufException(file, "tensor '" + t.name() + "'", "data at offset " + t.offset()
                            + " is misaligned or past the end of the file");
                }
            }
            return new GgufFile(file, ch, Collections.unmodifiableMap(meta), Collections.unmodifiableMap(infos),
                    dataStart);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Object readValue(Cursor c, int type, String key) throws GgufException {
        switch (type) {
            case 0:
                c.need(1, key);
                return c.buf.get() & 0xFF;
            case 1:
                c.need(1, key);
                return (int) c.buf.get();
            case 2:
                c.need(2, key);
                return c.buf.getShort() & 0xFFFF;
            case 3:
                c.need(2, key);
                return (int) c.buf.getShort();
            case 4:
                return c.u32(key) & 0xFFFFFFFFL;
            case 5:
                return c.u32(key);
            case 6:
                c.need(4, key);
                return c.buf.getFloat();
            case 7:
                c.need(1, key);
                return c.buf.get() != 0;
            case 8:
                return c.str(key);
            case 9: {
                int elemType = c.u32(key);
                long n = c.u64(key);
                if (n > 50_000_000) {
                    throw new GgufException(c.file, key, "array of " + n + " elements is implausible");
                }
                List<Object> list = new ArrayList<>((int) n);
                for (long i = 0; i < n; i++) {
                    list.add(readValue(c, elemType, key));
                }
                return list;
            }
            case 10:
            case 11:
                return c.u64(key);
            case 12:
                c.need(8, key);
                return c.buf.getDouble();
            default:
                throw new GgufException(c.file, key, "unknown value type " + type);
        }
    }

    public Path file() {
        return file;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** A metadata value, or an error naming the key. */
    public Object require(String key) throws GgufException {
        Object v = metadata.get(key);
        if (v == null) {
            throw new GgufException(file, key, "metadata key is missing");
        }
        return v;
    }

    public long requireLong(String key) throws GgufException {
        Object v = require(key);
        if (!(v instanceof Number n)) {
            throw new GgufException(file, key, "is " + v.getClass().getSimpleName() + ", not a number");
        }
        return n.longValue();
    }

    /** A tensor dequantized to fp32, in PyTorch shape order. */
    public float[] readFloats(String name) throws IOException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new GgufException(file, "tensor '" + name + "'", "no such tensor");
        }
        long bytes = t.type().bytesFor(t.numel());
        ByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.offset(), bytes)
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(t.numel())];
        Dequantize.run(t.type(), b, out);
        return out;
    }

    public Tensor load(String name, Backend backend, DType dtype) throws IOException {
        return backend.fromFloats(readFloats(name), dtype, tensors.get(name).shape());
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
