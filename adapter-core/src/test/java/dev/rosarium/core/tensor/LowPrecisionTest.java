package dev.rosarium.core.tensor;

import com.google.gson.JsonObject;
import dev.rosarium.core.Golden;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Our fp32 -> bf16/f16 rounding equals PyTorch's bit for bit (golden from tools/golden). */
class LowPrecisionTest {
    @Test
    void roundingMatchesTorch() {
        JsonObject g = Golden.json("rounding.json").getAsJsonObject();
        var in = g.getAsJsonArray("input");
        var bf = g.getAsJsonArray("bf16_bits");
        var hf = g.getAsJsonArray("f16_bits");
        for (int i = 0; i < in.size(); i++) {
            float x = in.get(i).isJsonPrimitive() && in.get(i).getAsJsonPrimitive().isString()
                    ? Float.parseFloat(in.get(i).getAsString()) : in.get(i).getAsFloat();
            assertEquals((short) bf.get(i).getAsInt(), LowPrecision.toBf16(x), "bf16 of " + x);
            assertEquals((short) hf.get(i).getAsInt(), LowPrecision.toF16(x), "f16 of " + x);
            assertEquals(LowPrecision.fromBf16((short) bf.get(i).getAsInt()), LowPrecision.roundBf16(x), 0f);
        }
    }

    @Test
    void halfDecodesEveryBitPatternConsistently() {
        for (int bits = 0; bits < 65536; bits++) {
            float v = LowPrecision.fromF16((short) bits);
            if (!Float.isNaN(v)) {
                assertEquals((short) bits, LowPrecision.toF16(v), "f16 bit pattern " + bits);
            }
        }
    }
}
