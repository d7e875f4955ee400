package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PNGs and GIFs are encoded in memory, never through ImageIO's cache file: a write that failed
 * on a full disk left that file's stream to ImageIO's shutdown hook, which printed a stack trace
 * after the one-line error (issue 47, item 5). With the cache folder gone, such a write fails.
 */
class PngWithoutCacheTest {
    @Test
    void picturesAreWrittenWithoutImageIosCacheFile(@TempDir Path tmp) throws Exception {
        File before = ImageIO.getCacheDirectory();
        boolean cached = ImageIO.getUseCache();
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        try {
            ImageIO.setUseCache(true);
            ImageIO.setCacheDirectory(cache.toFile());
            Files.delete(cache); // any use of the cache now fails
            BufferedImage img = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
            Path png = tmp.resolve("x.png");
            ImageGrid.writePng(png, img);
            assertEquals(8, ImageIO.read(png.toFile()).getWidth());
            Path gif = tmp.resolve("x.gif");
            GifWriter.write(gif, List.of(img, img), 10, 10, true);
            assertEquals(6, ImageIO.read(gif.toFile()).getHeight());
        } finally {
            ImageIO.setCacheDirectory(before);
            ImageIO.setUseCache(cached);
        }
    }
}
