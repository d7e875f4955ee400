package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.Upsample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;

class UNetTest {

    private static UNet build(NDManager m, String preset, int c, int size, int batch) {
        UNet net = new UNet(UNetConfig.preset(preset, c), size, size);
        net.initialize(m, DataType.FLOAT32, new Shape(batch, c, size, size), new Shape(batch));
        return net;
    }

    private static NDList input(NDManager m, int batch, int c, int size) {
        NDArray x = m.randomNormal(new Shape(batch, c, size, size));
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = 37 * i + 5;
        }
        return new NDList(x, m.create(t));
    }

    @Test
    void builtParameterCountsAreExact() {
        try (NDManager m = Runtime.newManager()) {
            UNet tiny = build(m, "tiny", 1, 28, 1);
            assertEquals(163_985L, tiny.parameterCount());
            UNet mnist = build(m, "mnist", 1, 28, 1);
            assertEquals(3_939_393L, mnist.parameterCount());
            // initialise from the image shape alone
            UNet cifar = new UNet(UNetConfig.preset("cifar10", 3), 32, 32);
            cifar.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            assertEquals(35_746_307L, cifar.parameterCount());
            assertEquals(UNetConfig.preset("cifar10", 3), cifar.config());
        }
    }

    @Test
    void outputShapeEqualsInputShape() {
        try (NDManager m = Runtime.newManager()) {
            Object[][] cases = {{"tiny", 1, 28, 2}, {"mnist", 1, 28, 2}, {"cifar10", 3, 32, 1}};
            for (Object[] cs : cases) {
                String preset = (String) cs[0];
                int c = (Integer) cs[1];
                int size = (Integer) cs[2];
                int batch = (Integer) cs[3];
                try (NDManager sub = m.newSubManager()) {
                    UNet net = build(sub, preset, c, size, batch);
                    Shape expect = new Shape(batch, c, size, size);
                    assertEquals(expect, net.getOutputShapes(new Shape[] {expect, new Shape(batch)})[0]);
                    NDArray y = net.forward(new ParameterStore(sub, false), input(sub, batch, c, size), false)
                            .singletonOrThrow();
                    assertEquals(expect, y.getShape(), preset);
                    assertEquals(DataType.FLOAT32, y.getDataType());
                }
            }
        }
    }

    @Test
    void everyParameterGetsGradient() {
        Runtime.seed(1);
        try (NDManager m = Runtime.newManager()) {
            UNet net = build(m, "tiny", 1, 28, 2);
            for (Parameter p : net.getParameters().values()) {
                p.getArray().setRequiresGradient(true);
            }
            ParameterStore ps = new ParameterStore(m, false);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList in = input(m, 2, 1, 28);
                NDArray eps = m.randomNormal(new Shape(2, 1, 28, 28));
                NDArray out = net.forward(ps, in, true).singletonOrThrow();
                gc.backward(out.sub(eps).square().mean());
            }
            List<String> zero = new ArrayList<>();
            int checked = 0;
            for (Pair<String, Parameter> p : net.getParameters()) {
                double g = p.getValue().getArray().getGradient().abs().sum().getFloat();
                // The key bias adds q_i.b_k to every logit of query i: softmax is invariant to
                // that shift, so its gradient is zero in exact arithmetic (also in PyTorch).
                if (p.getKey().endsWith("k_bias")) {
                    continue;
                }
                checked++;
                if (!(g > 0)) {
                    zero.add(p.getKey());
                }
            }
            assertTrue(zero.isEmpty(), "parameters without gradient: " + zero);
            assertTrue(checked > 80, "checked " + checked);
        }
    }

    /**
     * The gradient along a random direction v over all parameters, sum(g . v), against the
     * central difference (L(theta + h v) - L(theta - h v)) / 2h of the same loss: catches a
     * wrong gradient anywhere in the network (it caught PyTorch's wrong conv_out input gradient).
     */
    @Test
    void gradientMatchesCentralDifferences() {
        gradientMatchesCentralDifferences("tiny");
        gradientMatchesCentralDifferences("mnist"); // three levels, attention at 7x7
    }

    private static void gradientMatchesCentralDifferences(String preset) {
        Runtime.seed(3);
        try (NDManager m = Runtime.newManager()) {
            UNet net = build(m, preset, 1, 28, 2);
            List<NDArray> params = new ArrayList<>();
            for (Parameter p : net.getParameters().values()) {
                p.getArray().setRequiresGradient(true);
                params.add(p.getArray());
            }
            ParameterStore ps = new ParameterStore(m, false);
            NDList in = input(m, 2, 1, 28);
            NDArray eps = m.randomNormal(new Shape(2, 1, 28, 28));
            List<NDArray> v = new ArrayList<>();
            for (NDArray p : params) {
                v.add(m.randomNormal(p.getShape()));
            }
            double analytic = 0;
            try (NDManager s = m.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(loss(net, ps, in, eps, s));
                }
                for (int i = 0; i < params.size(); i++) {
                    analytic += params.get(i).getGradient().mul(v.get(i)).sum().getFloat();
                }
            }
            double h = 1e-3;
            double[] l = new double[2];
            for (int side = 0; side < 2; side++) {
                double step = side == 0 ? h : -2 * h; // theta + h v, then theta - h v
                for (int i = 0; i < params.size(); i++) {
                    params.get(i).addi(v.get(i).mul(m.full(new Shape(), (float) step)));
                }
                try (NDManager s = m.newSubManager()) {
                    l[side] = loss(net, ps, in, eps, s).getFloat();
                }
            }
            double numeric = (l[0] - l[1]) / (2 * h);
            assertEquals(numeric, analytic, 0.01 * Math.abs(numeric),
                    preset + ": directional derivative: autograd " + analytic + ", central difference " + numeric);
        }
    }

    private static NDArray loss(UNet net, ParameterStore ps, NDList in, NDArray eps, NDManager s) {
        NDArray out = net.forward(ps, in, false).singletonOrThrow();
        NDArray loss = out.sub(eps).square().mean();
        loss.attach(s);
        return loss;
    }

    @Test
    void dropoutOnlyInTraining() {
        try (NDManager m = Runtime.newManager()) {
            UNet net = build(m, "mnist", 1, 28, 1);
            ParameterStore ps = new ParameterStore(m, false);
            NDList in = input(m, 1, 1, 28);
            float[] i1 = net.forward(ps, in, false).head().toFloatArray();
            float[] i2 = net.forward(ps, in, false).head().toFloatArray();
            assertArrayEquals(i1, i2, 0f);
            float[] t1 = net.forward(ps, in, true).head().toFloatArray();
            float[] t2 = net.forward(ps, in, true).head().toFloatArray();
            assertFalse(java.util.Arrays.equals(t1, t2), "training forwards should differ (dropout)");
        }
    }

    @Test
    void saveLoadGivesIdenticalOutputs() throws Exception {
        try (NDManager m = Runtime.newManager()) {
            UNet net = build(m, "tiny", 1, 28, 2);
            ParameterStore ps = new ParameterStore(m, false);
            NDList in = input(m, 2, 1, 28);
            float[] before = net.forward(ps, in, false).head().toFloatArray();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream os = new DataOutputStream(bytes)) {
                net.saveParameters(os);
            }
            UNetConfig config = UNetConfig.fromJson(net.config().toJson());
            UNet loaded = new UNet(config, 28, 28);
            loaded.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            float[] after = loaded.forward(new ParameterStore(m, false), in, false).head().toFloatArray();
            assertArrayEquals(before, after, 0f);
            assertEquals(163_985L, loaded.parameterCount());
            for (Parameter p : loaded.getParameters().values()) {
                assertTrue(p.getArray().hasGradient(), p.getName() + " should be trainable after load");
            }
            // parameters of another configuration are refused
            UNet other = new UNet(config.toBuilder().ch(24).build(), 28, 28);
            assertThrows(UserException.class, () -> other.loadParameters(
                    m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
        }
    }

    @Test
    void wrongInputSizeIsAUserError() {
        try (NDManager m = Runtime.newManager()) {
            UNet net = build(m, "tiny", 1, 28, 1);
            NDList in = input(m, 1, 1, 32);
            assertThrows(UserException.class, () -> net.forward(new ParameterStore(m, false), in, false));
            assertThrows(UserException.class, () -> new UNet(UNetConfig.preset("mnist", 1), 30, 30));
        }
    }

    @Test
    void nearestUpsampleRepeatsPixels() {
        try (NDManager m = Runtime.newManager()) {
            NDArray x = m.arange(4f).reshape(1, 1, 2, 2);
            NDArray y = Upsample.nearest2x(x);
            assertEquals(new Shape(1, 1, 4, 4), y.getShape());
            assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3},
                    y.toFloatArray(), 0f);
        }
    }
}
