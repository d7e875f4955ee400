package org.diffusion4j.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.InvalidArgumentException;
import org.junit.jupiter.api.Test;

class DigitClassifierConfigTest {
    @Test
    void jsonRoundTrip() {
        DigitClassifier.Config c = new DigitClassifier.Config(3, 32, 16, 8, 12, 40, 5);
        assertEquals(c, DigitClassifier.Config.fromJson(c.toJson()));
    }

    /** The "config" in the header of models/classifier-mnist.safetensors, written by the class this record replaced. */
    @Test
    void oldJsonStillParses() {
        DigitClassifier.Config c = DigitClassifier.Config.fromJson(
                "{\"channels\":1,\"height\":28,\"width\":28,\"c1\":16,\"c2\":32,\"hidden\":128,\"classes\":10}");
        assertEquals(1, c.channels());
        assertEquals(28, c.height());
        assertEquals(28, c.width());
        assertEquals(16, c.c1());
        assertEquals(32, c.c2());
        assertEquals(128, c.hidden());
        assertEquals(10, c.classes());
        assertEquals(DigitClassifier.Config.mnist(), c);
        assertEquals(DigitClassifier.CNN, c.arch());
        assertEquals(0, c.dropout());
    }

    @Test
    void mlpJsonRoundTripNamesTheArchitecture() {
        DigitClassifier.Config c = DigitClassifier.Config.preset("mlp", 1, 28, 28);
        assertEquals(new DigitClassifier.Config("mlp", 1, 28, 28, 512, 0, 256, 10, 0.2), c);
        assertTrue(c.toJson().contains("\"arch\": \"mlp\""), c.toJson());
        assertEquals(c, DigitClassifier.Config.fromJson(c.toJson()));
        assertEquals("cnn", DigitClassifier.Config.fromJson(DigitClassifier.Config.mnist().toJson()).arch());
        // Any image size for the MLP; "MLP" is read as "mlp".
        assertEquals("mlp", new DigitClassifier.Config("MLP", 3, 30, 17, 64, 0, 32, 5, 0).arch());
    }

    @Test
    void badValuesNameTheComponent() {
        assertEquals("height", assertThrows(InvalidArgumentException.class,
                () -> new DigitClassifier.Config(1, 30, 28, 16, 32, 128, 10)).argument());
        assertEquals("classes", assertThrows(InvalidArgumentException.class,
                () -> new DigitClassifier.Config(1, 28, 28, 16, 32, 128, 1)).argument());
        assertEquals("arch", assertThrows(InvalidArgumentException.class,
                () -> DigitClassifier.Config.fromJson("{\"arch\":\"resnet\",\"channels\":1,\"height\":28,\"width\":28,"
                        + "\"c1\":16,\"c2\":32,\"hidden\":128,\"classes\":10}")).argument());
        assertEquals("c2", assertThrows(InvalidArgumentException.class,
                () -> new DigitClassifier.Config("mlp", 1, 28, 28, 512, 32, 256, 10, 0.2)).argument());
        assertEquals("dropout", assertThrows(InvalidArgumentException.class,
                () -> new DigitClassifier.Config("cnn", 1, 28, 28, 16, 32, 128, 10, 0.2)).argument());
        assertEquals("dropout", assertThrows(InvalidArgumentException.class,
                () -> new DigitClassifier.Config("mlp", 1, 28, 28, 512, 0, 256, 10, 1)).argument());
    }
}
