package dev.rosarium.core.adapters;

import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RoSA masks on disk, reusable across trials: one safetensors file with {@code <module>.row_offs}
 * and {@code <module>.col_idx} (I32) per layer and the layer shapes in the metadata. Written
 * atomically.
 */
public final class MaskFile {
    private MaskFile() {
    }

    public static void save(Path file, Map<String, SparseMask> masks, Map<String, String> provenance) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "rosarium-rosa-masks");
        provenance.forEach(w::metadata);
        for (Map.Entry<String, SparseMask> e : masks.entrySet()) {
            SparseMask m = e.getValue();
            w.addInts(e.getKey() + ".row_offs", DType.I32, new int[] {m.rows() + 1}, m.rowOffs());
            w.addInts(e.getKey() + ".col_idx", DType.I32, new int[] {m.nnz()}, m.colIdx());
            w.metadata(e.getKey() + ".shape", m.rows() + "x" + m.cols());
        }
        w.write(file);
    }

    public static Map<String, SparseMask> load(Path file) throws IOException {
        Map<String, SparseMask> out = new LinkedHashMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (String name : r.names()) {
                if (!name.endsWith(".row_offs")) {
                    continue;
                }
                String module = name.substring(0, name.length() - ".row_offs".length());
                String shape = r.metadata().get(module + ".shape");
                if (shape == null || !r.contains(module + ".col_idx")) {
                    throw new IOException(file + ": mask of " + module + " lacks its shape or col_idx");
                }
                String[] rc = shape.split("x");
                try {
                    out.put(module, new SparseMask(Integer.parseInt(rc[0]), Integer.parseInt(rc[1]), r.readInts(name),
                            r.readInts(module + ".col_idx")));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": mask of " + module + ": " + e.getMessage(), e);
                }
            }
        }
        return out;
    }
}
