package dev.rosarium.activities.tracking;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The checks MLflow applies to keys and values, made at the call so that a bad name fails in the
 * caller's stack instead of being refused later by the server.
 */
final class MlflowNames {
    /** Letters, digits, underscore, dash, period, space, colon, slash (MLflow's rule on POSIX). */
    private static final Pattern KEY = Pattern.compile("[/\\w.\\- :]+", Pattern.UNICODE_CHARACTER_CLASS);
    static final int MAX_KEY = 250;
    static final int MAX_PARAM_VALUE = 6000;
    static final int MAX_TAG_VALUE = 8000;

    private MlflowNames() {
    }

    static void checkRunKey(String what, String runKey) {
        if (runKey == null || runKey.isBlank() || runKey.length() > MAX_TAG_VALUE) {
            throw new IllegalArgumentException(what + " must be a non-empty string of at most " + MAX_TAG_VALUE + " characters, got '" + runKey + "'");
        }
        for (char c : runKey.toCharArray()) {
            if (c == '\'' || c == '"' || c == '\\' || c == '`' || Character.isISOControl(c)) {
                throw new IllegalArgumentException(what + " '" + runKey + "' contains '" + c
                        + "': quotes, backquotes, backslashes and control characters cannot be searched for in MLflow");
            }
        }
    }

    static void checkKey(String kind, String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(kind + " name '" + key + "' is not valid in MLflow: expected 1 to " + MAX_KEY
                    + " letters, digits, '_', '-', '.', ' ', ':' or '/'");
        }
        if (key.startsWith("/") || key.endsWith("/") || key.contains("//") || key.equals(".")
                || key.startsWith("./") || key.startsWith("../") || key.contains("/./") || key.contains("/../")
                || key.endsWith("/.") || key.endsWith("/..") || key.equals("..")) {
            throw new IllegalArgumentException(kind + " name '" + key + "' is not valid in MLflow: it must be a normalized relative path");
        }
    }

    static void checkStrings(String kind, Map<String, String> map, int maxValue) {
        map.forEach((k, v) -> {
            checkKey(kind, k);
            if (v == null || v.length() > maxValue) {
                throw new IllegalArgumentException(kind + " '" + k + "': the value must be a string of at most " + maxValue
                        + " characters, got " + (v == null ? "null" : v.length() + " characters"));
            }
        });
    }
}
