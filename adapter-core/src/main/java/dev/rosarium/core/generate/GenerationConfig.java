package dev.rosarium.core.generate;

/**
 * How to pick tokens: greedy when {@code temperature} is 0, else sampling from the
 * temperature-scaled distribution restricted to its top-p nucleus, drawn from Philox at {@code seed}.
 */
public record GenerationConfig(int maxNewTokens, float temperature, float topP, long seed) {
    public GenerationConfig {
        if (maxNewTokens < 1 || temperature < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("maxNewTokens >= 1, temperature >= 0 and 0 < topP <= 1 required");
        }
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0f, 1f, 0);
    }
}
