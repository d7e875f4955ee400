package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import javax.imageio.IIOException;
import org.junit.jupiter.api.Test;

/** ImageIO wraps what it caught while decoding with an empty message: the reason is in the cause. */
class UnreadableImageTest {
    @Test
    void outOfMemoryWhileDecodingSaysSo() {
        IIOException e = new IIOException("Caught exception during read: ", new OutOfMemoryError("Java heap space"));
        assertEquals("big.png: out of memory while decoding the image (Java heap space); give Java more memory "
                + "(DIFFUSION4J_JAVA_OPTS=-Xmx8g) or remove the file", ImageFolder.unreadable("big.png", e).getMessage());
    }

    @Test
    void anEmptyMessageCarriesItsCause() {
        IIOException e = new IIOException("Caught exception during read: ", new IllegalStateException("bad CRC"));
        assertEquals("x.png: cannot read the image (Caught exception during read: bad CRC); remove or replace the file",
                ImageFolder.unreadable("x.png", e).getMessage());
    }
}
