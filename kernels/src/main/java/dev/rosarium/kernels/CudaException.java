package dev.rosarium.kernels;

/** A CUDA call failed or a kernel reported invalid input. */
public final class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }
}
