package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.cli.serve.ModelCatalog;
import org.diffusion4j.cli.serve.WebServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Serves the local web page that explores the models (docs/serve.md). */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a web page to explore the models: draw samples and watch x_t and x0Hat as the steps run, "
                + "the forward process, a VAE's latent space, and training runs.",
            "Binds 127.0.0.1 only unless --host is given. Ctrl-C stops it.",
            "Example: diffusion4j serve",
            "         diffusion4j serve --port 0 --model runs/tiny --model models/vae-iwae.bin"})
public final class ServeCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    DeviceOption device;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}); 0 picks a free one.")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this "
            + "machine only); 0.0.0.0 serves every network the machine is on: anyone there with the printed address "
            + "(and its token) can use its CPU and read the runs, and serve says so when it starts.")
    String host;

    @Option(names = "--model", paramLabel = "PATH", description = "A DDPM or VAE model file or run folder to offer besides "
            + "the bundled ones (repeatable); a run folder also appears under Runs.")
    List<Path> modelPaths = new ArrayList<>();

    @Option(names = "--runs", paramLabel = "DIR", description = "A folder of run folders shown "
            + "under Runs, listed afresh as runs appear (default: runs, if it is there or appears).")
    Path runs;

    @Option(names = "--threads", converter = ThreadsConverter.class, defaultValue = "0", description = "PyTorch intra-op threads; 0: all cores.")
    int threads;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw new UserException("--port must be in 0..65535, got " + port);
        }
        // The default may appear later; a folder given by name must be there (a typo would show an empty list forever).
        if (runs != null && !Files.isDirectory(runs)) {
            throw new UserException("--runs " + runs + (Files.exists(runs) ? " is a file" : ": no such folder")
                    + "; give a folder of run folders (or leave --runs out)");
        }
        Path runsDir = runs != null ? runs : Path.of("runs");
        TorchRuntime.init();
        TorchRuntime.setThreads(threads);
        NDManager m = org.diffusion4j.TorchRuntime.newManager(device.require());
        ModelCatalog catalog = new ModelCatalog(m);
        List<Path> runFolders = new ArrayList<>();
        for (String bundled : List.of(BundledModels.DDPM_MNIST, BundledModels.DDPM_MNIST_COND, BundledModels.VAE_IWAE,
                BundledModels.VAE_CONV, BundledModels.VAE_CONV_PIXEL)) {
            Path p = BundledModels.directory().resolve(bundled);
            if (Files.isRegularFile(p)) {
                catalog.add(p, true);
            }
        }
        for (Path p : modelPaths) {
            if (!Files.exists(p)) {
                throw new UserException("--model " + p + ": no such file or folder");
            }
            if (Files.isDirectory(p)) {
                runFolders.add(p);
            }
            if (!Files.isDirectory(p) || Files.isRegularFile(org.diffusion4j.train.Checkpoint.fileOf(p))) {
                catalog.add(p, false);
            }
        }
        WebServer server;
        try {
            server = new WebServer(host, port, catalog, new ServeSampling(), runFolders, runsDir, m);
        } catch (IOException | UncheckedIOException e) {
            throw new UserException("cannot serve on " + host + ":" + port + " (" + e.getMessage()
                    + "); pick another --port (0: any free one)");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        if (server.exposure() != null) {
            System.err.println("diffusion4j serve: " + server.exposure());
        }
        System.out.println("diffusion4j serve: " + server.url() + " (Ctrl-C stops)");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
