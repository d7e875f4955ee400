package org.diffusion4j.ddpm.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;

class MlpDenoiserConfigTest {
    @Test
    void jsonRoundTrip() {
        MlpDenoiser.Config c = new MlpDenoiser.Config(3, 64, 2, 16);
        assertEquals(c, MlpDenoiser.Config.fromJson(c.toJson()));
        assertNotEquals(c, new MlpDenoiser.Config(3, 64, 2, 32));
        assertThrows(UserException.class, () -> MlpDenoiser.Config.fromJson("[1, 2"));
    }

    /** The "config" of a moons run's config.json written by the class this record replaced (compact Gson). */
    @Test
    void oldJsonStillParses() {
        MlpDenoiser.Config c = MlpDenoiser.Config.fromJson("{\"dim\":2,\"hidden\":128,\"layers\":4,\"timeDim\":64}");
        assertEquals(2, c.dim());
        assertEquals(128, c.hidden());
        assertEquals(4, c.layers());
        assertEquals(64, c.timeDim());
        assertEquals(MlpDenoiser.Config.toy(2), c);
    }

    @Test
    void badValuesNameTheComponent() {
        assertEquals("timeDim", assertThrows(InvalidArgumentException.class, () -> new MlpDenoiser.Config(2, 8, 1, 5)).argument());
        assertEquals("layers", assertThrows(InvalidArgumentException.class, () -> new MlpDenoiser.Config(2, 8, 0, 8)).argument());
        // a field missing from the text is 0 and rejected by the record
        assertEquals("hidden", assertThrows(InvalidArgumentException.class,
                () -> MlpDenoiser.Config.fromJson("{\"dim\":2,\"layers\":4,\"timeDim\":64}")).argument());
    }
}
