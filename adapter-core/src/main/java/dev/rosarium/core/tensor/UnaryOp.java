package dev.rosarium.core.tensor;

/** Pointwise functions with a derivative the backends know. */
public enum UnaryOp {
    /** GELU with the exact erf form (BERT's "gelu"). */
    GELU,
    /** GELU with the tanh approximation ("gelu_new", "gelu_pytorch_tanh"). */
    GELU_TANH,
    SILU,
    RELU,
    TANH,
    SQUARE,
    EXP
}
