package dev.rosarium.core.tokenize;

import dev.rosarium.core.generate.ChatTemplate;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.GenerationExample;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Turns task examples into token ids; the one place that decides how an example is tokenized, used
 * by the recipes and by data preparation alike.
 * <ul>
 * <li>Classification: the text (or text pair) with the tokenizer's special tokens and token type
 * ids, truncated to {@code maxLength}.</li>
 * <li>Generation: with a ChatML template, the input is the prompt as one user turn followed by the
 * assistant header (exactly what generation feeds the model) and the target is the rest of the
 * rendered conversation, the answer and its end-of-turn; without a template, prompt and target as
 * the task gives them. The target gets no special tokens of its own and is cut so that input plus
 * target fit {@code maxLength}.</li>
 * </ul>
 */
public final class ExampleTokenizer implements AutoCloseable {
    private final HfTokenizer tokenizer;
    private final String chatTemplate;
    private final int maxLength;
    private ChatTemplate chat;

    private ExampleTokenizer(HfTokenizer tokenizer, String chatTemplate, int maxLength) {
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.maxLength = maxLength;
    }

    public static ExampleTokenizer open(ModelTokenizer model, int maxLength) throws IOException {
        // examples are unpadded: the pad id is never used here
        return new ExampleTokenizer(HfTokenizer.open(model.tokenizerJson(), maxLength, 0), model.chatTemplate(),
                maxLength);
    }

    public TokenizedExample classification(ClassificationExample e) {
        HfTokenizer.Encoded enc = tokenizer.encodeWithTypes(e.text(), e.pair());
        return TokenizedExample.classification(enc.ids(), enc.typeIds(), e.label());
    }

    public List<TokenizedExample> classification(List<ClassificationExample> rows) {
        return rows.stream().map(this::classification).toList();
    }

    public TokenizedExample generation(GenerationExample e) {
        String prompt = e.prompt();
        String target = e.target();
        if (chatTemplate != null) {
            if (chat == null) {
                // parsed on first use: a classification run must not fail on a template it never uses
                chat = ChatTemplate.parse(chatTemplate);
            }
            ChatTemplate.Message user = new ChatTemplate.Message("user", e.prompt().strip());
            prompt = chat.render(List.of(user), true);
            String whole = chat.render(List.of(user, new ChatTemplate.Message("assistant", e.target())), false);
            if (!whole.startsWith(prompt)) {
                throw new IllegalStateException("the chat template renders the prompt differently once answered");
            }
            target = whole.substring(prompt.length());
        }
        int[] input = HfTokenizer.toInts(tokenizer.encode(prompt));
        int[] answer = HfTokenizer.toInts(tokenizer.encodeContinuation(target));
        return TokenizedExample.generation(input, Arrays.copyOf(answer,
                Math.min(answer.length, Math.max(0, maxLength - input.length))));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
