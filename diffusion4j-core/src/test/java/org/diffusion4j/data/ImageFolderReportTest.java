package org.diffusion4j.data;

import static org.diffusion4j.data.ImageFolderAndDatasetsTest.png;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading an image folder reports what it resized and what it skipped: counts and the first names. */
class ImageFolderReportTest {
    @TempDir
    Path tmp;

    @Test
    void resizedAndSkippedFilesAreCountedAndNamed() throws Exception {
        Path dir = tmp.resolve("imgs");
        png(dir.resolve("a.png"), 8, 8, 0);
        for (int i = 0; i < 7; i++) {
            png(dir.resolve("big" + i + ".png"), 16, 12, 0);
        }
        Files.writeString(dir.resolve("notes.txt"), "x");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve(".hidden"), "x"); // hidden files are not the user's data: ignored quietly

        ImageFolder.Result r = ImageFolder.readReporting(dir, 8, 1);
        ImageFolder.Report rep = r.report();
        assertEquals(8, r.data().size());
        assertEquals(8, rep.images());
        assertEquals(7, rep.resized());
        assertEquals(List.of("big0.png", "big1.png", "big2.png", "big3.png", "big4.png"), rep.resizedNames());
        assertEquals(2, rep.skipped());
        assertEquals(List.of("notes.txt", "sub/"), rep.skippedNames());
        assertFalse(rep.clean());
        String line = rep.describe();
        assertFalse(line.contains("\n"), line);
        assertTrue(line.contains("7 of them were not 8x8") && line.contains("big4.png, ...") && line.contains("2 entries skipped")
                && line.contains("notes.txt, sub/)"), line);

        List<ImageFolder.Report> seen = new ArrayList<>();
        Datasets.open(dir.toString(), new Datasets.Options().imageSize(8).channels(1).imageReport(seen::add));
        assertEquals(1, seen.size());
        assertEquals(rep, seen.get(0));
    }

    @Test
    void cleanFolderAndClassFolders() throws Exception {
        Path dir = tmp.resolve("classes");
        png(dir.resolve("cat/1.png"), 4, 4, 0);
        png(dir.resolve("dog/1.png"), 4, 5, 0);
        Files.writeString(dir.resolve("dog/readme.md"), "x");
        Files.createDirectories(dir.resolve("empty"));
        Files.writeString(dir.resolve("labels.csv"), "x");
        ImageFolder.Report rep = ImageFolder.readReporting(dir, 4, 1).report();
        assertEquals(1, rep.resized());
        assertEquals(List.of("dog/1.png"), rep.resizedNames());
        assertEquals(List.of("labels.csv", "dog/readme.md", "empty/"), rep.skippedNames());

        Path clean = tmp.resolve("clean");
        png(clean.resolve("x.png"), 4, 4, 0);
        assertTrue(ImageFolder.readReporting(clean, 4, 3).report().clean());
    }
}
