package dev.rosarium.core.optim;

import dev.rosarium.core.autograd.Variable;

/** A trainable variable with the stable name it is saved and restored under. */
public record NamedParameter(String name, Variable variable) {
}
