package dev.rosarium.core.quant;

import dev.rosarium.core.Golden;
import dev.rosarium.core.io.SafetensorsReader;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** NF4 + double quantization against bitsandbytes 0.50 (tools/golden/make_nf4_golden.py). */
class Nf4Test {
    private static byte[] bytes(SafetensorsReader r, String name) throws Exception {
        ByteBuffer b = r.bytes(name);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void codebooksAndDequantizationMatchBitsandbytes() throws Exception {
        try (SafetensorsReader g = SafetensorsReader.open(Golden.path("nf4_bnb.safetensors"))) {
            assertArrayEquals(g.readFloats("nf4"), Nf4.CODE, 0f, "NF4 values");
            assertArrayEquals(g.readFloats("code2"), Nf4.DYNAMIC, 0f, "dynamic map");
            float[] w = g.readFloats("weight");
            Nf4.Quantized theirs = new Nf4.Quantized(w.length, bytes(g, "packed"), bytes(g, "absmax_q"),
                    g.readFloats("absmax2"), g.readFloats("offset")[0]);
            assertArrayEquals(g.readFloats("dequantized"), Nf4.dequantize(theirs), 0f, "dequantized weight");

            Nf4.Quantized ours = Nf4.quantize(w);
            assertEquals(theirs.offset(), ours.offset(), Math.ulp(theirs.offset()), "offset");
            assertArrayEquals(theirs.absmax2(), ours.absmax2(), 0f, "second-level absmax");
            assertArrayEquals(theirs.absmaxCodes(), ours.absmaxCodes(), "absmax codes");
            assertArrayEquals(theirs.packed(), ours.packed(), "packed NF4 codes");
        }
    }
}
