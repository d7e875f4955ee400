package org.diffusion4j.diffusion;

import java.util.Locale;

/**
 * The fixed variance schedule beta_1..beta_T of the forward process and every quantity derived
 * from it (math.md sections 1-2), in double precision. Steps are 1-based as in the paper:
 * {@code beta(t)} for t in 1..T, and {@code alphaBar(0) = 1} by convention. Knows nothing of
 * tensors or images.
 */
public final class NoiseSchedule {
    /** How beta_t is laid out over t. */
    public enum Kind {
        LINEAR,
        COSINE;

        /** "linear" or "cosine" (any case), as a schedule's description stores it. */
        public static Kind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown schedule '" + s + "': use linear or cosine");
            }
        }

        /** The lower-case name, as it is written in text. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;
    private final int steps;
    private final double betaStart;
    private final double betaEnd;
    // Index 0 holds the t = 0 convention (alphaBar_0 = 1); indices 1..T are the steps.
    private final double[] beta;
    private final double[] alphaBar;

    private NoiseSchedule(Kind kind, int steps, double betaStart, double betaEnd, double[] beta) {
        this.kind = kind;
        this.steps = steps;
        this.betaStart = betaStart;
        this.betaEnd = betaEnd;
        this.beta = beta;
        this.alphaBar = new double[steps + 1];
        alphaBar[0] = 1.0;
        for (int t = 1; t <= steps; t++) {
            alphaBar[t] = alphaBar[t - 1] * (1.0 - beta[t]); // alphaBar_t = prod_{s<=t} alpha_s
        }
    }

    /** The DDPM paper's schedule: linear from 1e-4 to 0.02 over T = 1000 steps. */
    public static NoiseSchedule ddpm() {
        return linear(1000, 1e-4, 0.02);
    }

    /** beta_t linear in t from betaStart (t = 1) to betaEnd (t = T). */
    public static NoiseSchedule linear(int steps, double betaStart, double betaEnd) {
        checkSteps(steps);
        if (!(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd)) {
            throw new IllegalArgumentException(
                    "betas must satisfy 0 < betaStart <= betaEnd < 1, got "
                            + betaStart + " and " + betaEnd);
        }
        double[] b = new double[steps + 1];
        for (int t = 1; t <= steps; t++) {
            b[t] = steps == 1 ? betaStart
                    : betaStart + (betaEnd - betaStart) * (t - 1) / (steps - 1);
        }
        return new NoiseSchedule(Kind.LINEAR, steps, betaStart, betaEnd, b);
    }

    /**
     * Nichol &amp; Dhariwal (2021): alphaBar(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2),
     * s = 0.008, beta_t = 1 - alphaBar(t)/alphaBar(t-1) clipped at 0.999.
     */
    public static NoiseSchedule cosine(int steps) {
        checkSteps(steps);
        double s = 0.008;
        double[] b = new double[steps + 1];
        for (int t = 1; t <= steps; t++) {
            double ratio = cosineF((double) t / steps, s) / cosineF((double) (t - 1) / steps, s);
            b[t] = Math.min(1.0 - ratio, 0.999);
        }
        return new NoiseSchedule(Kind.COSINE, steps, b[1], b[steps], b);
    }

    /** Builds a schedule from its serialised description. */
    public static NoiseSchedule of(Kind kind, int steps, double betaStart, double betaEnd) {
        return kind == Kind.COSINE ? cosine(steps) : linear(steps, betaStart, betaEnd);
    }

    private static double cosineF(double u, double s) {
        double c = Math.cos((u + s) / (1 + s) * Math.PI / 2);
        return c * c;
    }

    private static void checkSteps(int steps) {
        if (steps < 1 || steps > 100_000) {
            throw new IllegalArgumentException("T must be in 1..100000, got " + steps);
        }
    }

    private void check(int t, int min) {
        if (t < min || t > steps) {
            throw new IllegalArgumentException(
                    "t must be in " + min + ".." + steps + ", got " + t);
        }
    }

    public Kind kind() { return kind; }

    /** T, the number of diffusion steps. */
    public int steps() { return steps; }

    public double betaStart() { return betaStart; }

    public double betaEnd() { return betaEnd; }

    /** beta_t, t in 1..T. */
    public double beta(int t) {
        check(t, 1);
        return beta[t];
    }

    /** alpha_t = 1 - beta_t. */
    public double alpha(int t) {
        return 1.0 - beta(t);
    }

    /** alphaBar_t = alpha_1 ... alpha_t; alphaBar_0 = 1. */
    public double alphaBar(int t) {
        check(t, 0);
        return alphaBar[t];
    }

    /** alphaBar_{t-1}. */
    public double alphaBarPrev(int t) {
        check(t, 1);
        return alphaBar[t - 1];
    }

    /** betaTilde_t = (1 - alphaBar_{t-1}) / (1 - alphaBar_t) * beta_t, the posterior variance. */
    public double betaTilde(int t) {
        return (1.0 - alphaBarPrev(t)) / (1.0 - alphaBar(t)) * beta(t);
    }

    /** Coefficient of x_0 in muTilde_t: sqrt(alphaBar_{t-1}) beta_t / (1 - alphaBar_t). */
    public double posteriorMeanCoefX0(int t) {
        return Math.sqrt(alphaBarPrev(t)) * beta(t) / (1.0 - alphaBar(t));
    }

    /** Coefficient of x_t in muTilde_t: sqrt(alpha_t) (1 - alphaBar_{t-1}) / (1 - alphaBar_t). */
    public double posteriorMeanCoefXt(int t) {
        return Math.sqrt(alpha(t)) * (1.0 - alphaBarPrev(t)) / (1.0 - alphaBar(t));
    }

    /** Coefficient of eps in muTilde_t's eps form: beta_t / sqrt(1 - alphaBar_t). */
    public double epsCoef(int t) {
        return beta(t) / Math.sqrt(1.0 - alphaBar(t));
    }

    /**
     * lambda_t = log(alpha_t / sigma_t) with alpha_t = sqrt(alphaBar_t), sigma_t = sqrt(1 - alphaBar_t):
     * half the log signal-to-noise ratio, the time variable of DPM-Solver (sampling.md); +infinity at t = 0.
     */
    public double lambda(int t) {
        double ab = alphaBar(t);
        return 0.5 * (Math.log(ab) - Math.log1p(-ab));
    }

    /** The noise level of Karras et al. (2022), sigma = sqrt((1 - alphaBar_t) / alphaBar_t): x_t / sqrt(alphaBar_t) = x_0 + sigma eps. */
    public double karrasSigma(int t) {
        double ab = alphaBar(t);
        return Math.sqrt((1 - ab) / ab);
    }

    /**
     * The schedule respaced to the S kept steps t_1 &lt; ... &lt; t_S (Nichol &amp; Dhariwal 2021):
     * step i of the result has alphaBar_i = alphaBar_{t_i} and beta_i = 1 - alphaBar_{t_i} /
     * alphaBar_{t_{i-1}} (alphaBar_{t_0} = 1), so that a DDPM over it jumps between the kept steps
     * with the forward process's own marginals. For sampling only: it has no description of its own.
     */
    public NoiseSchedule respaced(int[] kept) {
        if (kept.length < 1) {
            throw new IllegalArgumentException("respacing needs at least one step");
        }
        double[] b = new double[kept.length + 1];
        double prev = 1.0;
        for (int i = 0; i < kept.length; i++) {
            check(kept[i], 1);
            if (i > 0 && kept[i] <= kept[i - 1]) {
                throw new IllegalArgumentException("kept steps must increase, got " + kept[i - 1] + " then " + kept[i]);
            }
            b[i + 1] = 1.0 - alphaBar[kept[i]] / prev;
            prev = alphaBar[kept[i]];
        }
        return new NoiseSchedule(kind, kept.length, b[1], b[kept.length], b);
    }

    /** The whole schedule as CSV, one row per t = 1..T, with a header. */
    public String toCsv() {
        StringBuilder sb = new StringBuilder(
                "t,beta,alpha,alphaBar,alphaBarPrev,betaTilde,posteriorCoefX0,posteriorCoefXt,epsCoef\n");
        for (int t = 1; t <= steps; t++) {
            sb.append(t);
            for (double v : new double[] {beta(t), alpha(t), alphaBar(t), alphaBarPrev(t),
                    betaTilde(t), posteriorMeanCoefX0(t), posteriorMeanCoefXt(t), epsCoef(t)}) {
                sb.append(',').append(v);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return kind == Kind.COSINE
                ? "cosine(T=" + steps + ")"
                : "linear(T=" + steps + ", " + betaStart + " -> " + betaEnd + ")";
    }
}
