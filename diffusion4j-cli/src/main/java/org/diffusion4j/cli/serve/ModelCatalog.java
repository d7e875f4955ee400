package org.diffusion4j.cli.serve;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.UserException;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.vae.Vae;

/**
 * The models the page offers, by id: DDPMs and VAEs from files or run folders, loaded on first use
 * (EMA weights) and kept, or built in memory. Closing the catalog frees them all.
 */
public final class ModelCatalog implements AutoCloseable {
    /** What the page knows of a model before it is loaded. */
    public record Entry(String id, String label, String kind, Path source, boolean bundled) {}

    private final NDManager root;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, AutoCloseable> loaded = new LinkedHashMap<>();

    public ModelCatalog(NDManager parent) {
        this.root = parent.newSubManager();
    }

    /**
     * Adds a model file or run folder; its kind (ddpm or vae) is read from the checkpoint.
     * Returns its id: the file or folder name, made unique.
     */
    public synchronized String add(Path source, boolean bundled) {
        Path file = Checkpoint.fileOf(source);
        if (!Files.isRegularFile(file)) {
            throw new UserException(source + ": no model file there (a run folder needs its checkpoint.bin); train or export one first");
        }
        String kind;
        boolean latent;
        try (NDManager tmp = root.newSubManager()) {
            Checkpoint c = Checkpoint.read(file, tmp);
            kind = c.kind();
            latent = com.google.gson.JsonParser.parseString(c.modelJson()).getAsJsonObject().has(LatentSpace.SECTION);
        }
        if (!Ddpm.KIND.equals(kind) && !Vae.KIND.equals(kind)) {
            throw new UserException(source + ": a " + kind + " model; the page shows DDPMs and VAEs only");
        }
        if (latent) {
            // its x_t and x0Hat are latents: the live view would show them as images
            throw new UserException(source + ": a latent DDPM (train --minutes on images, or --latent); the page does not "
                    + "decode latents yet: draw from it with sample --run " + source);
        }
        String name = source.getFileName().toString().replaceFirst("\\.(bin|safetensors)$", "");
        String id = unique(name.replaceAll("[^A-Za-z0-9._-]", "_"));
        entries.put(id, new Entry(id, (bundled ? "bundled: " : "") + name, kind, source, bundled));
        return id;
    }

    /** Adds a DDPM built in memory (tests, examples); the catalog closes it. */
    public synchronized void add(String id, Ddpm model) {
        entries.put(id, new Entry(id, id, Ddpm.KIND, null, false));
        loaded.put(id, model);
    }

    /** Adds a VAE built in memory; the catalog closes it. */
    public synchronized void add(String id, Vae model) {
        entries.put(id, new Entry(id, id, Vae.KIND, null, false));
        loaded.put(id, model);
    }

    private String unique(String base) {
        String id = base;
        for (int i = 2; entries.containsKey(id); i++) {
            id = base + "-" + i;
        }
        return id;
    }

    public synchronized List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    public synchronized Entry entry(String id, String kind) {
        Entry e = entries.get(id);
        if (e == null || !e.kind().equals(kind)) {
            throw HttpError.badRequest("no " + kind + " model '" + id + "'; GET /api/models lists them");
        }
        return e;
    }

    public Ddpm ddpm(String id) {
        return (Ddpm) load(entry(id, Ddpm.KIND));
    }

    public Vae vae(String id) {
        return (Vae) load(entry(id, Vae.KIND));
    }

    private synchronized AutoCloseable load(Entry e) {
        return loaded.computeIfAbsent(e.id(), k -> Ddpm.KIND.equals(e.kind())
                ? Ddpm.load(e.source(), true, root) : Vae.load(e.source(), true, root));
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable m : loaded.values()) {
            try {
                m.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
        loaded.clear();
        root.close();
    }
}
