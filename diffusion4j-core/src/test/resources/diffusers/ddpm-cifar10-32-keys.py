#!/usr/bin/env python3
"""Writes ddpm-cifar10-32-keys.txt: every state-dict key and shape of diffusers' UNet2DModel built
from the published configuration of google/ddpm-cifar10-32. No diffusers or torch needed: the
walk below repeats, module by module and in registration order (= state_dict order), what
diffusers' source constructs (huggingface/diffusers, src/diffusers/models/unets/unet_2d.py
UNet2DModel.__init__; unet_2d_blocks.py DownBlock2D, AttnDownBlock2D, UNetMidBlock2D, UpBlock2D,
AttnUpBlock2D; resnet.py ResnetBlock2D; attention_processor.py Attention with group_norm, to_q,
to_k, to_v, to_out.0; embeddings.py TimestepEmbedding linear_1/linear_2; downsampling.py
Downsample2D(name="op") -> .conv; upsampling.py Upsample2D(name="conv") -> .conv).
It shares no code with diffusion4j. Run: python3 ddpm-cifar10-32-keys.py > ddpm-cifar10-32-keys.txt"""

CONFIG = {  # google/ddpm-cifar10-32 unet config.json (the keys that decide parameters)
    "in_channels": 3, "out_channels": 3, "block_out_channels": [128, 256, 256, 256],
    "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
    "layers_per_block": 2, "time_embedding_type": "positional",
}

keys = []


def add(name, *shape):
    keys.append((name, shape))


def linear(p, i, o):  # nn.Linear(i, o): weight [o, i], bias [o]
    add(p + ".weight", o, i)
    add(p + ".bias", o)


def conv(p, i, o, k):  # nn.Conv2d(i, o, k): weight [o, i, k, k], bias [o]
    add(p + ".weight", o, i, k, k)
    add(p + ".bias", o)


def group_norm(p, c):  # nn.GroupNorm(affine=True): weight [c], bias [c]
    add(p + ".weight", c)
    add(p + ".bias", c)


def resnet(p, i, o, temb):  # ResnetBlock2D: norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut (1x1 if i != o)
    group_norm(p + ".norm1", i)
    conv(p + ".conv1", i, o, 3)
    linear(p + ".time_emb_proj", temb, o)
    group_norm(p + ".norm2", o)
    conv(p + ".conv2", o, o, 3)
    if i != o:
        conv(p + ".conv_shortcut", i, o, 1)


def attention(p, c):  # Attention(c, heads=1, dim_head=c, norm_num_groups=32, bias=True): group_norm, to_q, to_k, to_v, to_out.0
    group_norm(p + ".group_norm", c)
    for n in ("to_q", "to_k", "to_v", "to_out.0"):
        linear(p + "." + n, c, c)


boc = CONFIG["block_out_channels"]
temb = boc[0] * 4
n = CONFIG["layers_per_block"]
conv("conv_in", CONFIG["in_channels"], boc[0], 3)
linear("time_embedding.linear_1", boc[0], temb)  # Timesteps has no parameters
linear("time_embedding.linear_2", temb, temb)
out = boc[0]
for i, t in enumerate(CONFIG["down_block_types"]):
    inp, out = out, boc[i]
    p = "down_blocks.%d" % i
    if t == "AttnDownBlock2D":  # self.attentions is registered before self.resnets
        for j in range(n):
            attention("%s.attentions.%d" % (p, j), out)
    for j in range(n):
        resnet("%s.resnets.%d" % (p, j), inp if j == 0 else out, out, temb)
    if i != len(boc) - 1:
        conv(p + ".downsamplers.0.conv", out, out, 3)
attention("mid_block.attentions.0", boc[-1])
resnet("mid_block.resnets.0", boc[-1], boc[-1], temb)
resnet("mid_block.resnets.1", boc[-1], boc[-1], temb)
rev = list(reversed(boc))
out = rev[0]
for i, t in enumerate(CONFIG["up_block_types"]):
    prev, out = out, rev[i]
    inp = rev[min(i + 1, len(boc) - 1)]
    p = "up_blocks.%d" % i
    if t == "AttnUpBlock2D":
        for j in range(n + 1):
            attention("%s.attentions.%d" % (p, j), out)
    for j in range(n + 1):
        skip = inp if j == n else out
        resnet("%s.resnets.%d" % (p, j), (prev if j == 0 else out) + skip, out, temb)
    if i != len(boc) - 1:
        conv(p + ".upsamplers.0.conv", out, out, 3)
group_norm("conv_norm_out", boc[0])
conv("conv_out", boc[0], CONFIG["out_channels"], 3)

total = 0
for _, s in keys:
    size = 1
    for d in s:
        size *= d
    total += size
print("# Every state-dict key and shape of diffusers' UNet2DModel for google/ddpm-cifar10-32.")
print("# Derived from diffusers' source by ddpm-cifar10-32-keys.py (beside this file; see its docstring),")
print("# a walk of UNet2DModel.__init__ for that configuration, in module registration order.")
print("# %d tensors, %d parameters. Format: key<TAB>shape (comma-separated)." % (len(keys), total))
for k, s in keys:
    print("%s\t%s" % (k, ",".join(str(d) for d in s)))
