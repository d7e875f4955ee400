package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Devices;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.train.TrainingTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device path on this CPU-only machine: an explicit CPU device passed everywhere, every array
 * of a training step and a sampling step made under the model's manager on its device, a result
 * asked for in another manager copied there, and a GPU refused in one line saying how to get one.
 */
class DeviceTest {
    private static final DdpmSpec SPEC = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 8, 8, NoiseSchedule.ddpm(), LossType.L2);
    private static final SamplerSettings SDE = SamplerSettings.of(SamplerSettings.Kind.DPMPP_2M_SDE).withSteps(3).withEta(1.1);

    @Test
    void namesOfDevices() {
        assertEquals(Device.cpu(), Devices.parse("cpu"));
        assertEquals(Device.gpu(0), Devices.parse("gpu"));
        assertEquals(Device.gpu(3), Devices.parse("gpu:3"));
        assertEquals(Device.gpu(1), Devices.parse("CUDA:1"));
        assertEquals("gpu:3", Devices.name(Devices.parse("gpu:3")));
        assertEquals("cpu", Devices.name(Device.cpu()));
        for (String bad : new String[] {"tpu", "gpu:", "gpu:-1", "gpu:x", "", "gpu0", "gpu:99999999999"}) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Devices.parse(bad), bad);
            assertTrue(e.getMessage().contains("cpu, gpu or gpu:K"), e.getMessage());
        }
    }

    /** This machine's PyTorch is the CPU build: a GPU is refused in one line that says how to get a CUDA build. */
    @Test
    void aGpuWithoutCudaIsRefusedInOneLine(@TempDir Path dir) {
        assumeFalse(Devices.cudaBuild(), "a CUDA build of PyTorch is loaded");
        List<UserException> refusals = new ArrayList<>();
        refusals.add(assertThrows(UserException.class, () -> Devices.require(Device.gpu())));
        refusals.add(assertThrows(UserException.class, () -> TorchRuntime.newManager(Device.gpu(1))));
        refusals.add(assertThrows(UserException.class, () -> Ddpm.create(SPEC, Device.gpu(), 0)));
        Path file = dir.resolve("m.safetensors");
        try (Ddpm d = Ddpm.create(SPEC, Device.cpu(), 0)) {
            d.save(file);
        }
        refusals.add(assertThrows(UserException.class, () -> Ddpm.load(file, Device.gpu(0))));
        refusals.add(assertThrows(UserException.class, () -> DdpmTraining.of(SPEC).device(Device.gpu())
                .data(new org.diffusion4j.data.DataSet("zeros", new float[64], 1, new long[] {1, 8, 8})).steps(1).batchSize(1).run()));
        for (UserException e : refusals) {
            String m = e.getMessage();
            assertFalse(m.contains("\n"), m);
            assertTrue(m.contains("no CUDA") && m.contains("PyTorch 2.7.1") && m.contains("PYTORCH_LIBRARY_PATH")
                    && m.contains("-Pgpu") && m.contains("PYTORCH_FLAVOR=cu128"), m);
        }
        assertTrue(refusals.get(1).getMessage().startsWith("device gpu:1: "), refusals.get(1).getMessage());
    }

    /**
     * Every array alive during a sampling step lies under the model's manager, on its device; the
     * result asked for in another root manager is there, with the numbers of a default request.
     */
    @Test
    void samplingStepsLiveOnTheModelsDevice() {
        Device cpu = Device.cpu();
        try (Ddpm ddpm = Ddpm.create(SPEC, cpu, 5); NDManager other = TorchRuntime.newManager(cpu)) {
            assertEquals(cpu, ddpm.device());
            int[] checked = {0};
            NDArray x = ddpm.sampling(3).batch(2).chunk(2).sampler(SDE).seed(7).manager(other).listener((i, count, t, xt, x0) -> {
                assertTrue(under(xt.getManager(), ddpm.manager()), "x_t is made outside the model's manager: " + xt.getManager());
                assertTrue(under(x0.getManager(), ddpm.manager()), "x0 is made outside the model's manager");
                Devices.checkAllOn(ddpm.manager(), ddpm.device());
                checked[0]++;
            }).draw();
            assertEquals(2 * 3, checked[0]);
            assertSame(other, x.getManager());
            assertEquals(cpu, x.getDevice());
            float[] expected = ddpm.sampling(3).batch(2).chunk(2).sampler(SDE).seed(7).draw().toFloatArray();
            assertArrayEquals(expected, x.toFloatArray());
        }
    }

    /** The model, the trainer's moments and EMA, and every array of a training step live on the model's device. */
    @Test
    void trainingStepsLiveOnTheModelsDevice() {
        Device cpu = Device.cpu();
        try (NDManager parent = TorchRuntime.newManager(cpu); Ddpm ddpm = Ddpm.create(SPEC, cpu, 1)) {
            NDManager[] step = new NDManager[1];
            BatchSource data = (s, m) -> {
                assertEquals(cpu, m.getDevice());
                step[0] = m;
                return new Batch(m.randomUniform(-1f, 1f, new Shape(4, 1, 8, 8)), null);
            };
            TrainingTask inner = new DdpmTask(ddpm, 0.0);
            int[] losses = {0};
            TrainingTask task = new TrainingTask() {
                @Override
                public String kind() {
                    return inner.kind();
                }

                @Override
                public Block model() {
                    return inner.model();
                }

                @Override
                public NDArray loss(Batch batch) {
                    NDArray loss = inner.loss(batch);
                    assertTrue(under(loss.getManager(), step[0]), "the loss is made outside the step's manager");
                    Devices.checkAllOn(step[0], cpu);
                    Devices.checkAllOn(ddpm.manager(), cpu);
                    losses[0]++;
                    return loss;
                }

                @Override
                public String describe() {
                    return inner.describe();
                }
            };
            TrainConfig c = TrainConfig.builder().steps(2).batchSize(4).sampleEvery(0).build();
            try (Trainer t = new Trainer(task, data, c, parent)) {
                assertEquals(cpu, t.device());
                t.run();
                assertEquals(2, losses[0]);
                assertTrue(under(step[0], parent), "the step's manager is not the trainer's");
                Devices.checkAllOn(parent, cpu);
                assertEquals("cpu", JsonParser.parseString(t.header()).getAsJsonObject().get("device").getAsString());
            }
        }
    }

    private static boolean under(NDManager m, NDManager ancestor) {
        for (NDManager p = m; p != null; p = p.getParentManager()) {
            if (p == ancestor) {
                return true;
            }
        }
        return false;
    }
}
