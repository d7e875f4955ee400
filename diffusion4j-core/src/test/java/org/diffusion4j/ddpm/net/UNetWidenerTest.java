package org.diffusion4j.ddpm.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;

/** Net2WiderNet for the U-Net: the wider net computes (nearly) the function of the one it grew from. */
class UNetWidenerTest {
    private static UNetConfig config(int... chMult) {
        return UNetConfig.builder().inChannels(1).outChannels(1).ch(8).chMult(chMult).numResBlocks(1)
                .attnResolutions(7).dropout(0f).groups(4).build();
    }

    private static UNet net(NDManager m, UNetConfig c, long seed) {
        Runtime.seed(seed);
        UNet n = new UNet(c, 28, 28);
        n.initialize(m, DataType.FLOAT32, new Shape(1, 1, 28, 28), new Shape(1));
        return n;
    }

    private static float[] eps(UNet n, NDList in) {
        return n.forward(new ParameterStore(), in, false).head().toFloatArray();
    }

    /** Mean square of a - b over mean square of a. */
    private static double relative(float[] a, float[] b) {
        double d = 0;
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (double) (a[i] - b[i]);
            s += a[i] * (double) a[i];
        }
        return d / s;
    }

    private static NDList input(NDManager m) {
        Runtime.seed(5);
        return new NDList(m.randomNormal(new Shape(6, 1, 28, 28)), m.create(new int[] {0, 9, 99, 400, 700, 999}));
    }

    @Test
    void sameWidthsCopyTheNetExactly() {
        try (NDManager m = Runtime.newManager()) {
            UNet a = net(m, config(1, 2, 2), 1);
            UNet b = net(m, config(1, 2, 2), 2);
            NDList in = input(m);
            assertNotEquals(0.0, relative(eps(a, in), eps(b, in)));
            UNetWidener.widen(a, b, 3);
            assertArrayEquals(eps(a, in), eps(b, in));
        }
    }

    @Test
    void widerNetComputesTheSameFunction() {
        try (NDManager m = Runtime.newManager()) {
            NDList in = input(m);
            UNet small = net(m, config(1, 2, 2), 1);
            // The copy is exact but for the GroupNorm of an up-path block that reads two levels widened by
            // different factors: its groups then mix channels in other proportions. With that norm's gamma at
            // 0 its output is its beta whatever the statistics, and everything else must match to rounding.
            for (UNet.Step s : small.steps()) {
                if (s.node().kind() == UNetGraph.Kind.UP_RES) {
                    s.block().getParameters().get("01norm0_gamma").getArray().muli(0);
                }
            }
            float[] before = eps(small, in);
            // Only the 7x7 level (with attention) widened, as from the mnist preset to --ch-mult 1,2,4; all
            // levels; and threefold, with 1x1 shortcuts made where a block's skip was the identity.
            for (int[] mult : new int[][] {{1, 2, 4}, {2, 4, 4}, {3, 2, 6}}) {
                UNet wide = net(m, config(mult), 2);
                double fresh = relative(before, eps(wide, in));
                UNetWidener.widen(small, wide, 3);
                double widened = relative(before, eps(wide, in));
                assertTrue(fresh > 0.5, "fresh " + fresh);
                assertTrue(widened < 1e-10, java.util.Arrays.toString(mult) + ": widened " + widened);
            }
        }
    }

    @Test
    void mixedGroupsChangeTheFunctionOnlyALittle() {
        try (NDManager m = Runtime.newManager()) {
            NDList in = input(m);
            UNet small = net(m, config(1, 2, 2), 1);
            float[] before = eps(small, in);
            UNet wide = net(m, config(1, 2, 4), 2);
            UNetWidener.widen(small, wide, 3);
            double widened = relative(before, eps(wide, in));
            assertTrue(widened < 3e-3, "widened " + widened);
        }
    }

    @Test
    void copiesGetDifferentSharesSoTheyCanGrowApart() {
        try (NDManager m = Runtime.newManager()) {
            UNet small = net(m, config(1, 2, 2), 1);
            UNet wide = net(m, config(1, 2, 4), 2);
            UNetWidener.widen(small, wide, 3);
            // mid_res0's second 3x3 convolution reads 32 channels widened from 16: copies 2k and 2k+1 of old
            // input channel k share its weight between them, in random parts that add up to it.
            NDArray o = conv1(small);
            NDArray n = conv1(wide);
            assertEquals(new Shape(16, 16, 3, 3), o.getShape());
            assertEquals(new Shape(32, 32, 3, 3), n.getShape());
            for (int j = 0; j < 32; j++) {
                for (int p = 0; p < 32; p += 2) {
                    NDArray sum = n.get(j).get(p).add(n.get(j).get(p + 1));
                    assertTrue(sum.allClose(o.get(j / 2).get(p / 2), 1e-5, 1e-7, false), j + "," + p);
                    assertTrue(n.get(j).get(p).sub(n.get(j).get(p + 1)).abs().max().getFloat() > 0, j + "," + p);
                }
            }
        }
    }

    private static NDArray conv1(UNet n) {
        for (UNet.Step s : n.steps()) {
            if (s.node().kind() == UNetGraph.Kind.MID_RES) {
                return s.block().getParameters().get("05conv1_weight").getArray();
            }
        }
        throw new AssertionError("no middle block");
    }

    @Test
    void onlyWholeMultiplesOfTheLevelsAreAccepted() {
        UNetConfig small = config(1, 2, 2);
        UserException e = assertThrows(UserException.class, () -> UNetWidener.checkWidening(small, config(1, 3, 4)));
        assertTrue(e.getMessage().contains("level 1 has 16 channels"), e.getMessage());
        assertThrows(UserException.class, () -> UNetWidener.checkWidening(small, config(1, 2)));
        assertThrows(UserException.class, () -> UNetWidener.checkWidening(small, config(1, 1, 2)));
        assertThrows(UserException.class, () -> UNetWidener.checkWidening(small, small.toBuilder().groups(2).build()));
        UNetWidener.checkWidening(small, config(2, 4, 4));
    }
}
