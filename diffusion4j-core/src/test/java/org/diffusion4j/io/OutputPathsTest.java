package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.InvalidArgumentException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output paths are refused before any work when they cannot be written, and nothing is left behind. */
class OutputPathsTest {
    @TempDir
    Path tmp;

    @Test
    void acceptsNewFilesAndFoldersAndLeavesNothingBehind() throws Exception {
        OutputPaths.requireWritableFile("out", tmp.resolve("a.png"));
        OutputPaths.requireWritableFile("out", tmp.resolve("new/deeper/a.png"));
        OutputPaths.requireWritableFolder("each", tmp.resolve("each"));
        Files.writeString(tmp.resolve("old.png"), "x");
        OutputPaths.requireWritableFile("out", tmp.resolve("old.png"));
        assertDoesNotThrow(() -> OutputPaths.requireWritableFile("out", null));
        assertDoesNotThrow(() -> OutputPaths.requireWritableFolder("each", null));
        try (var files = Files.list(tmp)) {
            assertArrayEquals(new String[] {"old.png"}, files.map(p -> p.getFileName().toString()).toArray());
        }
    }

    @Test
    void refusesAFolderAsFileAndAFileAsFolder() throws Exception {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> OutputPaths.requireWritableFile("out", tmp));
        assertEquals("out", e.argument());
        assertTrue(e.problem().contains("is a folder"), e.getMessage());

        Path file = tmp.resolve("file.txt");
        Files.writeString(file, "x");
        e = assertThrows(InvalidArgumentException.class, () -> OutputPaths.requireWritableFile("npy", file.resolve("x.npy")));
        assertTrue(e.problem().contains("is a file, not a folder"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> OutputPaths.requireWritableFolder("each", file));
        assertTrue(e.problem().contains("is a file, not a folder"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> OutputPaths.requireWritableFolder("each", file.resolve("a/b")));
        assertTrue(e.problem().contains("is a file, not a folder"), e.getMessage());
    }

    /** /proc accepts no new files, even for root (whose permission bits say "writable"). */
    @Test
    void refusesAFolderThatAcceptsNoFiles() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux /proc needed");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> OutputPaths.requireWritableFile("out", Path.of("/proc/x.png")));
        assertTrue(e.problem().contains("does not accept new files"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
