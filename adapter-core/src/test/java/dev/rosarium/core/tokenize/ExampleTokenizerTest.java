package dev.rosarium.core.tokenize;

import dev.rosarium.core.generate.ChatTemplate;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.GenerationExample;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real tokenizers of the packaged models: BERT pairs for classification, ChatML for generation. */
class ExampleTokenizerTest {
    @Test
    void classificationPairsCarrySegmentsAndAreTruncated() throws Exception {
        ModelTokenizer mt = ModelTokenizer.locate(ModelCache.standard().resolve(ModelPackage.ALL_MINILM_L6_V2));
        try (ExampleTokenizer tok = ExampleTokenizer.open(mt, 16)) {
            TokenizedExample e = tok.classification(new ClassificationExample("the cat sat", "on the mat", 1));
            // [CLS] the cat sat [SEP] on the mat [SEP]
            assertArrayEquals(new int[] {101, 1996, 4937, 2938, 102, 2006, 1996, 13523, 102}, e.inputIds());
            assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1, 1, 1}, e.tokenTypeIds());
            assertEquals(1, e.label());
            assertEquals(0, e.targetIds().length);
            TokenizedExample longer = tok.classification(new ClassificationExample("word ".repeat(40), null, 0));
            assertEquals(16, longer.inputIds().length);
            assertEquals(102, longer.inputIds()[15], "truncation keeps the closing [SEP]");
        }
    }

    @Test
    void generationSplitsTheChatMlConversationAtTheAssistantHeader() throws Exception {
        ModelTokenizer mt = ModelTokenizer.locate(ModelCache.standard().resolve(ModelPackage.SMOLLM2_135M_INSTRUCT_Q4_1));
        assertNotNull(mt.chatTemplate());
        GenerationExample ex = new GenerationExample("How many eggs?\n", "Janet has 16 - 3 = 13 eggs.\n#### 13", "13");
        ChatTemplate chat = ChatTemplate.parse(mt.chatTemplate());
        String prompt = chat.render(List.of(new ChatTemplate.Message("user", "How many eggs?")), true);
        try (ExampleTokenizer tok = ExampleTokenizer.open(mt, 512);
             HfTokenizer raw = HfTokenizer.open(mt.tokenizerJson(), 512, 0)) {
            TokenizedExample e = tok.generation(ex);
            assertEquals(-1, e.label());
            assertEquals(0, e.tokenTypeIds().length);
            // the input is exactly what generation feeds the model for this example
            assertArrayEquals(raw.encode(prompt), Arrays.stream(e.inputIds()).asLongStream().toArray());
            int[] t = e.targetIds();
            assertEquals(2, t[t.length - 2], "the answer ends its turn with <|im_end|> (id 2)");
            assertEquals(ex.target() + "\n", raw.decode(Arrays.stream(t).asLongStream().toArray()));
        }
        try (ExampleTokenizer tok = ExampleTokenizer.open(mt, 512)) {
            int promptLength = tok.generation(ex).inputIds().length;
            try (ExampleTokenizer tight = ExampleTokenizer.open(mt, promptLength + 5)) {
                TokenizedExample cut = tight.generation(ex);
                assertEquals(promptLength, cut.inputIds().length);
                assertEquals(5, cut.targetIds().length, "the target is cut so input + target fit maxLength");
            }
            try (ExampleTokenizer tiny = ExampleTokenizer.open(mt, 8)) {
                TokenizedExample cut = tiny.generation(ex);
                assertEquals(8, cut.inputIds().length);
                assertEquals(0, cut.targetIds().length);
            }
        }
        assertTrue(mt.tokenizerJson().toString().endsWith(".gguf.tokenizer.json"));
    }
}
