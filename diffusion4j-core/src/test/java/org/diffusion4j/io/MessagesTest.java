package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.train.NamedArrays;
import org.junit.jupiter.api.Test;

/** Messages a user reads (issue 47, item 11): no advice meant for programmers, whole sentences. */
class MessagesTest {
    @Test
    void jsonErrorsDropGsonsAdviceToParseLeniently() {
        record R(int a) {}
        String m = assertThrows(UserException.class, () -> RecordJson.fromJson("{a: 1,, }", R.class, "the thing")).getMessage();
        assertTrue(m.startsWith("the thing is not valid JSON ("), m);
        assertFalse(m.contains("setStrictness") || m.contains("setLenient") || m.contains("http") || m.contains("\n"), m);
        assertTrue(m.contains("line 1"), m);
    }

    @Test
    void aSafetensorsHeaderOfLenientJsonIsRefusedWithoutThatAdvice(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        byte[] json = "{a: 1}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.nio.file.Path f = dir.resolve("x.safetensors");
        java.nio.file.Files.write(f, java.nio.ByteBuffer.allocate(8 + json.length).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).array());
        String m = assertThrows(UserException.class, () -> SafeTensors.read(f)).getMessage();
        assertTrue(m.contains("the header is not the expected JSON ("), m);
        assertFalse(m.contains("setStrictness") || m.contains("LENIENT") || m.contains("http"), m);
    }

    @Test
    void aMismatchOfParameterCountsReadsAsASentence() {
        try (NDManager m = Runtime.newManager()) {
            NamedArrays model = new NamedArrays(List.of("a", "b"), List.of(m.zeros(new ai.djl.ndarray.types.Shape(1)),
                    m.zeros(new ai.djl.ndarray.types.Shape(1))));
            NamedArrays ckpt = new NamedArrays(List.of("a"), List.of(m.zeros(new ai.djl.ndarray.types.Shape(1))));
            String msg = assertThrows(UserException.class, () -> model.checkCompatible(ckpt, "the checkpoint")).getMessage();
            assertTrue(msg.startsWith("the checkpoint: 1 parameter arrays, but the model has 2"), msg);
        }
    }
}
