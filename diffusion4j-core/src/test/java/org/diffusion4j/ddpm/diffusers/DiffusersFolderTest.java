package org.diffusion4j.ddpm.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export to and import from diffusers' DDPMPipeline layout (docs/diffusers.md): the keys against a
 * fixture derived from diffusers' own source, round trips that must give the very same outputs,
 * and damaged folders that must fail with one line naming the key.
 */
class DiffusersFolderTest {
    @TempDir
    Path tmp;

    /** A small U-Net with everything that maps: attention, 1x1 shortcuts, non-square images, eps 1e-6. */
    static DdpmSpec small() {
        UNetConfig c = UNetConfig.builder().inChannels(2).outChannels(2).ch(8).chMult(1, 2, 2).numResBlocks(1)
                .attnResolutions(8).dropout(0.1f).groups(4).normEps(1e-6f).build();
        return DdpmSpec.unet(c, 2, 16, 12, NoiseSchedule.cosine(50), LossType.L1);
    }

    /** eps of the network on a fixed input and fixed steps. */
    private static float[] outputs(Ddpm d, NDManager m) {
        long[] row = d.spec().rowShape();
        int n = 2;
        float[] x = new float[(int) (n * row[0] * row[1] * row[2])];
        Random r = new Random(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int last = d.spec().schedule().steps() - 1;
        NDList in = new NDList(m.create(x, d.spec().batchShape(n)), m.create(new float[] {0, last}, new Shape(n)));
        return d.network().forward(new ParameterStore(m, false), in, false).singletonOrThrow().toFloatArray();
    }

    @Test
    void roundTripGivesIdenticalOutputs() throws IOException {
        try (NDManager m = Runtime.newManager(); Ddpm a = Ddpm.create(small(), m, 11)) {
            Path dir = tmp.resolve("pipe");
            DiffusersFolder.export(a, dir);
            for (String f : List.of("model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                    "scheduler/scheduler_config.json")) {
                assertTrue(Files.isRegularFile(dir.resolve(f)), f);
            }
            assertTrue(DiffusersFolder.isDiffusersFolder(dir));
            String config = Files.readString(dir.resolve("unet/config.json"));
            assertTrue(config.contains("\"sample_size\": [\n    16,\n    12\n  ]"), config);
            assertTrue(config.contains("\"norm_eps\": 1.0E-6"), config);
            assertTrue(config.contains("\"down_block_types\": [\n    \"DownBlock2D\",\n    \"AttnDownBlock2D\",\n"
                    + "    \"DownBlock2D\"\n  ]"), config);
            assertTrue(config.contains("\"up_block_types\": [\n    \"UpBlock2D\",\n    \"AttnUpBlock2D\",\n"
                    + "    \"UpBlock2D\"\n  ]"), config);
            assertTrue(config.contains("\"attention_head_dim\": null"), config);
            assertTrue(Files.readString(dir.resolve("scheduler/scheduler_config.json"))
                    .contains("\"beta_schedule\": \"squaredcos_cap_v2\""));
            assertEquals(Map.of("format", "pt"),
                    SafeTensors.read(dir.resolve("unet/diffusion_pytorch_model.safetensors")).metadata());
            try (Ddpm b = DiffusersFolder.load(dir, m)) {
                assertEquals(a.spec(), b.spec());
                assertArrayEquals(outputs(a, m), outputs(b, m));
                // and back out: the same bytes
                Path again = tmp.resolve("again");
                DiffusersFolder.export(b, again);
                assertArrayEquals(Files.readAllBytes(dir.resolve("unet/diffusion_pytorch_model.safetensors")),
                        Files.readAllBytes(again.resolve("unet/diffusion_pytorch_model.safetensors")));
            }
            // a bare UNet2DModel folder, with the scheduler found in ../scheduler
            try (Ddpm c = DiffusersFolder.load(dir.resolve("unet"), m)) {
                assertEquals(a.spec(), c.spec());
            }
        }
    }

    /** The weights are the network's own: a diffusers key holds our parameter's numbers, reshaped. */
    @Test
    void keysCarryTheRightParameters() {
        try (NDManager m = Runtime.newManager(); Ddpm a = Ddpm.create(small(), m, 3)) {
            Path dir = tmp.resolve("p");
            DiffusersFolder.export(a, dir);
            Map<String, SafeTensors.Tensor> t = SafeTensors.read(dir.resolve("unet/" + DiffusersFolder.WEIGHTS)).tensors();
            Map<String, NDArray> ours = new LinkedHashMap<>();
            a.network().getParameters().forEach(p -> ours.put(DiffusersKeys.canonical(p.getKey()), p.getValue().getArray()));
            assertTrue(ours.containsKey("temb_dense0_weight"), ours.keySet().toString());
            String[][] pairs = {{"temb_dense0_weight", "time_embedding.linear_1.weight"},
                {"down1_attn0_q_weight", "down_blocks.1.attentions.0.to_q.weight"},
                {"down1_attn0_proj_out_bias", "down_blocks.1.attentions.0.to_out.0.bias"},
                {"up0_res1_nin_shortcut_weight", "up_blocks.2.resnets.1.conv_shortcut.weight"},
                {"up2_res0_norm1_gamma", "up_blocks.0.resnets.0.norm2.weight"},
                {"mid_res1_conv0_weight", "mid_block.resnets.1.conv1.weight"},
                {"up1_upsample_conv_weight", "up_blocks.1.upsamplers.0.conv.weight"},
                {"norm_out_beta", "conv_norm_out.bias"}};
            for (String[] p : pairs) {
                assertArrayEquals(ours.get(p[0]).toFloatArray(), t.get(p[1]).toFloats(), p[1]);
            }
            assertArrayEquals(new long[] {16, 16}, t.get("down_blocks.1.attentions.0.to_q.weight").shape());
        }
    }

    /**
     * The cifar10 preset exports to exactly the keys and shapes of google/ddpm-cifar10-32, as listed
     * by the fixture written from diffusers' source, and imports back to the same outputs.
     */
    @Test
    void cifar10MatchesTheFixtureAndRoundTrips() throws IOException {
        Map<String, List<Long>> fixture = fixture();
        long fixtureParams = fixture.values().stream()
                .mapToLong(s -> s.stream().reduce(1L, (x, y) -> x * y)).sum();
        assertEquals(328, fixture.size());
        assertEquals(35_746_307L, fixtureParams);
        DdpmSpec spec = DdpmSpec.unet(UNetConfig.preset("cifar10", 3), 3, 32, 32, NoiseSchedule.ddpm(), LossType.L2);
        try (NDManager m = Runtime.newManager(); Ddpm a = Ddpm.create(spec, m, 5)) {
            Path dir = tmp.resolve("cifar10");
            DiffusersFolder.export(a, dir);
            Map<String, SafeTensors.Tensor> t = SafeTensors.read(dir.resolve("unet/" + DiffusersFolder.WEIGHTS)).tensors();
            TreeSet<String> missing = new TreeSet<>(fixture.keySet());
            missing.removeAll(t.keySet());
            TreeSet<String> extra = new TreeSet<>(t.keySet());
            extra.removeAll(fixture.keySet());
            assertTrue(missing.isEmpty(), "missing: " + missing);
            assertTrue(extra.isEmpty(), "extra: " + extra);
            long params = 0;
            for (Map.Entry<String, List<Long>> e : fixture.entrySet()) {
                long[] shape = t.get(e.getKey()).shape();
                assertEquals(e.getValue(), Arrays.stream(shape).boxed().toList(), e.getKey());
                params += t.get(e.getKey()).elementCount();
            }
            assertEquals(35_746_307L, params);
            try (Ddpm b = DiffusersFolder.load(dir, m)) {
                assertEquals(spec, b.spec());
                assertArrayEquals(outputs(a, m), outputs(b, m));
            }
        }
    }

    /** key -> shape, from src/test/resources/diffusers/ddpm-cifar10-32-keys.txt. */
    private static Map<String, List<Long>> fixture() throws IOException {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        try (InputStream in = DiffusersFolderTest.class.getResourceAsStream("/diffusers/ddpm-cifar10-32-keys.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] kv = line.split("\t");
                List<Long> shape = new ArrayList<>();
                for (String d : kv[1].split(",")) {
                    shape.add(Long.parseLong(d));
                }
                assertTrue(out.put(kv[0], shape) == null, "duplicate " + kv[0]);
            }
        }
        return out;
    }

    // ----------------------------------------------------------------------------- bad folders

    /** A copy of an exported folder with its weights changed by {@code edit}; the one-line error of loading it. */
    private String loadError(Path dir, String name, UnaryOperator<Map<String, SafeTensors.Tensor>> edit) throws IOException {
        Path copy = copyOf(dir, name);
        Path w = copy.resolve("unet/" + DiffusersFolder.WEIGHTS);
        SafeTensors.write(w, edit.apply(new LinkedHashMap<>(SafeTensors.read(w).tensors())), Map.of("format", "pt"));
        return error(copy);
    }

    private String configError(Path dir, String name, String from, String to) throws IOException {
        Path copy = copyOf(dir, name);
        Path c = copy.resolve("unet/config.json");
        String text = Files.readString(c);
        assertTrue(text.contains(from), from);
        Files.writeString(c, text.replace(from, to));
        return error(copy);
    }

    private static String error(Path dir) {
        try (NDManager m = Runtime.newManager()) {
            UserException e = assertThrows(UserException.class, () -> DiffusersFolder.load(dir, m).close());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            return e.getMessage();
        }
    }

    private Path copyOf(Path dir, String name) throws IOException {
        Path copy = tmp.resolve(name);
        for (String f : List.of("model_index.json", "unet/config.json", "unet/" + DiffusersFolder.WEIGHTS,
                "scheduler/scheduler_config.json")) {
            Files.createDirectories(copy.resolve(f).getParent());
            Files.copy(dir.resolve(f), copy.resolve(f));
        }
        return copy;
    }

    private static void assertContains(String message, String part) {
        assertTrue(message.contains(part), message);
    }

    @Test
    void damagedFoldersFailWithOneLineNamingTheKey() throws IOException {
        Path dir = tmp.resolve("good");
        try (NDManager m = Runtime.newManager(); Ddpm a = Ddpm.create(small(), m, 1)) {
            DiffusersFolder.export(a, dir);
        }
        String key = "mid_block.resnets.0.conv1.weight";
        String renamed = loadError(dir, "renamed", t -> {
            t.put("mid_block.resnets.0.conv_1.weight", t.remove(key));
            return t;
        });
        assertTrue(renamed.contains("key " + key + " [16, 16, 3, 3] is missing (the file has"
                + " mid_block.resnets.0.conv_1.weight instead)"), renamed);
        String missing = loadError(dir, "missing", t -> {
            t.remove("down_blocks.1.attentions.0.to_k.bias");
            return t;
        });
        assertTrue(missing.contains("key down_blocks.1.attentions.0.to_k.bias [16] is missing;"), missing);
        String extra = loadError(dir, "extra", t -> {
            t.put("class_embedding.weight", SafeTensors.Tensor.ofFloats(new long[] {2}, new float[2]));
            return t;
        });
        assertTrue(extra.contains("key class_embedding.weight [2] has no counterpart"), extra);
        String shape = loadError(dir, "shape", t -> {
            t.put("conv_out.weight", SafeTensors.Tensor.ofFloats(new long[] {2, 8, 1, 1}, new float[16]));
            return t;
        });
        assertTrue(shape.contains("key conv_out.weight has shape [2, 8, 1, 1] but config.json makes it [2, 8, 3, 3]"),
                shape);
        String nan = loadError(dir, "nan", t -> {
            float[] v = t.get("conv_in.bias").toFloats();
            v[3] = Float.NaN;
            t.put("conv_in.bias", SafeTensors.Tensor.ofFloats(new long[] {8}, v));
            return t;
        });
        assertTrue(nan.contains("key conv_in.bias holds NaN"), nan);

        assertContains(configError(dir, "flip", "\"flip_sin_to_cos\": false", "\"flip_sin_to_cos\": true"), "flip_sin_to_cos = true cannot be imported");
        assertContains(configError(dir, "pad", "\"downsample_padding\": 1", "\"downsample_padding\": 0"), "downsample_padding = 0 cannot be imported");
        assertContains(configError(dir, "heads", "\"attention_head_dim\": null,", ""), "attention_head_dim = absent (diffusers' default 8) cannot be imported");
        assertContains(configError(dir, "block", "\"AttnDownBlock2D\"", "\"CrossAttnDownBlock2D\""), "down_block_types contains \"CrossAttnDownBlock2D\", which cannot be imported");
        assertContains(configError(dir, "unknown", "\"add_attention\": true,", "\"add_attention\": true, \"use_fancy\": 3,"), "use_fancy = 3 cannot be imported");
        assertContains(error(tmp.resolve("nowhere")), "no such file");
        // issue 47: the true reason for out_channels = 2 in_channels, and the way to a folder without its index
        assertContains(configError(dir, "learned", "\"out_channels\": 2", "\"out_channels\": 4"),
                "out_channels = 4 cannot be imported: twice in_channels is a network that also predicts its variances");
        Path noIndex = copyOf(dir, "noindex");
        Files.delete(noIndex.resolve(DiffusersFolder.MODEL_INDEX));
        assertTrue(DiffusersFolder.isDiffusersFolder(noIndex));
        assertContains(error(noIndex), "but its unet folder is a UNet2DModel: give " + noIndex.resolve("unet"));
        assertFalse(Files.readString(dir.resolve("unet/config.json")).contains("mid_block_type"),
                "diffusers before 0.33 warns about mid_block_type");
    }

    /** diffusers before 0.14 named the attention layers query, key, value and proj_attn. */
    @Test
    void legacyAttentionNamesLoad() throws IOException {
        try (NDManager m = Runtime.newManager(); Ddpm a = Ddpm.create(small(), m, 2)) {
            Path dir = tmp.resolve("new");
            DiffusersFolder.export(a, dir);
            Path old = copyOf(dir, "old");
            Path w = old.resolve("unet/" + DiffusersFolder.WEIGHTS);
            Map<String, SafeTensors.Tensor> renamed = new LinkedHashMap<>();
            SafeTensors.read(w).tensors().forEach((k, v) -> renamed.put(k.replace(".to_q.", ".query.")
                    .replace(".to_k.", ".key.").replace(".to_v.", ".value.").replace(".to_out.0.", ".proj_attn."), v));
            assertTrue(renamed.containsKey("mid_block.attentions.0.proj_attn.weight"));
            SafeTensors.write(w, renamed, Map.of("format", "pt"));
            try (Ddpm b = DiffusersFolder.load(old, m)) {
                assertArrayEquals(outputs(a, m), outputs(b, m));
            }
        }
    }

    @Test
    void whatDiffusersCannotExpressIsRefused() {
        UNetConfig wideStart = UNetConfig.builder().ch(8).chMult(2, 2).numResBlocks(1).attnResolutions().groups(4).build();
        UserException e = assertThrows(UserException.class, () -> DiffusersKeys.of(wideStart, 8, 8));
        assertTrue(e.getMessage().startsWith("chMult 2,2 cannot be exported to diffusers"), e.getMessage());
        try (NDManager m = Runtime.newManager(); Ddpm mlp = Ddpm.create(DdpmSpec.mlp(
                new org.diffusion4j.ddpm.net.MlpDenoiser.Config(2, 16, 2, 16), NoiseSchedule.linear(10, 1e-4, 0.02),
                LossType.L2), m, 0)) {
            UserException f = assertThrows(UserException.class, () -> DiffusersFolder.export(mlp, tmp.resolve("mlp")));
            assertTrue(f.getMessage().startsWith("only U-Net (image) DDPMs"), f.getMessage());
        }
    }

    /** A run folder has a config.json of its own: not a diffusers folder. */
    @Test
    void runFoldersAreNotDiffusersFolders() throws IOException {
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("config.json"), "{\"kind\": \"ddpm\", \"model\": {}}");
        assertFalse(DiffusersFolder.isDiffusersFolder(run));
        Files.writeString(run.resolve("config.json"), "{\"_class_name\": \"UNet2DModel\"}");
        assertTrue(DiffusersFolder.isDiffusersFolder(run));
        assertFalse(DiffusersFolder.isDiffusersFolder(run.resolve("config.json")));
    }

    @Test
    void canonicalNamesDropDjlOrdinals() {
        assertEquals("down0_res0_norm0_gamma", DiffusersKeys.canonical("03down0_res0_01norm0_gamma"));
        assertEquals("conv_in_weight", DiffusersKeys.canonical("02conv_in_weight"));
        assertEquals("up1_upsample_conv_bias", DiffusersKeys.canonical("104up1_upsample_01conv_bias"));
    }
}
