package org.diffusion4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * A parameter store that hands out the reduced-precision copy of a weight while a
 * {@link LowPrecision} scope is open on the calling thread, and the weight itself otherwise.
 */
public final class CastingParameterStore extends ParameterStore {
    public CastingParameterStore(NDManager manager) {
        super(manager, false);
    }

    public CastingParameterStore() {
        super();
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        NDArray copy = parameter == null ? null : LowPrecision.copyOf(parameter);
        return copy != null ? copy : super.getValue(parameter, device, training);
    }
}
