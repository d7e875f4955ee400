package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's headless Chromium for the page tests: found on the PATH, else installed with apt-get
 * (as root, or with password-less sudo); where neither works the test is skipped, saying why.
 */
final class Chromium {
    private static String path;
    private static String why;

    private Chromium() {}

    /** The chromium binary; skips the calling test (JUnit assumption) when there is none. */
    static synchronized String require() {
        if (path == null && why == null) {
            path = find();
            if (path == null) {
                why = install();
                path = find();
            }
        }
        assumeTrue(path != null, "headless Chromium is not installed and could not be installed (" + why
                + "); install Debian's package: apt-get install -y chromium");
        return path;
    }

    private static String find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return null;
    }

    private static String install() {
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> cmd = new ArrayList<>(root ? List.of() : List.of("sudo", "-n"));
        cmd.addAll(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "chromium"));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return "apt-get took too long";
            }
            return p.exitValue() == 0 ? "installed" : String.join(" ", cmd) + " failed: "
                    + out.strip().lines().reduce((a, b) -> b).orElse("");
        } catch (IOException e) {
            return String.join(" ", cmd) + " could not start: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Loads {@code url} headless and returns the DOM once the page is idle or {@code budgetMillis} of
     * virtual time have passed (Chromium's virtual time waits for the network, so a page that
     * streams a job's events is dumped after the job ends).
     */
    static String dumpDom(String url, int budgetMillis) throws IOException, InterruptedException {
        return run(List.of("--dump-dom", url), budgetMillis);
    }

    /** Saves a PNG screenshot of {@code url} at the given window size. */
    static void screenshot(String url, Path png, int width, int height, int budgetMillis) throws IOException, InterruptedException {
        run(List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height, url), budgetMillis);
    }

    private static String run(List<String> args, int budgetMillis) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("diffusion4j-chromium");
        List<String> cmd = new ArrayList<>(List.of(require(), "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=" + budgetMillis));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish");
        }
        return out;
    }
}
