package dev.rosarium.core.optim;

import java.util.List;

/**
 * Parameters that share a learning rate and weight decay (RoSA trains its low-rank factors and its
 * sparse values at different rates).
 */
public record ParamGroup(String name, List<NamedParameter> params, double lr, double weightDecay) {
    public ParamGroup {
        params = List.copyOf(params);
        if (!(lr >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("group " + name + ": lr " + lr + " and weight decay " + weightDecay
                    + " must be non-negative");
        }
    }
}
