package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ClassAccuracyTest {
    @Test
    void countsAgreeWithAHandWorkedCase() {
        // Class 0: 3 of 4 right (one taken for 2); class 1: 1 of 2 right (one taken for 0); class 2: none generated.
        int[] intended = {0, 0, 0, 0, 1, 1};
        int[] predicted = {0, 2, 0, 0, 1, 0};
        ClassAccuracy a = ClassAccuracy.of(intended, predicted, 3);
        assertEquals(0.75, a.accuracy(0), 1e-12);
        assertEquals(0.5, a.accuracy(1), 1e-12);
        assertEquals(4.0 / 6.0, a.overall(), 1e-12);
        assertEquals(0.5, a.worst(), 1e-12);
        assertEquals(2, a.mostConfusedWith(0));
        assertEquals(0, a.mostConfusedWith(1));
        assertEquals(2, a.mostConfusedWith(2));
        assertEquals(0, a.count(2));
        assertEquals(1, a.confusion()[0][2]);
    }
}
