package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.EngineException;
import org.junit.jupiter.api.Test;

/** Without the native jar, the one line that says which one to add (DJL's own message names none). */
class EngineMessageTest {
    @Test
    void aMissingNativeLibraryNamesTheJar() {
        UserException e = TorchRuntime.engineMissing(new EngineException("Failed to save pytorch index file\nOffline mode is enabled"));
        assertEquals("PyTorch's native library did not load (Failed to save pytorch index file); add the runtime dependency "
                + "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64 (Maven: groupId ai.djl.pytorch, artifactId "
                + "pytorch-native-cpu, version 2.7.1, classifier linux-x86_64), or a CUDA build with DIFFUSION4J_OFFLINE=false",
                e.getMessage());
    }
}
