package dev.rosarium.core.recipes;

import dev.rosarium.core.adapters.MethodSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FineTuneConfigTest {
    /** Masks and trial directories cached under the record's first name are still found. */
    @Test
    void cacheKeyKeepsTheTextOutputsWereFirstKeyedOn() {
        FineTuneConfig c = new FineTuneConfig("all-minilm-l6-v2", "sst2", 16, 16, 4, 32, 5e-4, 0.01, 1, 0.06, 1.0, 42,
                MethodSpec.defaults("lora"));
        String fields = c.toString().substring("FineTuneConfig".length());
        assertEquals("ClassificationConfig" + fields, c.cacheKey());
        assertTrue(fields.startsWith("[model=all-minilm-l6-v2, task=sst2, trainRows=16, "), fields);
    }

    @Test
    void defaultsFollowTheTaskKind() {
        assertEquals("all-minilm-l6-v2", FineTuneConfig.defaultModel("mrpc"));
        assertEquals("smollm2-135m-instruct-q4_1", FineTuneConfig.defaultModel("viggo"));
        assertEquals(64, FineTuneConfig.defaultMaxLength("sst2"));
        assertEquals(512, FineTuneConfig.defaultMaxLength("sql"));
        assertThrows(IllegalArgumentException.class, () -> FineTuneConfig.defaultModel("mnli"));
    }
}
