package dev.rosarium.core.generate;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders chat messages into a prompt for models whose template is ChatML
 * ({@code <|im_start|>role\ncontent<|im_end|>\n}), including the default system message the
 * template inserts when the conversation has none. Other template languages are refused rather
 * than guessed: running a model with the wrong template silently degrades it.
 */
public final class ChatTemplate {
    /** One chat turn. */
    public record Message(String role, String content) {
    }

    private static final Pattern DEFAULT_SYSTEM = Pattern.compile("<\\|im_start\\|>system\\n(.*?)<\\|im_end\\|>",
            Pattern.DOTALL);

    private final String defaultSystem;

    private ChatTemplate(String defaultSystem) {
        this.defaultSystem = defaultSystem;
    }

    /** Whether {@link #parse} takes {@code template}. */
    public static boolean supports(String template) {
        try {
            parse(template);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public static ChatTemplate parse(String template) {
        if (template == null || !template.contains("<|im_start|>")) {
            throw new IllegalArgumentException("only ChatML chat templates are supported; this model's template is "
                    + (template == null ? "absent" : "another format"));
        }
        Matcher m = DEFAULT_SYSTEM.matcher(template);
        return new ChatTemplate(m.find() ? m.group(1) : null);
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        if (defaultSystem != null && (messages.isEmpty() || !messages.get(0).role().equals("system"))) {
            sb.append("<|im_start|>system\n").append(defaultSystem).append("<|im_end|>\n");
        }
        for (Message m : messages) {
            sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n");
        }
        return sb.toString();
    }
}
