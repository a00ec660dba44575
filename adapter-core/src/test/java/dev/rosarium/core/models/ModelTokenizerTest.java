package dev.rosarium.core.models;

import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelTokenizerTest {
    private static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
            + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** A Hugging Face directory's template is read where ChatML rendering can follow it, and left out where not. */
    @Test
    void aDirectorysChatTemplateIsReadWhenItIsChatMl(@TempDir Path dir) throws Exception {
        Path tokenizer = ModelTokenizer.locate(ModelCache.standard().resolve(ModelPackage.ALL_MINILM_L6_V2)).tokenizerJson();
        Files.copy(tokenizer, dir.resolve("tokenizer.json"));
        assertNull(ModelTokenizer.locate(dir).chatTemplate(), "no tokenizer_config.json: no template");
        Path config = dir.resolve(ModelTokenizer.TOKENIZER_CONFIG);
        com.google.gson.JsonObject c = new com.google.gson.JsonObject();
        c.addProperty("chat_template", CHATML);
        Files.writeString(config, c.toString());
        assertEquals(CHATML, ModelTokenizer.locate(dir).chatTemplate());
        c.addProperty("chat_template", "{{ bos_token }}[INST] {{ messages[0]['content'] }} [/INST]");
        Files.writeString(config, c.toString());
        assertNull(ModelTokenizer.locate(dir).chatTemplate(), "a template other than ChatML is left out");
        Files.writeString(config, "{\"chat_template\": ");
        Exception e = assertThrows(java.io.IOException.class, () -> ModelTokenizer.locate(dir));
        assertTrue(e.getMessage().contains(ModelTokenizer.TOKENIZER_CONFIG), e.getMessage());
    }
}
