package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Reads a network that predicts x_0 or v as a noise predictor, so that every sampler (all of
 * them work with eps) runs it unchanged: eps = (x_t - a x_0)/s or eps = s x_t + a v, with
 * a = sqrt(alphaBar_t), s = sqrt(1 - alphaBar_t) of each row's t.
 */
public final class PredictionDenoiser implements Denoiser {
    private final Denoiser network;
    private final Prediction prediction;
    private final GaussianDiffusion diffusion;

    private PredictionDenoiser(Denoiser network, Prediction prediction, GaussianDiffusion diffusion) {
        this.network = network;
        this.prediction = prediction;
        this.diffusion = diffusion;
    }

    /**
     * The eps predictor of a network whose output (through {@code network.predictEps}) is a
     * prediction of kind {@code prediction}; an eps network is returned as it is.
     */
    public static Denoiser of(Denoiser network, Prediction prediction, GaussianDiffusion diffusion) {
        return prediction == Prediction.EPS ? network : new PredictionDenoiser(network, prediction, diffusion);
    }

    @Override
    public NDArray predictEps(NDArray xt, NDArray t, boolean training) {
        NDArray out = network.predictEps(xt, t, training);
        return prediction.toEps(out, xt, diffusion.sqrtAlphaBar(t, xt), diffusion.sqrtOneMinusAlphaBar(t, xt));
    }
}
