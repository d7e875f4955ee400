package org.diffusion4j.ddpm.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.List;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

/** The class-conditional U-Net: its parameters, and a zero class embedding leaving the function unchanged. */
class ConditionalUNetTest {
    static final int K = 4;

    private static UNet build(NDManager m, UNetConfig c, long seed) {
        Runtime.seed(seed);
        UNet net = new UNet(c, 28, 28);
        net.initialize(m, DataType.FLOAT32, new Shape(2, 1, 28, 28), new Shape(2));
        return net;
    }

    private static UNetConfig tiny(int classes) {
        return UNetConfig.preset("tiny", 1).toBuilder().numClasses(classes).build();
    }

    /** Copies every parameter of {@code from} into the parameter of the same name in {@code to}. */
    private static void copyByName(UNet from, UNet to) {
        List<Pair<String, Parameter>> dst = to.getParameters().stream().toList();
        for (Pair<String, Parameter> p : from.getParameters()) {
            Parameter target = dst.stream().filter(q -> q.getKey().equals(p.getKey())).findFirst().orElseThrow().getValue();
            target.getArray().set(p.getValue().getArray().toFloatArray());
        }
    }

    private static float[] eps(UNet net, NDArray x, NDArray t, NDArray y) {
        NDList in = y == null ? new NDList(x, t) : new NDList(x, t, y);
        return net.forward(new ParameterStore(), in, false).singletonOrThrow().toFloatArray();
    }

    @Test
    void classEmbeddingAddsExactlyItsRowsAndUnconditionalCountsStay() {
        try (NDManager m = Runtime.newManager()) {
            UNet plain = build(m, tiny(0), 1);
            UNet cond = build(m, tiny(K), 1);
            long temb = 4L * UNetConfig.preset("tiny", 1).ch();
            assertEquals(163_985L, plain.parameterCount(), "the unconditional tiny net is unchanged");
            assertEquals(163_985L + (K + 1) * temb, cond.parameterCount());
            assertEquals(cond.parameterCount(), tiny(K).parameterCount(28, 28));
            // the unconditional parameters come first, in the same order: a prefix of the conditional list
            List<String> a = plain.getParameters().keys();
            List<String> b = cond.getParameters().keys();
            assertEquals(a, b.subList(0, a.size()));
            Parameter table = cond.getParameters().get(b.get(b.size() - 1));
            assertEquals(new Shape(K + 1, temb), table.getArray().getShape());
            assertEquals(0f, table.getArray().abs().sum().getFloat(), "the class embedding starts at zero");
        }
    }

    @Test
    void zeroClassEmbeddingGivesTheUnconditionalNetsOutputForEveryClass() {
        try (NDManager m = Runtime.newManager()) {
            UNet plain = build(m, tiny(0), 3);
            UNet cond = build(m, tiny(K), 99); // other random weights, then overwritten
            copyByName(plain, cond);
            Runtime.seed(4);
            NDArray x = m.randomNormal(new Shape(2, 1, 28, 28));
            NDArray t = m.create(new int[] {17, 803});
            float[] want = eps(plain, x, t, null);
            for (int y = 0; y <= K; y++) {
                assertArrayEquals(want, eps(cond, x, t, m.create(new int[] {y, K - y})), "classes " + y + ", " + (K - y));
            }
            assertArrayEquals(want, eps(cond, x, t, null), "no labels: the null class");
        }
    }

    @Test
    void aNonZeroEmbeddingConditionsOnTheClassAndNoLabelMeansTheNullClass() {
        try (NDManager m = Runtime.newManager()) {
            UNet cond = build(m, tiny(K), 5);
            List<String> names = cond.getParameters().keys();
            NDArray table = cond.getParameters().get(names.get(names.size() - 1)).getArray();
            Runtime.seed(6);
            table.set(m.randomNormal(table.getShape()).toFloatArray());
            NDArray x = m.randomNormal(new Shape(2, 1, 28, 28));
            NDArray t = m.create(new int[] {100, 100});
            float[] c1 = eps(cond, x, t, m.create(new int[] {1, 1}));
            float[] c2 = eps(cond, x, t, m.create(new int[] {2, 2}));
            double diff = 0;
            for (int i = 0; i < c1.length; i++) {
                diff += Math.abs(c1[i] - c2[i]);
            }
            assertTrue(diff > 1e-3 * c1.length, "classes 1 and 2 give different predictions");
            assertArrayEquals(eps(cond, x, t, m.create(new int[] {K, K})), eps(cond, x, t, null));
        }
    }

    @Test
    void configurationsWithoutTheFieldReadAsUnconditional() {
        String json = UNetConfig.preset("mnist", 1).toJson();
        assertTrue(!json.contains("numClasses"), "an unconditional net's JSON is as before: " + json);
        UNetConfig c = UNetConfig.fromJson(json);
        assertEquals(0, c.numClasses());
        assertEquals(UNetConfig.preset("mnist", 1), c);
        UNetConfig k = tiny(10);
        assertTrue(k.toJson().contains("\"numClasses\": 10"), k.toJson());
        assertEquals(k, UNetConfig.fromJson(k.toJson()));
        assertThrows(InvalidArgumentException.class, () -> tiny(-1));
    }
}
