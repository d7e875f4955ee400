#!/usr/bin/env python3
"""An independent float64 numpy re-statement of the forward pass of diffusers' UNet2DModel
(src/diffusers/models/unets/unet_2d.py and the blocks it builds: Timesteps/get_timestep_embedding,
TimestepEmbedding, ResnetBlock2D, Attention with group_norm and one or more heads, Downsample2D,
Upsample2D, DownBlock2D/AttnDownBlock2D/UNetMidBlock2D/UpBlock2D/AttnUpBlock2D), written from
diffusers' source and sharing nothing with diffusion4j. It reads a folder written by
'diffusion4j export --format diffusers' (or any DDPMPipeline folder of this family).

Usage: unet2d_reference.py PIPELINE_DIR INPUT.f32 T0,T1,... OUTPUT.f32
INPUT.f32: float32 little-endian [B, in_channels, H, W] in C order; OUTPUT.f32 the same for eps."""
import json
import math
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] in ("F32", "F16"), v["dtype"]
        a, b = v["data_offsets"]
        dt = "<f4" if v["dtype"] == "F32" else "<f2"
        out[k] = np.frombuffer(data[a:b], dtype=dt).astype(np.float64).reshape(v["shape"])
    return out


def silu(x):
    return x / (1 + np.exp(-x))


def conv2d(x, w, b, stride=1, pad=(1, 1, 1, 1)):  # pad = (left, right, top, bottom), as F.pad
    bsz, cin, h, wd = x.shape
    cout, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[2], pad[3]), (pad[0], pad[1])))
    ho = (xp.shape[2] - kh) // stride + 1
    wo = (xp.shape[3] - kw) // stride + 1
    out = np.zeros((bsz, cout, ho, wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]
            out += np.einsum("bchw,oc->bohw", patch, w[:, :, i, j])
    return out + b[None, :, None, None]


def group_norm(x, groups, eps, w, b):
    bsz, c, h, wd = x.shape
    g = x.reshape(bsz, groups, -1)
    mean = g.mean(axis=2, keepdims=True)
    var = g.var(axis=2, keepdims=True)
    y = ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
    return y * w[None, :, None, None] + b[None, :, None, None]


def main():
    folder, inp, ts, outp = sys.argv[1:5]
    cfg = json.load(open(folder + "/unet/config.json"))
    P = read_safetensors(folder + "/unet/diffusion_pytorch_model.safetensors")
    size = cfg["sample_size"]
    h, w = (size, size) if isinstance(size, int) else size
    t = np.array([float(v) for v in ts.split(",")])
    x = np.fromfile(inp, dtype="<f4").astype(np.float64).reshape(len(t), cfg["in_channels"], h, w)
    G, eps = cfg["norm_num_groups"], cfg["norm_eps"]
    boc = cfg["block_out_channels"]
    head_dim = cfg.get("attention_head_dim", 8)
    pad = cfg.get("downsample_padding", 1)
    scale = cfg.get("mid_block_scale_factor", 1)

    def lin(p, v):
        return v @ P[p + ".weight"].T + P[p + ".bias"]

    def conv(p, v, **kw):
        return conv2d(v, P[p + ".weight"], P[p + ".bias"], **kw)

    def gn(p, v):
        return group_norm(v, G, eps, P[p + ".weight"], P[p + ".bias"])

    def resnet(p, v, temb, factor=1.0):
        hh = conv(p + ".conv1", silu(gn(p + ".norm1", v)))
        hh = hh + lin(p + ".time_emb_proj", silu(temb))[:, :, None, None]
        hh = conv(p + ".conv2", silu(gn(p + ".norm2", hh)))  # dropout: identity in eval
        if p + ".conv_shortcut.weight" in P:
            v = conv(p + ".conv_shortcut", v, pad=(0, 0, 0, 0))
        return (v + hh) / factor

    def attention(p, v, factor=1.0):
        bsz, c, hh, ww = v.shape
        heads = c // (head_dim if head_dim is not None else c)
        d = c // heads
        s = gn(p + ".group_norm", v).reshape(bsz, c, hh * ww).transpose(0, 2, 1)
        q, k, val = (lin(p + "." + n, s) for n in ("to_q", "to_k", "to_v"))
        split = lambda a: a.reshape(bsz, hh * ww, heads, d).transpose(0, 2, 1, 3)
        q, k, val = split(q), split(k), split(val)
        logits = q @ k.transpose(0, 1, 3, 2) * d ** -0.5
        logits -= logits.max(axis=-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=-1, keepdims=True)
        o = (probs @ val).transpose(0, 2, 1, 3).reshape(bsz, hh * ww, c)
        o = lin(p + ".to_out.0", o).transpose(0, 2, 1).reshape(bsz, c, hh, ww)
        return (o + v) / factor

    # time: get_timestep_embedding(t, boc[0], flip_sin_to_cos, freq_shift)
    half = boc[0] // 2
    exponent = -math.log(10000) * np.arange(half) / (half - cfg["freq_shift"])
    arg = t[:, None] * np.exp(exponent)[None, :]
    emb = np.concatenate([np.sin(arg), np.cos(arg)], axis=1)
    if cfg["flip_sin_to_cos"]:
        emb = np.concatenate([emb[:, half:], emb[:, :half]], axis=1)
    temb = lin("time_embedding.linear_2", silu(lin("time_embedding.linear_1", emb)))

    sample = conv("conv_in", x)
    stack = [sample]
    n = cfg["layers_per_block"]
    for i, kind in enumerate(cfg["down_block_types"]):
        for j in range(n):
            sample = resnet("down_blocks.%d.resnets.%d" % (i, j), sample, temb)
            if kind == "AttnDownBlock2D":
                sample = attention("down_blocks.%d.attentions.%d" % (i, j), sample)
            stack.append(sample)
        if i < len(boc) - 1:
            p = (0, 1, 0, 1) if pad == 0 else (pad,) * 4
            sample = conv("down_blocks.%d.downsamplers.0.conv" % i, sample, stride=2, pad=p)
            stack.append(sample)
    sample = resnet("mid_block.resnets.0", sample, temb, scale)
    sample = attention("mid_block.attentions.0", sample, scale)
    sample = resnet("mid_block.resnets.1", sample, temb, scale)
    for i, kind in enumerate(cfg["up_block_types"]):
        for j in range(n + 1):
            sample = np.concatenate([sample, stack.pop()], axis=1)
            sample = resnet("up_blocks.%d.resnets.%d" % (i, j), sample, temb)
            if kind == "AttnUpBlock2D":
                sample = attention("up_blocks.%d.attentions.%d" % (i, j), sample)
        if i < len(boc) - 1:
            sample = sample.repeat(2, axis=2).repeat(2, axis=3)  # F.interpolate(scale_factor=2, mode="nearest")
            sample = conv("up_blocks.%d.upsamplers.0.conv" % i, sample)
    assert not stack
    sample = conv("conv_out", silu(gn("conv_norm_out", sample)))
    sample.astype("<f4").tofile(outp)


if __name__ == "__main__":
    main()
