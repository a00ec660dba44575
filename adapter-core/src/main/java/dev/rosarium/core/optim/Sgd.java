package dev.rosarium.core.optim;

import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SGD with (heavy-ball) momentum and L2 weight decay, as {@code torch.optim.SGD} with dampening 0. */
public final class Sgd implements Optimizer {
    private final List<ParamGroup> groups;
    private final float momentum;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private long steps;

    public Sgd(List<ParamGroup> groups, double momentum) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
        }
        this.groups = List.copyOf(groups);
        this.momentum = (float) momentum;
    }

    @Override
    public List<ParamGroup> groups() {
        return groups;
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public void step(double lrFactor) {
        steps++;
        for (ParamGroup g : groups) {
            float lr = (float) (g.lr() * lrFactor);
            for (NamedParameter p : g.params()) {
                Tensor grad = p.variable().grad();
                if (grad == null) {
                    continue;
                }
                Tensor value = p.variable().value();
                Tensor buf = momentum == 0f ? null
                        : buffers.computeIfAbsent(p.name(), k -> value.backend().zeros(DType.F32, value.shape()));
                value.backend().sgdStep(value, grad, buf, lr, momentum, (float) g.weightDecay());
            }
        }
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        buffers.forEach((name, b) -> out.put(name + ".momentum_buffer", b));
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> state, long steps) {
        resetState();
        for (ParamGroup g : groups) {
            for (NamedParameter p : g.params()) {
                Tensor b = state.get(p.name() + ".momentum_buffer");
                if (b != null) {
                    if (!b.sameShape(p.variable().value())) {
                        throw new IllegalArgumentException("momentum buffer of " + p.name() + " has the wrong shape");
                    }
                    buffers.put(p.name(), b);
                }
            }
        }
        this.steps = steps;
    }

    @Override
    public void resetState() {
        buffers.values().forEach(Tensor::close);
        buffers.clear();
    }
}
