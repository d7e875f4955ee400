package org.diffusion4j.cli;

import org.diffusion4j.diffusion.SamplerSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.diffusion4j.diffusion.DdpmSampler.Variance;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.nn.Precision;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Choice options are enums: one spelling per concept, old spellings still read, candidates in the help. */
class ChoiceOptionsTest {
    private static <T> T parse(T command, String... args) {
        Main.configure(new CommandLine(command), new PrintWriter(new StringWriter())).parseArgs(args);
        return command;
    }

    @Test
    void sampleAndEvalNllNameTheVarianceAlike() {
        assertEquals(Variance.BETA_TILDE, parse(new SampleCommand()).variance);
        assertEquals(Variance.BETA_TILDE, parse(new EvalNllCommand()).variance);
        for (String beta : new String[] {"beta", "BETA", "large"}) {
            assertEquals(Variance.BETA, parse(new SampleCommand(), "--variance", beta).variance, beta);
            assertEquals(Variance.BETA, parse(new EvalNllCommand(), "--variance", beta).variance, beta);
        }
        for (String tilde : new String[] {"beta-tilde", "betatilde", "BETA_TILDE", "small"}) {
            assertEquals(Variance.BETA_TILDE, parse(new SampleCommand(), "--variance", tilde).variance, tilde);
            assertEquals(Variance.BETA_TILDE, parse(new EvalNllCommand(), "--variance", tilde).variance, tilde);
        }
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(err, true), "eval", "nll", "--variance", "medium");
        assertEquals(Main.EXIT_USER_ERROR, code);
        assertTrue(err.toString().contains("expected beta-tilde or beta"), err.toString());
    }

    @Test
    void otherChoicesParseInAnyCase() {
        SampleCommand s = parse(new SampleCommand(), "--sampler", "DDIM", "--precision", "FP16");
        assertEquals(SamplerSettings.Kind.DDIM, s.sampler);
        assertEquals(Precision.FP16, s.precision);
        assertEquals(Precision.FP32, parse(new SampleCommand()).precision);
        assertEquals(SamplerSettings.Kind.DDPM, parse(new EvalPointsCommand()).sampler);
        for (String dpm : new String[] {"dpm++2m", "DPM++2M", "dpmpp2m", "dpm-solver++"}) {
            assertEquals(SamplerSettings.Kind.DPMPP_2M, parse(new SampleCommand(), "--sampler", dpm).sampler, dpm);
            assertEquals(SamplerSettings.Kind.DPMPP_2M, parse(new EvalPointsCommand(), "--sampler", dpm).sampler, dpm);
        }
        for (String sde : new String[] {"dpm++2m-sde", "DPM++2M-SDE", "dpmpp2m-sde", "sde-dpm-solver++"}) {
            assertEquals(SamplerSettings.Kind.DPMPP_2M_SDE, parse(new SampleCommand(), "--sampler", sde).sampler, sde);
        }
        SampleCommand heun = parse(new SampleCommand(), "--sampler", "heun", "--steps", "10", "--spacing", "KARRAS");
        assertEquals(SamplerSettings.Kind.HEUN, heun.sampler);
        assertEquals(10, heun.steps);
        assertEquals(org.diffusion4j.diffusion.Timesteps.Spacing.KARRAS, heun.spacing);
        assertEquals(null, parse(new SampleCommand()).steps, "each sampler has its own default steps");
        assertEquals(NoiseSchedule.Kind.COSINE, parse(new ScheduleCommand(), "--schedule", "cosine").schedule.kind);
        assertEquals(NoiseSchedule.Kind.LINEAR, parse(new ScheduleCommand()).schedule.kind);
    }

    @Test
    void helpListsTheCandidatesInTheirTextSpelling() {
        // Whitespace folded: a list may wrap onto the next line of the help.
        String sample = new CommandLine(new SampleCommand()).getUsageMessage().replaceAll("\\s+", " ");
        assertTrue(sample.contains("beta-tilde, beta"), sample);
        assertTrue(sample.contains("ddpm, ddim, dpm++2m, dpm++2m-sde, heun"), sample);
        assertTrue(sample.contains("linspace, trailing, logsnr, karras"), sample);
        assertTrue(sample.contains("fp32, fp16, bf16"), sample);
        String nll = new CommandLine(new EvalNllCommand()).getUsageMessage();
        assertTrue(nll.contains("beta-tilde, beta"), nll);
        assertTrue(new CommandLine(new ScheduleCommand()).getUsageMessage().contains("linear, cosine"));
    }
}
