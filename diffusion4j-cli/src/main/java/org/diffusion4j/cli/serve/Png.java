package org.diffusion4j.cli.serve;

import java.awt.image.BufferedImage;
import java.util.Base64;

/** Pictures as the page takes them: PNG bytes or data URLs. */
final class Png {
    private Png() {}

    static byte[] bytes(BufferedImage img) {
        return org.diffusion4j.io.ImageGrid.pngBytes(img);
    }

    static String dataUrl(BufferedImage img) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes(img));
    }
}
