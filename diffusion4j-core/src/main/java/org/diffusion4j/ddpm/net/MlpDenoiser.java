package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.Layers;
import org.diffusion4j.nn.LowPrecision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.io.RecordJson;

/**
 * A noise predictor for vectors (2-D points and any [B, D] data): the sinusoidal embedding of the
 * 0-based step (as in the U-Net) through Linear-SiLU-Linear gives temb; each hidden layer is
 * h = SiLU(Linear(h) + Linear(temb)); the output layer maps back to D.
 * Inputs NDList(x [B, D], tIndex [B]); output [B, D].
 */
public final class MlpDenoiser extends AbstractBlock {
    private static final byte VERSION = 1;

    /**
     * The configuration, saved with every checkpoint.
     *
     * @param dim data dimension D
     * @param hidden units per hidden layer
     * @param layers hidden layers
     * @param timeDim width of the sinusoidal step embedding (even, >= 4)
     */
    public record Config(int dim, int hidden, int layers, int timeDim) {
        public Config {
            positive("dim", dim);
            positive("hidden", hidden);
            positive("layers", layers);
            if (timeDim < 4 || timeDim % 2 != 0) {
                throw new InvalidArgumentException("timeDim", timeDim, "must be an even number >= 4 (sines and cosines)");
            }
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new InvalidArgumentException(name, value, "must be >= 1");
            }
        }

        /** 4 hidden layers of 128 units: learns 2-D toy data in seconds. */
        public static Config toy(int dim) {
            return new Config(dim, 128, 4, 64);
        }

        /** The JSON form: the components by name. */
        public String toJson() {
            return RecordJson.toJson(this);
        }

        /** Parses {@link #toJson()} output (also that of the class this record replaced: same names). */
        public static Config fromJson(String json) {
            return RecordJson.fromJson(json, Config.class, "the MLP denoiser configuration");
        }
    }

    private final Config config;
    private final Linear time0;
    private final Linear time1;
    private final List<Linear> hidden = new ArrayList<>();
    private final List<Linear> timeProj = new ArrayList<>();
    private final Linear out;

    public MlpDenoiser(Config config) {
        super(VERSION);
        this.config = config;
        time0 = addChildBlock("time0", Layers.linear(config.hidden()));
        time1 = addChildBlock("time1", Layers.linear(config.hidden()));
        for (int i = 0; i < config.layers(); i++) {
            hidden.add(addChildBlock("hidden" + i, Layers.linear(config.hidden())));
            timeProj.add(addChildBlock("temb" + i, Layers.linear(config.hidden())));
        }
        out = addChildBlock("out", Layers.linear(config.dim()));
    }

    public Config config() {
        return config;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = LowPrecision.toCompute(inputs.get(0));
        NDArray emb = LowPrecision.toCompute(TimeEmbedding.sinusoidal(inputs.get(1), config.timeDim()));
        NDArray temb = time1.forward(ps, new NDList(Layers.silu(time0.forward(ps, new NDList(emb), training).head())),
                training).head();
        NDArray h = x;
        for (int i = 0; i < config.layers(); i++) {
            NDArray a = hidden.get(i).forward(ps, new NDList(h), training).head();
            NDArray b = timeProj.get(i).forward(ps, new NDList(temb), training).head();
            h = Layers.silu(a.add(b));
        }
        return out.forward(ps, new NDList(h), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        time0.initialize(manager, dataType, new Shape(b, config.timeDim()));
        time1.initialize(manager, dataType, new Shape(b, config.hidden()));
        for (int i = 0; i < config.layers(); i++) {
            hidden.get(i).initialize(manager, dataType, new Shape(b, i == 0 ? config.dim() : config.hidden()));
            timeProj.get(i).initialize(manager, dataType, new Shape(b, config.hidden()));
        }
        out.initialize(manager, dataType, new Shape(b, config.hidden()));
    }
}
