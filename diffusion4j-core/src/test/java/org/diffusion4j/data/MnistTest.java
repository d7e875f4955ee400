package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MnistTest {
    @Test
    void bundledTrainAndTest() {
        DataSet train = Mnist.train();
        assertEquals(60000, train.size());
        assertArrayEquals(new long[] {1, 28, 28}, train.rowShape());
        assertEquals(5, train.label(0));
        assertEquals(10, train.numClasses());
        for (int l : train.labels()) {
            assertTrue(l >= 0 && l <= 9);
        }
        float min = 1, max = 0;
        for (int i = 0; i < 784 * 100; i++) {
            min = Math.min(min, train.data()[i]);
            max = Math.max(max, train.data()[i]);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
        DataSet test = Mnist.test();
        assertEquals(10000, test.size());
        assertEquals(7, test.label(0));
        for (int l : test.labels()) {
            assertTrue(l >= 0 && l <= 9);
        }
        assertSame(train, Mnist.train());
    }
}
