package dev.rosarium.core.tensor;

/** Element types a tensor can hold; the names are the ones safetensors uses. */
public enum DType {
    F64(8, true, "F64"),
    F32(4, true, "F32"),
    BF16(2, true, "BF16"),
    F16(2, true, "F16"),
    I64(8, false, "I64"),
    I32(4, false, "I32"),
    I16(2, false, "I16"),
    I8(1, false, "I8"),
    /** Also the container for packed 4-bit codes (two per byte). */
    U8(1, false, "U8"),
    BOOL(1, false, "BOOL");

    private final int bytes;
    private final boolean floating;
    private final String safetensorsName;

    DType(int bytes, boolean floating, String safetensorsName) {
        this.bytes = bytes;
        this.floating = floating;
        this.safetensorsName = safetensorsName;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloating() {
        return floating;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    /** Looks a dtype up by its safetensors name; null when the name is unknown. */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
