package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Objective;
import org.diffusion4j.diffusion.Prediction;
import org.junit.jupiter.api.Test;

/** The prediction type and min-SNR gamma travel in the model's description; old descriptions are eps. */
class PredictionSpecTest {
    static final DdpmSpec EPS = DdpmSpec.mlp(new MlpDenoiser.Config(2, 32, 2, 8), NoiseSchedule.linear(100, 1e-3, 0.2), LossType.L2);

    @Test
    void objectiveRoundTripsAndEpsDescriptionsStayAsTheyWere() {
        assertEquals(Objective.EPS, EPS.objective());
        assertFalse(EPS.toJson().contains("prediction"), "an eps model's description is unchanged: " + EPS.toJson());
        assertFalse(EPS.toJson().contains("minSnrGamma"), EPS.toJson());
        for (Objective o : new Objective[] {new Objective(Prediction.X0, 0), new Objective(Prediction.V, 5),
                new Objective(Prediction.EPS, 2.5)}) {
            DdpmSpec s = EPS.withObjective(o);
            DdpmSpec back = DdpmSpec.fromJson(s.toJson());
            assertEquals(o, back.objective());
            assertEquals(s, back);
            assertNotEquals(EPS, s);
        }
        assertTrue(EPS.withObjective(new Objective(Prediction.V, 5)).toJson().contains("\"prediction\":\"v\""));
    }

    @Test
    void unknownPredictionIsRefusedInOneLine() {
        String json = EPS.toJson().replace("\"loss\":\"L2\"", "\"loss\":\"L2\",\"prediction\":\"score\"");
        UserException e = assertThrows(UserException.class, () -> DdpmSpec.fromJson(json));
        assertTrue(e.getMessage().contains("score"), e.getMessage());
    }
}
