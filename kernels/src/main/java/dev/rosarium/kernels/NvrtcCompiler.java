package dev.rosarium.kernels;

import dev.rosarium.core.io.AtomicFiles;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Compiles a CUDA C++ source from the classpath to a cubin for one architecture with NVRTC, and
 * keeps the result on disk under a name derived from the source, the options, the architecture
 * and the NVRTC version, so a process pays for compilation once per kernel revision and device.
 */
public final class NvrtcCompiler {
    /** Exact math (no fused multiply-add contraction) so results match the CPU reference. */
    static final List<String> OPTIONS = List.of("--std=c++17", "--fmad=false");

    private final Path cacheDir;

    public NvrtcCompiler(Path cacheDir) {
        this.cacheDir = cacheDir;
    }

    /** {@code $ROSARIUM_KERNEL_CACHE}, else {@code ~/.cache/rosarium/kernels}. */
    public static Path defaultCacheDir() {
        String env = System.getenv("ROSARIUM_KERNEL_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "rosarium", "kernels");
    }

    static String readResource(String resource) {
        try (InputStream in = NvrtcCompiler.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + resource + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cubin of {@code source} for {@code sm_<arch>}, from the disk cache when present. */
    public byte[] cubin(String name, String source, int arch) {
        int[] major = new int[1];
        int[] minor = new int[1];
        nvrtc.nvrtcVersion(major, minor);
        String key = sha256(source + "\n" + OPTIONS + "\nsm_" + arch + "\nnvrtc " + major[0] + "." + minor[0]);
        Path cached = cacheDir.resolve(name + "-sm" + arch + "-" + key.substring(0, 24) + ".cubin");
        try {
            if (Files.isRegularFile(cached)) {
                return Files.readAllBytes(cached);
            }
            byte[] bin = compile(name, source, arch);
            AtomicFiles.write(cached, bin);
            return bin;
        } catch (IOException e) {
            throw new UncheckedIOException("kernel cache " + cached, e);
        }
    }

    /** Compiles without the cache; a compile error throws with NVRTC's log. */
    public static byte[] compile(String name, String source, int arch) {
        _nvrtcProgram prog = new _nvrtcProgram();
        check(nvrtc.nvrtcCreateProgram(prog, new BytePointer(source), new BytePointer(name), 0, (PointerPointer<?>) null,
                (PointerPointer<?>) null), "nvrtcCreateProgram");
        try {
            List<String> opts = new java.util.ArrayList<>(OPTIONS);
            opts.add("--gpu-architecture=sm_" + arch);
            PointerPointer<BytePointer> optPtrs = new PointerPointer<>(opts.size());
            for (int i = 0; i < opts.size(); i++) {
                optPtrs.put(i, new BytePointer(opts.get(i)));
            }
            int err = nvrtc.nvrtcCompileProgram(prog, opts.size(), optPtrs);
            if (err != nvrtc.NVRTC_SUCCESS) {
                throw new CudaException("NVRTC could not compile " + name + " for sm_" + arch + ":\n" + log(prog));
            }
            SizeTPointer size = new SizeTPointer(1);
            check(nvrtc.nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize");
            BytePointer bin = new BytePointer(size.get());
            check(nvrtc.nvrtcGetCUBIN(prog, bin), "nvrtcGetCUBIN");
            byte[] out = new byte[(int) size.get()];
            bin.get(out);
            return out;
        } finally {
            nvrtc.nvrtcDestroyProgram(prog);
        }
    }

    private static String log(_nvrtcProgram prog) {
        SizeTPointer size = new SizeTPointer(1);
        nvrtc.nvrtcGetProgramLogSize(prog, size);
        BytePointer log = new BytePointer(size.get());
        nvrtc.nvrtcGetProgramLog(prog, log);
        return log.getString();
    }

    private static void check(int err, String what) {
        if (err != nvrtc.NVRTC_SUCCESS) {
            throw new CudaException(what + " failed: " + nvrtc.nvrtcGetErrorString(err).getString());
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
