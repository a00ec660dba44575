package dev.rosarium.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.LowPrecision;
import dev.rosarium.core.tensor.Shapes;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a safetensors file in memory and writes it atomically. Tensors are laid out in name
 * order and the header is padded with spaces to a multiple of 8 bytes, as the reference writer
 * does, so data stays aligned for memory mapping.
 */
public final class SafetensorsWriter {
    private record Entry(DType dtype, int[] shape, byte[] data) {
    }

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds floating data stored as {@code dtype} (F32, BF16, F16 or F64). */
    public SafetensorsWriter addFloats(String name, DType dtype, int[] shape, float[] data) {
        checkCount(name, shape, data.length);
        ByteBuffer b = ByteBuffer.allocate(data.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) {
            switch (dtype) {
                case F32:
                    b.putFloat(v);
                    break;
                case BF16:
                    b.putShort(LowPrecision.toBf16(v));
                    break;
                case F16:
                    b.putShort(LowPrecision.toF16(v));
                    break;
                case F64:
                    b.putDouble(v);
                    break;
                default:
                    throw new IllegalArgumentException(name + ": " + dtype + " is not a floating type");
            }
        }
        return put(name, dtype, shape, b.array());
    }

    /** Adds integer or boolean data stored as {@code dtype}; values must fit the type. */
    public SafetensorsWriter addInts(String name, DType dtype, int[] shape, int[] data) {
        checkCount(name, shape, data.length);
        ByteBuffer b = ByteBuffer.allocate(data.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : data) {
            switch (dtype) {
                case I64:
                    b.putLong(v);
                    break;
                case I32:
                    b.putInt(v);
                    break;
                case I16:
                    checkRange(name, v, Short.MIN_VALUE, Short.MAX_VALUE);
                    b.putShort((short) v);
                    break;
                case I8:
                    checkRange(name, v, Byte.MIN_VALUE, Byte.MAX_VALUE);
                    b.put((byte) v);
                    break;
                case U8:
                    checkRange(name, v, 0, 255);
                    b.put((byte) v);
                    break;
                case BOOL:
                    checkRange(name, v, 0, 1);
                    b.put((byte) v);
                    break;
                default:
                    throw new IllegalArgumentException(name + ": " + dtype + " is not an integer type");
            }
        }
        return put(name, dtype, shape, b.array());
    }

    /** Adds a tensor's current values, stored as {@code dtype}. */
    public SafetensorsWriter add(String name, Tensor t, DType dtype) {
        return dtype.isFloating() ? addFloats(name, dtype, t.shape(), t.toFloats())
                : addInts(name, dtype, t.shape(), t.toInts());
    }

    public SafetensorsWriter add(String name, Tensor t) {
        return add(name, t, t.dtype());
    }

    /** Adds bytes already encoded little-endian in {@code dtype}. */
    public SafetensorsWriter addRaw(String name, DType dtype, int[] shape, byte[] data) {
        if (Shapes.numel(shape) * dtype.bytes() != data.length) {
            throw new IllegalArgumentException(name + ": " + data.length + " bytes do not match " + dtype
                    + Shapes.str(shape));
        }
        return put(name, dtype, shape, data.clone());
    }

    private SafetensorsWriter put(String name, DType dtype, int[] shape, byte[] data) {
        if (name.equals("__metadata__") || entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor name '" + name + "' is reserved or already used");
        }
        entries.put(name, new Entry(dtype, shape.clone(), data));
        return this;
    }

    private static void checkCount(String name, int[] shape, int n) {
        if (Shapes.numel(shape) != n) {
            throw new IllegalArgumentException(name + ": " + n + " values do not fill shape " + Arrays.toString(shape));
        }
    }

    private static void checkRange(String name, int v, int lo, int hi) {
        if (v < lo || v > hi) {
            throw new IllegalArgumentException(name + ": value " + v + " does not fit [" + lo + ", " + hi + "]");
        }
    }

    /** The complete file contents. */
    public byte[] toBytes() {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject m = new JsonObject();
            metadata.forEach(m::addProperty);
            header.add("__metadata__", m);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("dtype", e.getValue().dtype().safetensorsName());
            JsonArray shape = new JsonArray();
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            o.add("shape", shape);
            JsonArray off = new JsonArray();
            off.add(offset);
            offset += e.getValue().data().length;
            off.add(offset);
            o.add("data_offsets", off);
            header.add(e.getKey(), o);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (Entry e : entries.values()) {
            out.put(e.data());
        }
        return out.array();
    }

    /** Writes the file atomically (temporary sibling, fsync, rename). */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, toBytes());
    }
}
