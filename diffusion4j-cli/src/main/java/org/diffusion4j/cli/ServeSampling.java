package org.diffusion4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.cli.serve.DrawOptions;
import org.diffusion4j.cli.serve.HttpError;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.nn.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The Draw view's options are the 'sample' command's own: its picocli options (minus those about
 * files, batches and threads) become the page's controls, and a request's values are parsed by
 * the same picocli model and turned into a sampler by the same code, so a sampler or an option
 * added to 'sample' appears on the page with no change here or in the page.
 */
final class ServeSampling implements DrawOptions {
    /** Options of 'sample' the page does not offer: the model is picked separately, outputs are downloads. */
    static final Set<String> NOT_SERVED = Set.of("--run", "--batch", "--raw", "--out", "--each", "--npy", "--trajectory",
            "--gif", "--threads", "--help", "--version");

    private static List<OptionSpec> served(CommandLine cl) {
        List<OptionSpec> out = new ArrayList<>();
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (!NOT_SERVED.contains(o.longestName()) && o.longestName().startsWith("--")) {
                out.add(o);
            }
        }
        return out;
    }

    @Override
    public List<Option> options() {
        List<Option> out = new ArrayList<>();
        for (OptionSpec o : served(new CommandLine(new SampleCommand()))) {
            List<String> choices = new ArrayList<>();
            if (o.completionCandidates() != null) {
                o.completionCandidates().forEach(choices::add);
            }
            Class<?> t = o.type();
            String all = String.join(", ", choices);
            if (t == Precision.class) {
                // offered only where this build computes in it: bf16 is always refused
                choices.removeIf(c -> !supported(c));
            }
            String type = t == boolean.class || t == Boolean.class ? "boolean"
                    : !choices.isEmpty() ? "choice"
                    : t == int.class || t == Integer.class || t == long.class || t == Long.class ? "integer"
                    : t == double.class || t == Double.class || t == float.class || t == Float.class ? "number" : "text";
            String help = String.join(" ", o.description())
                    .replace("${DEFAULT-VALUE}", String.valueOf(o.defaultValue()))
                    .replace("${COMPLETION-CANDIDATES}", String.join(", ", choices))
                    .replace(all.isEmpty() ? "${COMPLETION-CANDIDATES}" : all, String.join(", ", choices))
                    .replace("; bf16 is refused", "");
            out.add(new Option(o.longestName().substring(2), type, choices, o.defaultValue(), help));
        }
        return out;
    }

    private static boolean supported(String precision) {
        try {
            Precision.valueOf(precision.toUpperCase(java.util.Locale.ROOT)).requireSupported();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public Draw prepare(Ddpm ddpm, Path source, Map<String, String> values) {
        SampleCommand c = new SampleCommand();
        CommandLine cl = new CommandLine(c);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        List<OptionSpec> served = served(cl);
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            OptionSpec o = served.stream().filter(s -> s.longestName().equals("--" + e.getKey())).findFirst()
                    .orElseThrow(() -> HttpError.badRequest("unknown parameter '" + e.getKey() + "'; GET /api/options lists them"));
            String v = e.getValue().trim();
            if (o.type() == boolean.class || o.type() == Boolean.class) {
                if (!v.equals("true") && !v.equals("false")) {
                    throw HttpError.badRequest("parameter '" + e.getKey() + "' must be true or false, got '" + v + "'");
                }
                if (o.negatable()) {
                    args.add(v.equals("true") ? o.longestName() : "--no-" + o.longestName().substring(2));
                } else if (v.equals("true")) {
                    args.add(o.longestName());
                }
            } else {
                args.add(o.longestName() + "=" + v);
            }
        }
        try {
            cl.parseArgs(args.toArray(new String[0]));
        } catch (CommandLine.ParameterException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        c.run = source;
        SamplerChoice.Built built = c.sampler(ddpm, source == null);
        Sampler s = built.sampler();
        Ddpm.Guide guide = c.conditional.guide(ddpm, c.n);
        return new Draw(c.n, c.seed, s, c.precision.requireSupported(), built.description() + ", " + s.networkCalls()
                + " network calls, seed " + c.seed + ConditionalSampling.describe(guide), guide);
    }
}
