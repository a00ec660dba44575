package dev.rosarium.core.tensor;

/** Elementwise binary operations; the right operand may broadcast over leading dimensions. */
public enum BinaryOp {
    ADD,
    SUB,
    MUL,
    DIV
}
