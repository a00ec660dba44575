package dev.rosarium.kernels;

import org.bytedeco.javacpp.Pointer;

/** A raw device (or pinned host) address for JavaCPP calls that take a {@code void*}. */
final class DevicePointer extends Pointer {
    DevicePointer(long address) {
        this.address = address;
    }
}
