package dev.rosarium.core.optim;

import dev.rosarium.core.tensor.Tensor;

import java.util.List;

/** Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {
    }

    /**
     * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when the global L2 norm exceeds
     * {@code maxNorm}; returns the norm before clipping.
     */
    public static double clipGlobalNorm(List<ParamGroup> groups, double maxNorm) {
        double sq = 0;
        for (ParamGroup g : groups) {
            for (NamedParameter p : g.params()) {
                Tensor grad = p.variable().grad();
                if (grad != null) {
                    sq += grad.backend().sumSquares(grad);
                }
            }
        }
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm) {
            float coef = (float) (maxNorm / (norm + 1e-6));
            for (ParamGroup g : groups) {
                for (NamedParameter p : g.params()) {
                    Tensor grad = p.variable().grad();
                    if (grad != null) {
                        p.variable().setGrad(grad.backend().scale(grad, coef));
                    }
                }
            }
        }
        return norm;
    }
}
