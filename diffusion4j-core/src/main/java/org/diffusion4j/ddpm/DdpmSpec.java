package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.ddpm.net.UNet;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.NoiseLevels;
import org.diffusion4j.diffusion.Objective;
import org.diffusion4j.diffusion.Prediction;

/**
 * Everything that defines a DDPM apart from its weights: the noise-prediction network (a U-Net
 * for images, an MLP for vectors) with its configuration, the shape of one data row, the noise
 * schedule and the training loss. Stored as JSON in config.json and every checkpoint. Make one
 * with {@link #unet} or {@link #mlp}.
 *
 * @param unetConfig the U-Net's configuration, or null for an MLP DDPM
 * @param mlpConfig the MLP's configuration, or null for a U-Net DDPM
 * @param rowShape the shape of one data row: [C, H, W] or [D]
 * @param schedule the noise schedule
 * @param loss the training loss
 * @param objective what the network predicts (eps, x0 or v) and the loss weighting; null: eps, unweighted
 */
public record DdpmSpec(
        UNetConfig unetConfig, MlpDenoiser.Config mlpConfig, long[] rowShape, NoiseSchedule schedule, LossType loss,
        Objective objective) {

    /** An eps-predicting DDPM trained with the paper's unweighted loss. */
    public DdpmSpec(UNetConfig unetConfig, MlpDenoiser.Config mlpConfig, long[] rowShape, NoiseSchedule schedule, LossType loss) {
        this(unetConfig, mlpConfig, rowShape, schedule, loss, Objective.EPS);
    }

    /** Exactly one network; the row shape is copied (a record's components are otherwise shared). */
    public DdpmSpec {
        objective = objective == null ? Objective.EPS : objective;
        if ((unetConfig == null) == (mlpConfig == null)) {
            throw new IllegalArgumentException("a DDPM has exactly one network: a U-Net or an MLP");
        }
        rowShape = rowShape.clone();
        boolean fits = unetConfig != null
                ? rowShape.length == 3 && rowShape[0] == unetConfig.inChannels() && rowShape[0] == unetConfig.outChannels()
                : rowShape.length == 1 && rowShape[0] == mlpConfig.dim();
        if (!fits) {
            throw new InvalidArgumentException("rowShape", Arrays.toString(rowShape), "does not fit the network's "
                    + (unetConfig != null ? "channels (" + unetConfig.inChannels() + " in, " + unetConfig.outChannels()
                    + " out) as [C, H, W]" : "dimension " + mlpConfig.dim() + " as [D]"));
        }
        if (unetConfig != null) {
            unetConfig.validate((int) rowShape[1], (int) rowShape[2]);
        }
    }

    /** A U-Net DDPM for images [C, H, W]; checks that the configuration fits the size. */
    public static DdpmSpec unet(UNetConfig config, int channels, int height, int width, NoiseSchedule s, LossType loss) {
        if (config.inChannels() != channels || config.outChannels() != channels) {
            config = config.toBuilder().inChannels(channels).outChannels(channels).build();
        }
        return new DdpmSpec(config, null, new long[] {channels, height, width}, s, loss);
    }

    /** An MLP DDPM for vectors of dimension D (2-D points: D = 2). */
    public static DdpmSpec mlp(MlpDenoiser.Config config, NoiseSchedule s, LossType loss) {
        return new DdpmSpec(null, config, new long[] {config.dim()}, s, loss);
    }

    /** This specification with another prediction type and loss weighting. */
    public DdpmSpec withObjective(Objective o) {
        return new DdpmSpec(unetConfig, mlpConfig, rowShape, schedule, loss, o);
    }

    /** The classes of a class-conditional network (0: unconditional). */
    public int numClasses() {
        return isImage() ? unetConfig.numClasses() : 0;
    }

    public boolean isImage() {
        return unetConfig != null;
    }

    /** A copy of the row shape. */
    @Override
    public long[] rowShape() {
        return rowShape.clone();
    }

    /** The batch shape [n, row...]. */
    public Shape batchShape(long n) {
        long[] d = new long[rowShape.length + 1];
        d[0] = n;
        System.arraycopy(rowShape, 0, d, 1, rowShape.length);
        return new Shape(d);
    }

    /** Builds the network and initialises its parameters (PyTorch's generator: seed first). */
    public Block newNetwork(NDManager m) {
        Block b = isImage() ? new UNet(unetConfig, (int) rowShape[1], (int) rowShape[2]) : new MlpDenoiser(mlpConfig);
        b.initialize(m, DataType.FLOAT32, batchShape(1), new Shape(1));
        return b;
    }

    // ----------------------------------------------------------------------------- JSON adapter
    // The layout of the pre-record class: {"network": "unet"|"mlp", "config": {...}, "rowShape": [...],
    // "schedule": {"kind", "T", "betaStart", "betaEnd"}, "loss"}.

    /** The specification as JSON text (stored in run folders and model files). */
    public String toJson() {
        return toJsonObject().toString();
    }

    private JsonObject toJsonObject() {
        JsonObject o = new JsonObject();
        o.addProperty("network", isImage() ? "unet" : "mlp");
        o.add("config", JsonParser.parseString(isImage() ? unetConfig.toJson() : mlpConfig.toJson()));
        JsonArray shape = new JsonArray();
        for (long d : rowShape) {
            shape.add(d);
        }
        o.add("rowShape", shape);
        JsonObject s = new JsonObject();
        s.addProperty("kind", schedule.kind().name().toLowerCase());
        s.addProperty("T", schedule.steps());
        s.addProperty("betaStart", schedule.betaStart());
        s.addProperty("betaEnd", schedule.betaEnd());
        o.add("schedule", s);
        o.addProperty("loss", loss.name());
        // Written only when not the default, so that eps models keep their descriptions byte for byte.
        if (objective.prediction() != Prediction.EPS) {
            o.addProperty("prediction", objective.prediction().toString());
        }
        if (!objective.unweighted()) {
            o.addProperty("minSnrGamma", objective.minSnrGamma());
        }
        if (!objective.noiseLevels().isUniform()) {
            JsonObject levels = new JsonObject();
            levels.addProperty("pMean", objective.noiseLevels().pMean());
            levels.addProperty("pStd", objective.noiseLevels().pStd());
            o.add("noiseLevels", levels);
        }
        return o;
    }

    /** Parses {@link #toJson()} output. */
    public static DdpmSpec fromJson(String json) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            JsonObject s = o.getAsJsonObject("schedule");
            NoiseSchedule schedule = NoiseSchedule.of(NoiseSchedule.Kind.parse(s.get("kind").getAsString()),
                    s.get("T").getAsInt(), s.get("betaStart").getAsDouble(), s.get("betaEnd").getAsDouble());
            JsonArray a = o.getAsJsonArray("rowShape");
            long[] shape = new long[a.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = a.get(i).getAsLong();
            }
            LossType loss = LossType.valueOf(o.get("loss").getAsString());
            String config = o.get("config").toString();
            // Descriptions older than prediction types hold eps models trained unweighted.
            Prediction prediction = o.has("prediction") ? Prediction.parse(o.get("prediction").getAsString()) : Prediction.EPS;
            if (prediction == null) {
                throw new IllegalArgumentException("unknown prediction type " + o.get("prediction"));
            }
            Objective objective = new Objective(prediction, o.has("minSnrGamma") ? o.get("minSnrGamma").getAsDouble() : 0,
                    o.has("noiseLevels") ? new NoiseLevels(o.getAsJsonObject("noiseLevels").get("pMean").getAsDouble(),
                            o.getAsJsonObject("noiseLevels").get("pStd").getAsDouble()) : NoiseLevels.UNIFORM);
            if ("unet".equals(o.get("network").getAsString())) {
                return unet(UNetConfig.fromJson(config), (int) shape[0], (int) shape[1], (int) shape[2], schedule, loss)
                        .withObjective(objective);
            }
            return mlp(MlpDenoiser.Config.fromJson(config), schedule, loss).withObjective(objective);
        } catch (UserException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UserException("the model description is not a DDPM one (" + org.diffusion4j.io.RecordJson.problem(e)
                    + "); give a run folder made by 'diffusion4j train'");
        }
    }

    /** Equal specifications: same network configuration, row shape, schedule and loss. */
    @Override
    public boolean equals(Object o) {
        return o instanceof DdpmSpec d && java.util.Objects.equals(unetConfig, d.unetConfig)
                && java.util.Objects.equals(mlpConfig, d.mlpConfig) && Arrays.equals(rowShape, d.rowShape)
                && scheduleKey().equals(d.scheduleKey()) && loss == d.loss && objective.equals(d.objective);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(unetConfig, mlpConfig, Arrays.hashCode(rowShape), scheduleKey(), loss, objective);
    }

    /** What defines a schedule (NoiseSchedule has no equals of its own). */
    private java.util.List<Object> scheduleKey() {
        return java.util.List.of(schedule.kind(), schedule.steps(), schedule.betaStart(), schedule.betaEnd());
    }

    @Override
    public String toString() {
        return (isImage() ? "unet " + unetConfig : "mlp " + mlpConfig) + " on " + Arrays.toString(rowShape) + ", " + schedule
                + (objective.equals(Objective.EPS) ? "" : ", " + objective);
    }
}
