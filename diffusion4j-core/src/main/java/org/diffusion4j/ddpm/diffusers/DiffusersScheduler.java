package org.diffusion4j.ddpm.diffusers;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.NoiseSchedule;

/**
 * Our noise schedule as the {@code scheduler_config.json} of diffusers' {@code DDPMScheduler},
 * and back ({@code docs/diffusers.md}): {@code linear} is the same beta_t = betaStart + (betaEnd -
 * betaStart)(t - 1)/(T - 1) (diffusers computes it in float32), {@code cosine} is diffusers'
 * {@code squaredcos_cap_v2} (Nichol &amp; Dhariwal, s = 0.008, betas capped at 0.999). The
 * sampling choices written ({@code variance_type} fixed_small = betaTilde, {@code clip_sample})
 * are the defaults of {@code diffusion4j sample}; they are not part of the model and are not read.
 */
public final class DiffusersScheduler {
    private DiffusersScheduler() {}

    /** The DDPMScheduler configuration of this schedule for an epsilon-predicting network. */
    public static String toJson(NoiseSchedule s) {
        return DiffusersConfig.pretty(toJsonObject(s));
    }

    static JsonObject toJsonObject(NoiseSchedule s) {
        JsonObject o = new JsonObject();
        o.addProperty("_class_name", "DDPMScheduler");
        o.addProperty("_diffusers_version", DiffusersConfig.DIFFUSERS_VERSION);
        o.addProperty("num_train_timesteps", s.steps());
        boolean cosine = s.kind() == NoiseSchedule.Kind.COSINE;
        // squaredcos_cap_v2 ignores beta_start and beta_end; diffusers' defaults keep the file tidy
        o.addProperty("beta_start", cosine ? 0.0001 : s.betaStart());
        o.addProperty("beta_end", cosine ? 0.02 : s.betaEnd());
        o.addProperty("beta_schedule", cosine ? "squaredcos_cap_v2" : "linear");
        o.add("trained_betas", null);
        o.addProperty("variance_type", "fixed_small");
        o.addProperty("clip_sample", true);
        o.addProperty("clip_sample_range", 1.0);
        o.addProperty("prediction_type", "epsilon");
        o.addProperty("thresholding", false);
        o.addProperty("timestep_spacing", "leading");
        o.addProperty("steps_offset", 0);
        o.addProperty("rescale_betas_zero_snr", false);
        return o;
    }

    /**
     * Reads the training schedule of a diffusers scheduler configuration (DDPMScheduler, or any
     * scheduler with the same beta fields; absent fields take DDPMScheduler's defaults).
     *
     * @param source the file, for messages
     * @throws UserException one line naming the key that cannot be imported
     */
    public static NoiseSchedule fromJson(String json, String source) {
        JsonObject o;
        try {
            o = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new UserException(source + " is not a JSON object (" + org.diffusion4j.io.RecordJson.problem(e) + "); give the"
                    + " scheduler_config.json of a diffusers DDPMScheduler");
        }
        String schedule = string(o, "beta_schedule", "linear", source);
        String prediction = string(o, "prediction_type", "epsilon", source);
        if (!prediction.equals("epsilon")) {
            throw new UserException(source + ": prediction_type = \"" + prediction + "\" cannot be imported: the"
                    + " network must predict the noise (\"epsilon\")");
        }
        JsonElement trained = o.get("trained_betas");
        if (trained != null && !trained.isJsonNull()) {
            throw new UserException(source + ": trained_betas is set; only the linear and squaredcos_cap_v2"
                    + " schedules can be imported");
        }
        JsonElement zeroSnr = o.get("rescale_betas_zero_snr");
        if (zeroSnr != null && !zeroSnr.isJsonNull() && zeroSnr.getAsBoolean()) {
            throw new UserException(source + ": rescale_betas_zero_snr = true cannot be imported: our schedules are"
                    + " not rescaled");
        }
        int steps = (int) number(o, "num_train_timesteps", 1000, source);
        try {
            return switch (schedule) {
                case "linear" -> NoiseSchedule.linear(steps, number(o, "beta_start", 0.0001, source),
                        number(o, "beta_end", 0.02, source));
                case "squaredcos_cap_v2" -> NoiseSchedule.cosine(steps);
                default -> throw new UserException(source + ": beta_schedule = \"" + schedule + "\" cannot be"
                        + " imported: only \"linear\" and \"squaredcos_cap_v2\" are supported");
            };
        } catch (IllegalArgumentException e) {
            throw new UserException(source + ": num_train_timesteps, beta_start or beta_end out of range ("
                    + e.getMessage() + ")");
        }
    }

    private static String string(JsonObject o, String key, String absent, String source) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return absent;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new UserException(source + ": " + key + " = " + e + " is not a string");
        }
        return e.getAsString();
    }

    private static double number(JsonObject o, String key, double absent, String source) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return absent;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new UserException(source + ": " + key + " = " + e + " is not a number");
        }
        return e.getAsDouble();
    }
}
