package dev.rosarium.kernels;

import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * A tensor's device buffer: its address and size in bytes, and what the side stream still does with
 * it. {@code ready} is set when the side stream writes the buffer (the main stream waits on it before
 * the next use); {@code sideReads} when the side stream reads it (the buffer may be handed out again
 * only once that event has passed).
 */
final class CudaStorage {
    private final long address;
    private final long bytes;
    CUevent_st ready;
    CUevent_st sideReads;

    CudaStorage(long address, long bytes) {
        this.address = address;
        this.bytes = bytes;
    }

    long address() {
        return address;
    }

    long bytes() {
        return bytes;
    }
}
