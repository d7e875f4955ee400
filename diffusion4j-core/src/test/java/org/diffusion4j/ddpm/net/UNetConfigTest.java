package org.diffusion4j.ddpm.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;

class UNetConfigTest {
    @Test
    void presetParameterCountsAreExact() {
        assertEquals(163_985L, UNetConfig.preset("tiny", 1).parameterCount(28, 28));
        assertEquals(3_939_393L, UNetConfig.preset("mnist", 1).parameterCount(28, 28));
        // the mnist preset before it was widened (the 7x7 level at 64 channels, not 128)
        assertEquals(1_623_169L, UNetConfig.preset("mnist", 1).toBuilder().chMult(1, 2, 2).build().parameterCount(28, 28));
        assertEquals(35_746_307L, UNetConfig.preset("cifar10", 3).parameterCount(32, 32));
    }

    @Test
    void unknownPresetListsKnownNames() {
        UserException e = assertThrows(UserException.class, () -> UNetConfig.preset("huge", 1));
        assertTrue(e.getMessage().contains("tiny, mnist, cifar10"), e.getMessage());
        assertTrue(e.getMessage().contains("huge"), e.getMessage());
    }

    @Test
    void jsonRoundTrip() {
        for (String name : UNetConfig.presetNames()) {
            UNetConfig c = UNetConfig.preset(name, 3);
            UNetConfig back = UNetConfig.fromJson(c.toJson());
            assertEquals(c, back);
            assertEquals(c.toJson(), back.toJson());
        }
        assertThrows(UserException.class, () -> UNetConfig.fromJson("{not json"));
        assertThrows(UserException.class, () -> UNetConfig.fromJson("{\"ch\": 32}"));
    }

    @Test
    void immutableAndDefensivelyCopied() {
        int[] mult = {1, 2};
        UNetConfig c = UNetConfig.builder().ch(16).chMult(mult).groups(8).attnResolutions().build();
        mult[0] = 7;
        assertArrayEquals(new int[] {1, 2}, c.chMult());
        c.chMult()[1] = 9;
        assertArrayEquals(new int[] {1, 2}, c.chMult());
        UNetConfig d = c.toBuilder().dropout(0.3f).build();
        assertNotEquals(c, d);
        assertEquals(0.3f, d.dropout());
        assertEquals(c.ch(), d.ch());
    }

    @Test
    void validationErrors() {
        UNetConfig mnist = UNetConfig.preset("mnist", 1);
        mnist.validate(28, 28);
        UserException size = assertThrows(UserException.class, () -> mnist.validate(30, 30));
        assertTrue(size.getMessage().contains("multiples of 4"), size.getMessage());
        assertTrue(!size.getMessage().contains("\n"));
        UNetConfig badGroups = mnist.toBuilder().groups(12).build();
        InvalidArgumentException g = assertThrows(InvalidArgumentException.class, () -> badGroups.validate(28, 28));
        assertEquals("groups", g.argument());
        assertEquals("12", g.value());
        assertTrue(g.getMessage().contains("32, 64, 128"), g.getMessage());
        assertTrue(!g.getMessage().contains("\n"));
        assertThrows(UserException.class, () -> new UNet(badGroups, 28, 28));
        assertEquals("ch", assertThrows(InvalidArgumentException.class, () -> UNetConfig.builder().ch(7).build()).argument());
        assertEquals("chMult", assertThrows(InvalidArgumentException.class,
                () -> UNetConfig.builder().chMult().build()).argument());
        InvalidArgumentException m = assertThrows(InvalidArgumentException.class,
                () -> UNetConfig.builder().chMult(1, 0).build());
        assertEquals("1,0", m.value());
        assertEquals("dropout", assertThrows(InvalidArgumentException.class,
                () -> UNetConfig.builder().dropout(1f).build()).argument());
        assertEquals("preset", assertThrows(InvalidArgumentException.class, () -> UNetConfig.preset("huge", 1)).argument());
    }

    /** The header of models/ddpm-mnist.safetensors, written by the class this record replaced. */
    @Test
    void oldJsonStillParses() {
        String old = "{\"inChannels\": 1, \"outChannels\": 1, \"ch\": 32, \"chMult\": [1, 2, 4], \"numResBlocks\": 2,"
                + " \"attnResolutions\": [7], \"dropout\": 0.1, \"groups\": 8}";
        UNetConfig c = UNetConfig.fromJson(old);
        assertEquals(UNetConfig.preset("mnist", 1), c);
        assertEquals(1, c.inChannels());
        assertEquals(1, c.outChannels());
        assertEquals(32, c.ch());
        assertArrayEquals(new int[] {1, 2, 4}, c.chMult());
        assertEquals(2, c.numResBlocks());
        assertArrayEquals(new int[] {7}, c.attnResolutions());
        assertEquals(0.1f, c.dropout());
        assertEquals(8, c.groups());
        // the pre-record class pretty-printed the same fields in the same order
        assertEquals("{\n  \"inChannels\": 1,\n  \"outChannels\": 1,\n  \"ch\": 32,\n  \"chMult\": [\n    1,\n    2,\n    4\n  ],"
                + "\n  \"numResBlocks\": 2,\n  \"attnResolutions\": [\n    7\n  ],\n  \"dropout\": 0.1,\n  \"groups\": 8\n}",
                c.toJson());
        // a value the record rejects comes out as the record's own exception, not Gson's wrapper
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> UNetConfig.fromJson(old.replace("\"ch\": 32", "\"ch\": 7")));
        assertEquals("ch", e.argument());
    }

    /** normEps: absent reads as 1e-5 (above), is left out when default, is written and read back otherwise. */
    @Test
    void normEpsIsOptionalInJson() {
        UNetConfig mnist = UNetConfig.preset("mnist", 1);
        assertEquals(1e-5f, mnist.normEps());
        assertTrue(!mnist.toJson().contains("normEps"), mnist.toJson());
        UNetConfig fine = mnist.toBuilder().normEps(1e-6f).build();
        assertTrue(fine.toJson().contains("\"normEps\": 1.0E-6"), fine.toJson());
        assertEquals(fine, UNetConfig.fromJson(fine.toJson()));
        assertNotEquals(mnist, fine);
        assertTrue(fine.describe(28, 28).contains("(eps 1e-6)"), fine.describe(28, 28));
        assertTrue(mnist.describe(28, 28).contains("(eps 1e-5)"), mnist.describe(28, 28));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> mnist.toBuilder().normEps(-1e-6f).build());
        assertEquals("normEps", e.argument());
        assertThrows(InvalidArgumentException.class, () -> mnist.toBuilder().normEps(Float.NaN).build());
    }

    @Test
    void featureMapsFlopsAndDescription() {
        UNetConfig c = UNetConfig.preset("cifar10", 3);
        int[][] maps = c.featureMapSizes(32, 32);
        assertEquals(4, maps.length);
        assertArrayEquals(new int[] {32, 32, 128}, maps[0]);
        assertArrayEquals(new int[] {4, 4, 256}, maps[3]);
        assertTrue(c.forwardFlops(32, 32) > 2 * c.parameterCount(32, 32));
        String d = c.describe(32, 32);
        assertTrue(d.contains("35,746,307"), d);
        assertTrue(d.contains("GFLOPs"), d);
        assertTrue(d.lines().count() > 5, d);
    }

    @Test
    void flopsOfTinyConvIn() {
        UNetConfig a = UNetConfig.preset("tiny", 1);
        UNetConfig b = UNetConfig.preset("tiny", 2);
        // one more in/out channel only changes conv_in and conv_out: 2 * 1 * 16 * 9 * 28 * 28 each
        assertEquals(2L * 16 * 9 * 28 * 28 + 2L * 16 * 9 * 28 * 28,
                b.forwardFlops(28, 28) - a.forwardFlops(28, 28));
    }
}
