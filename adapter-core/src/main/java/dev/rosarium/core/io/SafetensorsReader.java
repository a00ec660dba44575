package dev.rosarium.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.LowPrecision;
import dev.rosarium.core.tensor.Shapes;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file: an 8-byte little-endian header length, a JSON header, then raw
 * little-endian tensor data. The header is validated completely on open; tensor data is memory
 * mapped one tensor at a time, so a multi-gigabyte file is never read whole.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Headers larger than this are refused, as the reference implementation does. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Where one tensor lives in the file. */
    public record TensorInfo(String name, DType dtype, int[] shape, long begin, long end) {
        public long numel() {
            return Shapes.numel(shape);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsReader(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                              Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsReader open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(file, null, "file of " + size + " bytes is shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
                throw new SafetensorsException(file, null, "header length " + headerLen + " is out of range (file is "
                        + size + " bytes, limit " + MAX_HEADER_BYTES + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            String json = new String(header.array(), StandardCharsets.UTF_8);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(file, json, size - 8 - headerLen, metadata);
            return new SafetensorsReader(file, ch, 8 + headerLen, tensors, metadata);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path file, String json, long dataLen,
                                                       Map<String, String> metadata) throws SafetensorsException {
        JsonObject root;
        try {
            JsonElement el = JsonParser.parseString(json.trim());
            if (!el.isJsonObject()) {
                throw new SafetensorsException(file, null, "header is not a JSON object");
            }
            root = el.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new SafetensorsException(file, null, "header is not valid JSON: " + e.getMessage());
        }
        List<TensorInfo> list = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!e.getValue().isJsonObject()) {
                    throw new SafetensorsException(file, null, "__metadata__ is not an object");
                }
                for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
                    if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
                        throw new SafetensorsException(file, null, "__metadata__." + m.getKey() + " is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            list.add(parseEntry(file, name, e.getValue(), dataLen));
        }
        list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long prevEnd = 0;
        String prevName = null;
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : list) {
            if (t.begin() < prevEnd && t.end() > t.begin()) {
                throw new SafetensorsException(file, t.name(), "data [" + t.begin() + ", " + t.end()
                        + ") overlaps tensor '" + prevName + "'");
            }
            if (t.end() > prevEnd) {
                prevEnd = t.end();
                prevName = t.name();
            }
            byName.put(t.name(), t);
        }
        return Collections.unmodifiableMap(byName);
    }

    private static TensorInfo parseEntry(Path file, String name, JsonElement value, long dataLen)
            throws SafetensorsException {
        if (!value.isJsonObject()) {
            throw new SafetensorsException(file, name, "entry is not an object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dt = o.get("dtype");
        JsonElement sh = o.get("shape");
        JsonElement off = o.get("data_offsets");
        if (dt == null || sh == null || off == null) {
            throw new SafetensorsException(file, name, "needs the fields dtype, shape and data_offsets");
        }
        DType dtype = dt.isJsonPrimitive() ? DType.fromSafetensorsName(dt.getAsString()) : null;
        if (dtype == null) {
            throw new SafetensorsException(file, name, "dtype " + dt + " is not one of F64, F32, BF16, F16, I64, I32, I16, I8, U8, BOOL");
        }
        if (!sh.isJsonArray()) {
            throw new SafetensorsException(file, name, "shape is not an array");
        }
        JsonArray sa = sh.getAsJsonArray();
        int[] shape = new int[sa.size()];
        for (int i = 0; i < shape.length; i++) {
            long d = asLong(file, name, "shape", sa.get(i));
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new SafetensorsException(file, name, "dimension " + d + " of shape is out of range");
            }
            shape[i] = (int) d;
        }
        if (!off.isJsonArray() || off.getAsJsonArray().size() != 2) {
            throw new SafetensorsException(file, name, "data_offsets is not a [begin, end] pair");
        }
        long begin = asLong(file, name, "data_offsets", off.getAsJsonArray().get(0));
        long end = asLong(file, name, "data_offsets", off.getAsJsonArray().get(1));
        if (begin < 0 || end < begin || end > dataLen) {
            throw new SafetensorsException(file, name, "data_offsets [" + begin + ", " + end
                    + ") lie outside the " + dataLen + " bytes of data");
        }
        long expected;
        try {
            expected = Math.multiplyExact(Shapes.numel(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "shape " + Shapes.str(shape) + " is too large");
        }
        if (end - begin != expected) {
            throw new SafetensorsException(file, name, "shape " + Shapes.str(shape) + " of " + dtype + " needs "
                    + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long asLong(Path file, String name, String field, JsonElement e) throws SafetensorsException {
        try {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
                double d = e.getAsDouble();
                long l = e.getAsLong();
                if (d == l) {
                    return l;
                }
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new SafetensorsException(file, name, field + " holds " + e + ", not an integer");
    }

    public Path file() {
        return file;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in file order. */
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(file, name, "no such tensor");
        }
        return t;
    }

    /** The raw little-endian bytes of a tensor, memory-mapped. */
    public ByteBuffer bytes(String name) throws IOException {
        TensorInfo t = info(name);
        long len = t.end() - t.begin();
        if (len > Integer.MAX_VALUE) {
            throw new SafetensorsException(file, name, "tensor of " + len + " bytes is larger than one mapping (2 GiB)");
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), len).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A floating or integer tensor's elements converted to float. */
    public float[] readFloats(String name) throws IOException {
        TensorInfo t = info(name);
        ByteBuffer b = bytes(name);
        int n = Math.toIntExact(t.numel());
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32:
                b.asFloatBuffer().get(out);
                break;
            case F64:
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
                break;
            case BF16:
                for (int i = 0; i < n; i++) {
                    out[i] = LowPrecision.fromBf16(b.getShort(i * 2));
                }
                break;
            case F16:
                for (int i = 0; i < n; i++) {
                    out[i] = LowPrecision.fromF16(b.getShort(i * 2));
                }
                break;
            default:
                int[] ints = readInts(name);
                for (int i = 0; i < n; i++) {
                    out[i] = ints[i];
                }
        }
        return out;
    }

    /** An integer or boolean tensor's elements; I64 values must fit an int. */
    public int[] readInts(String name) throws IOException {
        TensorInfo t = info(name);
        ByteBuffer b = bytes(name);
        int n = Math.toIntExact(t.numel());
        int[] out = new int[n];
        switch (t.dtype()) {
            case I64:
                for (int i = 0; i < n; i++) {
                    long v = b.getLong(i * 8);
                    if (v != (int) v) {
                        throw new SafetensorsException(file, name, "element " + i + " = " + v + " does not fit 32 bits");
                    }
                    out[i] = (int) v;
                }
                break;
            case I32:
                b.asIntBuffer().get(out);
                break;
            case I16:
                for (int i = 0; i < n; i++) {
                    out[i] = b.getShort(i * 2);
                }
                break;
            case I8:
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
                break;
            case U8:
            case BOOL:
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) & 0xFF;
                }
                break;
            default:
                throw new SafetensorsException(file, name, "is " + t.dtype() + ", not an integer type");
        }
        return out;
    }

    /** Loads a tensor onto a backend, converted to {@code dtype}. */
    public Tensor load(String name, Backend backend, DType dtype) throws IOException {
        TensorInfo t = info(name);
        if (dtype.isFloating()) {
            return backend.fromFloats(readFloats(name), dtype, t.shape());
        }
        return backend.fromInts(readInts(name), dtype, t.shape());
    }

    /** Loads a tensor onto a backend in its stored dtype (F64 and I64 narrowed to F32 and I32). */
    public Tensor load(String name, Backend backend) throws IOException {
        DType stored = info(name).dtype();
        DType dtype = stored == DType.F64 ? DType.F32 : stored == DType.I64 ? DType.I32 : stored;
        return load(name, backend, dtype);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
