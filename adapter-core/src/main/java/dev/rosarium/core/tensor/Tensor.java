package dev.rosarium.core.tensor;

import java.util.Arrays;

/**
 * A dense, contiguous, row-major block of elements owned by one {@link Backend}.
 *
 * <p>Tensors are always contiguous: transposes are flags of the matrix product and the few true
 * permutations a model needs are fused into the ops that need them (attention and RoPE read the
 * {@code (batch, seq, heads, dim)} layout directly). That keeps every kernel, CPU or GPU, free of
 * stride arithmetic. A reshape is free and shares the buffer; closing a view releases nothing.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final int[] shape;
    private final long numel;
    private final Object storage;
    private final boolean view;
    private boolean released;

    /** Called by backends only; {@code storage} is the backend's own buffer handle. */
    public Tensor(Backend backend, DType dtype, int[] shape, Object storage, boolean view) {
        this.backend = backend;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.numel = Shapes.numel(shape);
        this.storage = storage;
        this.view = view;
    }

    public Backend backend() {
        return backend;
    }

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public long numel() {
        return numel;
    }

    public int numelInt() {
        return Math.toIntExact(numel);
    }

    /** The backend's buffer handle. */
    public Object storage() {
        if (released) {
            throw new IllegalStateException("tensor " + this + " was already released");
        }
        return storage;
    }

    public boolean isView() {
        return view;
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    /** A view with another shape over the same buffer; one dimension may be -1. */
    public Tensor reshape(int... newShape) {
        return new Tensor(backend, dtype, Shapes.inferReshape(numel, newShape), storage(), true);
    }

    /**
     * A tensor with another shape that takes over this tensor's buffer (and the duty to release
     * it); this one must not be used afterwards.
     */
    public Tensor moveTo(int... newShape) {
        if (view) {
            throw new IllegalStateException("a view cannot hand over a buffer it does not own");
        }
        Tensor moved = new Tensor(backend, dtype, Shapes.inferReshape(numel, newShape), storage(), false);
        released = true;
        return moved;
    }

    /** Copies the elements to a new host array, converted to float. */
    public float[] toFloats() {
        return backend.toFloats(this);
    }

    public int[] toInts() {
        return backend.toInts(this);
    }

    /** The single element of a one-element tensor. */
    public float item() {
        if (numel != 1) {
            throw new IllegalStateException("item() of a tensor with shape " + Shapes.str(shape));
        }
        return toFloats()[0];
    }

    @Override
    public void close() {
        if (!released && !view) {
            backend.release(this);
        }
        released = true;
    }

    public boolean isReleased() {
        return released;
    }

    @Override
    public String toString() {
        return "Tensor" + Shapes.str(shape) + ":" + dtype;
    }
}
