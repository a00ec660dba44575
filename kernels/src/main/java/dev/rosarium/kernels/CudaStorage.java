package dev.rosarium.kernels;

/** A tensor's device buffer: its address and its size in bytes. */
record CudaStorage(long address, long bytes) {
}
