package dev.rosarium.core.adapters;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which linear layers an adapter targets, with peft's rules: a list of names matches a module whose
 * path equals a name or ends with {@code "." + name}; a regular expression must match the whole
 * path; {@code all-linear} takes every linear layer of the model but its output head.
 */
public record TargetModules(List<String> names, String regex, boolean everyLinear) {
    public static TargetModules names(String... names) {
        return new TargetModules(List.of(names), null, false);
    }

    public static TargetModules regex(String regex) {
        return new TargetModules(List.of(), regex, false);
    }

    public static TargetModules allLinear() {
        return new TargetModules(List.of(), null, true);
    }

    public boolean matches(String modulePath) {
        if (everyLinear) {
            return true;
        }
        if (regex != null) {
            return Pattern.matches(regex, modulePath);
        }
        for (String n : names) {
            if (modulePath.equals(n) || modulePath.endsWith("." + n)) {
                return true;
            }
        }
        return false;
    }
}
