package dev.rosarium.kernels;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;

/** Turns CUDA, driver and cuBLAS status codes into exceptions that name the failing call. */
final class CudaCheck {
    private CudaCheck() {
    }

    static void runtime(int err, String what) {
        if (err != cudart.cudaSuccess) {
            throw new CudaException(what + " failed: " + cudart.cudaGetErrorString(err).getString() + " (" + err + ")");
        }
    }

    static void driver(int err, String what) {
        if (err != cudart.CUDA_SUCCESS) {
            throw new CudaException(what + " failed: CUDA driver error " + err);
        }
    }

    static void blas(int err, String what) {
        if (err != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new CudaException(what + " failed: cuBLAS status " + err);
        }
    }
}
