package dev.rosarium.kernels;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;

/**
 * One CUDA device as the backend uses it: its primary context, the main stream that carries the
 * training step, a side stream for work that can overlap it (the sparse gradient of RoSA layers,
 * {@link CudaBackend#sddmm}), a cuBLAS handle on each, the device's properties and the compiled
 * kernels.
 */
public final class CudaDevice {
    private static CudaDevice instance;

    final CUstream_st stream = new CUstream_st();
    final cublasContext blas = new cublasContext();
    final CUstream_st sideStream = new CUstream_st();
    final cublasContext sideBlas = new cublasContext();
    final CachingAllocator allocator = new CachingAllocator();
    final KernelModule kernels;
    final String name;
    final int arch;
    final int multiprocessors;
    final long totalMemory;
    /** Dynamic shared memory a block may opt in to (227 KB on Hopper, about 99 KB on sm_86/89). */
    final long sharedPerBlockOptin;

    private CudaDevice() {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            throw new CudaException("no usable CUDA device: " + probe.reason());
        }
        CudaCheck.runtime(cudart.cudaSetDevice(0), "cudaSetDevice");
        CudaCheck.runtime(cudart.cudaFree(null), "creating the CUDA context");
        CudaCheck.driver(cudart.cuInit(0), "cuInit");
        cudaDeviceProp prop = new cudaDeviceProp();
        CudaCheck.runtime(cudart.cudaGetDeviceProperties(prop, 0), "cudaGetDeviceProperties");
        name = prop.name().getString();
        arch = prop.major() * 10 + prop.minor();
        multiprocessors = prop.multiProcessorCount();
        totalMemory = prop.totalGlobalMem();
        sharedPerBlockOptin = prop.sharedMemPerBlockOptin();
        // the main stream goes first wherever both have work: side-stream jobs fill the gaps it leaves
        int[] least = new int[1];
        int[] greatest = new int[1];
        CudaCheck.runtime(cudart.cudaDeviceGetStreamPriorityRange(least, greatest), "cudaDeviceGetStreamPriorityRange");
        CudaCheck.runtime(cudart.cudaStreamCreateWithPriority(stream, cudart.cudaStreamDefault, greatest[0]),
                "cudaStreamCreateWithPriority");
        CudaCheck.blas(cublas.cublasCreate_v2(blas), "cublasCreate");
        CudaCheck.blas(cublas.cublasSetStream_v2(blas, stream), "cublasSetStream");
        CudaCheck.runtime(cudart.cudaStreamCreateWithPriority(sideStream, cudart.cudaStreamDefault, least[0]),
                "cudaStreamCreateWithPriority");
        CudaCheck.blas(cublas.cublasCreate_v2(sideBlas), "cublasCreate");
        CudaCheck.blas(cublas.cublasSetStream_v2(sideBlas, sideStream), "cublasSetStream");
        String source = NvrtcCompiler.readResource("rosarium_kernels.cu");
        kernels = new KernelModule(new NvrtcCompiler(NvrtcCompiler.defaultCacheDir()).cubin("rosarium_kernels", source, arch));
    }

    /** The process's device, initialized on first use; throws {@link CudaException} without a GPU. */
    public static synchronized CudaDevice get() {
        if (instance == null) {
            instance = new CudaDevice();
        }
        return instance;
    }

    public String name() {
        return name;
    }

    /** Compute capability as one number (90 for sm_90). */
    public int arch() {
        return arch;
    }

    /** Waits for all queued work, the side stream's included. */
    public void synchronize() {
        CudaCheck.runtime(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        CudaCheck.runtime(cudart.cudaStreamSynchronize(sideStream), "cudaStreamSynchronize");
    }

    /** Largest number of bytes held by tensors at once since the last reset (rounded block sizes). */
    public long peakAllocatedBytes() {
        return allocator.peakInUse();
    }

    /** Largest number of bytes taken from the device (cached blocks included) since the last reset. */
    public long peakReservedBytes() {
        return allocator.peakReserved();
    }

    public long allocatedBytes() {
        return allocator.inUse();
    }

    public void resetPeakMemory() {
        allocator.resetPeaks();
    }

    /** Milliseconds of device time taken by {@code work}, measured with events on the stream. */
    public float time(Runnable work) {
        CUevent_st start = new CUevent_st();
        CUevent_st stop = new CUevent_st();
        CudaCheck.runtime(cudart.cudaEventCreate(start), "cudaEventCreate");
        CudaCheck.runtime(cudart.cudaEventCreate(stop), "cudaEventCreate");
        try {
            CudaCheck.runtime(cudart.cudaEventRecord(start, stream), "cudaEventRecord");
            work.run();
            CudaCheck.runtime(cudart.cudaEventRecord(stop, stream), "cudaEventRecord");
            CudaCheck.runtime(cudart.cudaEventSynchronize(stop), "cudaEventSynchronize");
            float[] ms = new float[1];
            CudaCheck.runtime(cudart.cudaEventElapsedTime(ms, start, stop), "cudaEventElapsedTime");
            return ms[0];
        } finally {
            cudart.cudaEventDestroy(start);
            cudart.cudaEventDestroy(stop);
        }
    }
}
