package org.diffusion4j.diffusion;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Locale;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;

/**
 * A sampler named by its kind and options, apart from any schedule (sampling.md): what a model
 * file records as its recommended sampler, what a command line or a web page asks for. {@link
 * #build} makes the {@link Sampler} for a schedule; {@link #toString} names it with its settings,
 * e.g. "SDE-DPM-Solver++(2M), 16 steps (trailing), eta 1.1". Make one with {@link #of(Kind)} (the
 * kind's defaults) and the {@code with...} methods.
 *
 * @param kind which reverse process
 * @param steps the steps S; for {@link Kind#DDPM} 0 means all T steps (Algorithm 2 itself)
 * @param spacing how S steps are laid out over 1..T (not used by DDIM, whose steps are 1 + floor(i T / S))
 * @param eta the noise of DDIM and of the SDE solver (0: deterministic, 1: DDPM-like); 0 for the others
 * @param variance sigma_t^2 of DDPM's steps (not used by the others)
 * @param clip clip x0Hat to [-1, 1] at every step (images; a model of other data ignores it)
 */
public record SamplerSettings(Kind kind, int steps, Timesteps.Spacing spacing, double eta, DdpmSampler.Variance variance,
        boolean clip) {

    /** The reverse processes, spelled as on the command line. */
    public enum Kind {
        /** Algorithm 2: all T steps, or S of them respaced. */
        DDPM("ddpm", 0, Timesteps.Spacing.LINSPACE, 0),
        /** DDIM on S evenly spaced steps. */
        DDIM("ddim", 50, Timesteps.Spacing.LINSPACE, 0),
        /** DPM-Solver++(2M), the ODE. */
        DPMPP_2M("dpm++2m", 20, Timesteps.Spacing.LOGSNR, 0),
        /** DPM-Solver++(2M) on the reverse SDE. */
        DPMPP_2M_SDE("dpm++2m-sde", 20, Timesteps.Spacing.TRAILING, 1),
        /** Karras et al.'s Heun (2 S - 1 network calls). */
        HEUN("heun", 10, Timesteps.Spacing.KARRAS, 0);

        private final String text;
        private final int defaultSteps;
        private final Timesteps.Spacing defaultSpacing;
        private final double defaultEta;

        Kind(String text, int defaultSteps, Timesteps.Spacing defaultSpacing, double defaultEta) {
            this.text = text;
            this.defaultSteps = defaultSteps;
            this.defaultSpacing = defaultSpacing;
            this.defaultEta = defaultEta;
        }

        /** Whether eta is one of its options (DDIM and the SDE solver). */
        public boolean takesEta() {
            return this == DDIM || this == DPMPP_2M_SDE;
        }

        /**
         * The kind spelled {@code value} in any case: its text ("dpm++2m-sde"), its constant name,
         * or dpmpp2m, dpm-solver++ and their -sde forms for the ones with plus signs.
         */
        public static Kind parse(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (Kind k : values()) {
                if (k.text.equals(v) || k.name().toLowerCase(Locale.ROOT).equals(v)) {
                    return k;
                }
            }
            if (v.equals("dpmpp2m") || v.equals("dpm-solver++") || v.equals("dpmsolver++")) {
                return DPMPP_2M;
            }
            if (v.equals("dpmpp2m-sde") || v.equals("sde-dpm-solver++") || v.equals("sde-dpmsolver++")) {
                return DPMPP_2M_SDE;
            }
            throw new InvalidArgumentException("sampler", "'" + value + "'", "is not a sampler: use ddpm, ddim, dpm++2m, dpm++2m-sde or heun");
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** Below this many steps DPM-Solver++ takes the step into t_1 with first order (sampling.md). */
    static final int LOWER_ORDER_FINAL_BELOW = 15;

    /** Checks the values that do not depend on a schedule. */
    public SamplerSettings {
        if (kind == null || spacing == null || variance == null) {
            throw new IllegalArgumentException("kind, spacing and variance must be given");
        }
        if (steps < (kind == Kind.DDPM ? 0 : 1)) {
            throw new InvalidArgumentException("steps", steps, "must be >= 1" + (kind == Kind.DDPM ? " (or 0: all T)" : ""));
        }
        if (!(eta >= 0 && Double.isFinite(eta))) {
            throw new InvalidArgumentException("eta", eta, "must be a number >= 0 (0 deterministic, 1 DDPM-like)");
        }
        if (eta != 0 && !kind.takesEta()) {
            throw new InvalidArgumentException("eta", eta, "applies to ddim and dpm++2m-sde only, not " + kind);
        }
    }

    /** The kind with its defaults: DDPM all T steps; DDIM 50, eta 0; dpm++2m 20 (log-SNR); dpm++2m-sde 20 (trailing), eta 1; Heun 10 (Karras). */
    public static SamplerSettings of(Kind kind) {
        return new SamplerSettings(kind, kind.defaultSteps, kind.defaultSpacing, kind.defaultEta, DdpmSampler.Variance.BETA_TILDE,
                true);
    }

    /** Algorithm 2 on all T steps, sigma^2 = betaTilde: what a model file without a recommendation is sampled with. */
    public static SamplerSettings ddpm() {
        return of(Kind.DDPM);
    }

    public SamplerSettings withSteps(int s) {
        return new SamplerSettings(kind, s, spacing, eta, variance, clip);
    }

    public SamplerSettings withSpacing(Timesteps.Spacing s) {
        return new SamplerSettings(kind, steps, s, eta, variance, clip);
    }

    public SamplerSettings withEta(double e) {
        return new SamplerSettings(kind, steps, spacing, e, variance, clip);
    }

    public SamplerSettings withVariance(DdpmSampler.Variance v) {
        return new SamplerSettings(kind, steps, spacing, eta, v, clip);
    }

    public SamplerSettings withClip(boolean c) {
        return new SamplerSettings(kind, steps, spacing, eta, variance, c);
    }

    /** Whether DPM-Solver++ takes its last step but one with first order (few steps make it long in lambda). */
    public boolean lowerOrderFinal() {
        return (kind == Kind.DPMPP_2M || kind == Kind.DPMPP_2M_SDE) && steps < LOWER_ORDER_FINAL_BELOW;
    }

    /** Network calls per batch on a schedule of T steps. */
    public int networkCalls(int T) {
        return kind == Kind.HEUN ? 2 * steps - 1 : kind == Kind.DDPM && steps == 0 ? T : steps;
    }

    /**
     * The sampler on {@code schedule}, clipping x0Hat if {@link #clip} (a model of data not bounded
     * by [-1, 1] asks for {@code withClip(false)}).
     *
     * @throws InvalidArgumentException if steps exceeds the schedule's T
     */
    public Sampler build(NoiseSchedule schedule) {
        int T = schedule.steps();
        if (steps > T) {
            throw new InvalidArgumentException("steps", steps, "must be in 1.." + T + " (the schedule's T)");
        }
        switch (kind) {
            case DDPM:
                return steps == 0 || steps == T ? new DdpmSampler(schedule, variance, clip)
                        : DdpmSampler.respaced(schedule, Timesteps.of(schedule, steps, spacing), variance, clip);
            case DDIM:
                return new DdimSampler(schedule, steps, eta, clip);
            case DPMPP_2M:
            case DPMPP_2M_SDE:
                return new DpmSolverSampler(schedule, steps, spacing, clip, lowerOrderFinal(), eta);
            case HEUN:
                return new HeunSampler(schedule, steps, spacing, clip);
            default:
                throw new IllegalStateException("sampler " + kind);
        }
    }

    /** The sampler and its settings in words, as 'sample' prints them. */
    @Override
    public String toString() {
        switch (kind) {
            case DDPM:
                return steps == 0 ? "DDPM, sigma^2 = " + variance
                        : String.format(Locale.ROOT, "DDPM respaced to %d steps (%s), sigma^2 = %s", steps, spacing, variance);
            case DDIM:
                return "DDIM, eta " + eta;
            case DPMPP_2M:
            case DPMPP_2M_SDE:
                return String.format(Locale.ROOT, "%sDPM-Solver++(2M), %d steps (%s)%s%s", eta > 0 ? "SDE-" : "", steps, spacing,
                        eta > 0 && eta != 1 ? ", eta " + eta : "", lowerOrderFinal() ? ", first-order step into t_1" : "");
            case HEUN:
                return String.format(Locale.ROOT, "Heun, %d steps (%s)", steps, spacing);
            default:
                throw new IllegalStateException("sampler " + kind);
        }
    }

    /** As JSON, the form a model file keeps: {"kind": "dpm++2m-sde", "steps": 16, "spacing": "trailing", "eta": 1.1, ...}. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", kind.toString());
        o.addProperty("steps", steps);
        o.addProperty("spacing", spacing.toString());
        o.addProperty("eta", eta);
        o.addProperty("variance", variance.toString());
        o.addProperty("clip", clip);
        return o.toString();
    }

    /** Reads {@link #toJson}; an absent field takes the kind's default. */
    public static SamplerSettings fromJson(String json) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            SamplerSettings s = of(Kind.parse(o.get("kind").getAsString()));
            if (o.has("steps")) {
                s = s.withSteps(o.get("steps").getAsInt());
            }
            if (o.has("spacing")) {
                s = s.withSpacing(Timesteps.Spacing.valueOf(o.get("spacing").getAsString().toUpperCase(Locale.ROOT)));
            }
            if (o.has("eta")) {
                s = s.withEta(o.get("eta").getAsDouble());
            }
            if (o.has("variance")) {
                s = s.withVariance("beta".equals(o.get("variance").getAsString()) ? DdpmSampler.Variance.BETA
                        : DdpmSampler.Variance.BETA_TILDE);
            }
            return o.has("clip") ? s.withClip(o.get("clip").getAsBoolean()) : s;
        } catch (UserException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UserException("the recommended sampler of the model file is not readable ("
                    + String.valueOf(e.getMessage()).replace('\n', ' ') + "); the file may be corrupt");
        }
    }
}
