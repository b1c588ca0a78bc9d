#!/usr/bin/python3
"""Trains dlcam's demo network: a small CNN that tells four shapes apart on cluttered images.

The data is synthetic and made here: 64×64 RGB images, each a smooth random colour gradient
with noise, a few distractor lines and soft blobs of random colours, and ONE object of random
colour, position and size (12…24 px): a circle, a square, a triangle or a cross. Colour never
tells the class, only the outline does, so a Grad-CAM map of a good network lights up the
object (tests/gradcam/test_shapes_localisation.cpp checks that it does).

The network has the MATLAB layout that gradCAM's default layer choice expects: four 3×3
convolutions (16, 32, 32, 64 filters) with batch norm and ReLU, 2×2 max pooling after the
first two, so the last ReLU is a 16×16×64 map, then global average pooling, a fully connected
layer and softmax. It takes raw pixel values 0…255 and divides by 255 itself (an ONNX Div by a
constant), so no scaling is needed outside.

Writes, in examples/shapes/ (or --out):
    model.onnx                 opset 13, input "input" N×3×64×64 (N dynamic), output "output"
                               N×4 class probabilities
    labels.txt                 the class names, one a line, in output order
    samples/<class>_<k>.png    2 images per class, drawn with a seed the training never saw
    samples/boxes.txt          "<file> <class index> <ymin> <xmin> <ymax> <xmax>" per sample,
                               0-based inclusive pixel rows and columns of the object
    README.md                  what all this is, with the accuracy and time of this run

Run with Debian's interpreter (python3-torch, numpy, PIL), on the CPU:
    /usr/bin/python3 tools/train_shapes_model.py [--out DIR]
Everything is seeded and torch runs on 2 threads, so reruns on one machine write the same
model and samples (only the time in README.md changes); it takes about two minutes on 2 cores.
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["circle", "square", "triangle", "cross"]
SIZE = 64          # image height and width
SUPERSAMPLE = 4    # subpixels per pixel edge when drawing, for anti-aliased outlines

SEED_TRAIN, SEED_TEST, SEED_SAMPLES, SEED_TORCH = 1, 2, 3, 4
TRAIN_IMAGES, TEST_IMAGES = 12000, 2000
EPOCHS, BATCH = 6, 64


# ---------------------------------------------------------------------------------------------
# Drawing. Coordinates are in pixels, x to the right and y down; pixel (y, x) covers the
# square [x, x+1) × [y, y+1), so its centre is (x + 0.5, y + 0.5).

_pix = np.arange(SIZE) + 0.5
PIX_Y, PIX_X = np.meshgrid(_pix, _pix, indexing="ij")    # pixel centres


def object_alpha(kind, cx, cy, size, angle):
    """Fraction of each pixel covered by one object (SIZE×SIZE): its outline fits a size×size
    square centred on (cx, cy) before it is turned by `angle` radians (circles do not turn).
    Pixels are split into SUPERSAMPLE² subpixels, tested only near the object."""
    reach = size / 2 * np.sqrt(2) + 1
    x0, y0 = max(int(cx - reach), 0), max(int(cy - reach), 0)
    x1, y1 = min(int(cx + reach) + 1, SIZE), min(int(cy + reach) + 1, SIZE)
    s = SUPERSAMPLE
    sy = y0 + (np.arange((y1 - y0) * s) + 0.5) / s
    sx = x0 + (np.arange((x1 - x0) * s) + 0.5) / s
    c, sn = np.cos(angle), np.sin(angle)
    u = c * (sx[None, :] - cx) + sn * (sy[:, None] - cy)      # object coordinates
    v = -sn * (sx[None, :] - cx) + c * (sy[:, None] - cy)
    h = size / 2
    if kind == "circle":
        inside = u * u + v * v <= h * h
    elif kind == "square":
        inside = (np.abs(u) <= h) & (np.abs(v) <= h)
    elif kind == "triangle":  # apex up, base at the bottom: inside all three edges
        inside = (v <= h) & (2 * u - v <= h) & (-2 * u - v <= h)
    elif kind == "cross":     # a plus sign with arms a third of the size thick
        t = size / 6
        inside = ((np.abs(u) <= h) & (np.abs(v) <= t)) | ((np.abs(u) <= t) & (np.abs(v) <= h))
    else:
        raise ValueError(kind)
    alpha = np.zeros((SIZE, SIZE))
    alpha[y0:y1, x0:x1] = inside.reshape(y1 - y0, s, x1 - x0, s).mean(axis=(1, 3))
    return alpha


def blend(img, alpha, colour):
    """Paints colour over img (h×w×3) with opacity alpha (h×w, 0…1)."""
    img += alpha[..., None] * (colour - img)


def background(rng):
    """A linear gradient between two random colours in a random direction."""
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    theta = rng.uniform(0, 2 * np.pi)
    t = np.cos(theta) * PIX_X + np.sin(theta) * PIX_Y
    t = (t - t.min()) / (t.max() - t.min())
    return c0 + t[..., None] * (c1 - c0)


def add_distractors(img, rng):
    """1–3 thin straight lines and 1–3 soft Gaussian blobs, each of a random colour."""
    for _ in range(rng.integers(1, 4)):
        (x0, y0), (x1, y1) = rng.uniform(0, SIZE, (2, 2))
        width = rng.uniform(1, 2.5)
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((PIX_X - x0) * dx + (PIX_Y - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
        dist = np.hypot(PIX_X - x0 - t * dx, PIX_Y - y0 - t * dy)
        blend(img, np.clip(width / 2 + 0.5 - dist, 0, 1), rng.uniform(0, 255, 3))
    for _ in range(rng.integers(1, 4)):
        x, y = rng.uniform(0, SIZE, 2)
        sigma = rng.uniform(2, 5)
        alpha = rng.uniform(0.5, 0.9) * np.exp(-((PIX_X - x) ** 2 + (PIX_Y - y) ** 2) / (2 * sigma**2))
        blend(img, alpha, rng.uniform(0, 255, 3))


def make_image(rng, label):
    """One image (64×64×3 uint8) with one object of class `label`, and the object's box
    (ymin, xmin, ymax, xmax): the pixels at least half covered by it, 0-based, inclusive."""
    img = background(rng)
    add_distractors(img, rng)
    size = rng.uniform(12, 24)
    angle = 0.0 if CLASSES[label] == "circle" else rng.uniform(-np.pi / 12, np.pi / 12)
    # Keep the turned outline inside the image with a margin of 2 px.
    reach = size / 2 * np.sqrt(2) + 2
    cx, cy = rng.uniform(reach, SIZE - reach, 2)
    alpha = object_alpha(CLASSES[label], cx, cy, size, angle)
    # The object's colour stands out from what lies under it, so every object is visible.
    under = (img * alpha[..., None]).sum(axis=(0, 1)) / alpha.sum()
    while True:
        colour = rng.uniform(0, 255, 3)
        if np.linalg.norm(colour - under) >= 110:
            break
    blend(img, alpha, colour)
    img += rng.normal(0, rng.uniform(4, 16), img.shape)
    ys, xs = np.nonzero(alpha >= 0.5)
    box = (ys.min(), xs.min(), ys.max(), xs.max())
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), box


def make_dataset(seed, count):
    """count images, classes in turn (balanced), as N×3×64×64 uint8, labels and boxes."""
    rng = np.random.default_rng(seed)
    images = np.empty((count, 3, SIZE, SIZE), np.uint8)
    labels = np.arange(count) % len(CLASSES)
    boxes = []
    for i in range(count):
        img, box = make_image(rng, labels[i])
        images[i] = img.transpose(2, 0, 1)
        boxes.append(box)
    return images, labels, boxes


# ---------------------------------------------------------------------------------------------
# The network.


class ShapesNet(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())

        self.block1, self.block2, self.block3, self.block4 = block(3, 16), block(16, 32), block(32, 32), block(32, 64)
        self.pool = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, len(CLASSES))

    def logits(self, x):
        x = x / 255.0                         # raw pixels in, the ONNX graph's Div
        x = self.pool(self.block1(x))         # 32×32×16
        x = self.pool(self.block2(x))         # 16×16×32
        x = self.block3(x)                    # 16×16×32
        x = self.block4(x)                    # 16×16×64: Grad-CAM's feature layer
        return self.fc(torch.flatten(self.gap(x), 1))

    def forward(self, x):
        return F.softmax(self.logits(x), dim=1)


def accuracy(model, images, labels):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model.logits(torch.from_numpy(images[i:i + 500]).float()).argmax(1)
                          for i in range(0, len(images), 500)])
    return (pred.numpy() == labels).mean()


def train(model, images, labels):
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)
    model.to(memory_format=torch.channels_last)   # about twice as fast on the CPU as N C H W
    steps = EPOCHS * (len(images) // BATCH)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(SEED_TORCH)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(images), generator=gen)
        total = 0.0
        for i in range(len(images) // BATCH):
            idx = order[i * BATCH:(i + 1) * BATCH]
            x = x_all[idx].float().contiguous(memory_format=torch.channels_last)
            if torch.rand(1, generator=gen).item() < 0.5:   # mirror: shapes keep their class
                x = x.flip(3)
            loss = F.cross_entropy(model.logits(x), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {total / (len(images) // BATCH):.4f}", flush=True)


# ---------------------------------------------------------------------------------------------
# Output files.


def export(model, path):
    model.to(memory_format=torch.contiguous_format).eval()
    torch.onnx.export(model, torch.zeros(1, 3, SIZE, SIZE), path, opset_version=13,
                      input_names=["input"], output_names=["output"], do_constant_folding=True,
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})


def write_samples(folder):
    """Two images per class from a seed of their own, and their boxes."""
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(SEED_SAMPLES)
    lines = []
    for label, name in enumerate(CLASSES):
        for k in range(2):
            img, (y0, x0, y1, x1) = make_image(rng, label)
            file = f"{name}_{k}.png"
            Image.fromarray(img).save(os.path.join(folder, file), optimize=True)
            lines.append(f"{file} {label} {y0} {x0} {y1} {x1}\n")
    with open(os.path.join(folder, "boxes.txt"), "w") as f:
        f.write("# file class_index ymin xmin ymax xmax (0-based, inclusive pixel rows and columns)\n")
        f.writelines(lines)


README = """# A small shapes classifier for Grad-CAM

dlcam's demo network, trained by the project itself (`tools/train_shapes_model.py`, no
downloaded weights or data): it tells four shapes apart on cluttered 64×64 colour images,
so its Grad-CAM maps can be checked against where the shape really is.

## The data

Each image is made by the script: a linear gradient between two random colours in a random
direction, one to three thin lines and one to three soft blobs of random colours, one object,
and Gaussian pixel noise (σ 4…16) over everything. The object is a `circle`, `square`,
`triangle` (apex up) or `cross` (a plus sign) of random colour, 12…24 px across, at a random
position, turned by up to ±15°, drawn anti-aliased. Its colour is random but always at least
110 (RGB distance) away from the background under it, so colour never tells the class.
{train} training and {test} test images, classes balanced, each set from its own seed.

## The network

Input N×3×64×64 (ONNX layout; dlcam reads it as 64×64×3 `SSCB`), **raw pixel values 0…255**:
the network divides by 255 itself, so `dlcam explain` and `gradCAM` need no scaling.

| layers | output (h×w×c) |
| --- | --- |
| ÷ 255 | 64×64×3 |
| conv 3×3 (16, same) → batch norm → ReLU → max pool 2 | 32×32×16 |
| conv 3×3 (32, same) → batch norm → ReLU → max pool 2 | 16×16×32 |
| conv 3×3 (32, same) → batch norm → ReLU | 16×16×32 |
| conv 3×3 (64, same) → batch norm → ReLU | 16×16×64 (Grad-CAM's default feature layer) |
| global average pooling → fully connected (4) → softmax | 4 |

Each unit of the last ReLU sees 26×26 input pixels, enough for a whole shape; with three
convolutions (18×18) training learned far more slowly. The ONNX file (opset 13, batch size
free, batch norms folded into the convolutions by the export) holds Div, Conv, Relu, MaxPool,
GlobalAveragePool, Flatten, Gemm and Softmax nodes: {params} parameters, {kb} KB.

## Training and accuracy

Adam with a one-cycle learning rate (peak 3e-3), batch {batch}, {epochs} epochs, random
left-right mirroring, on the CPU with 2 torch threads: **{acc:.2f} % test accuracy**
({test} images). Making the data and training took {seconds:.0f} s on 2 cores.

## Files

| file | contents |
| --- | --- |
| `model.onnx` | the trained network; output `output`, N×4 class probabilities |
| `labels.txt` | class names in output order |
| `samples/<class>_<k>.png` | 2 images per class, from a seed training and test never used |
| `samples/boxes.txt` | per sample: file, class index (0-based), the object's box `ymin xmin ymax xmax` (0-based, inclusive: the pixels at least half covered by the object) |

`tests/gradcam/test_shapes_localisation.cpp` checks that dlcam classifies every sample
correctly, that each Grad-CAM map peaks inside the object's box and is on average at least
twice as large inside it as outside, and that inside the box the true class's map is larger
than every other class's.

## Regenerate

    /usr/bin/python3 tools/train_shapes_model.py

Everything is seeded and torch runs on 2 threads, so reruns on one machine write the same
model and samples (only the time above changes).
"""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "examples", "shapes"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(SEED_TORCH)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    start = time.time()
    train_x, train_y, _ = make_dataset(SEED_TRAIN, TRAIN_IMAGES)
    test_x, test_y, _ = make_dataset(SEED_TEST, TEST_IMAGES)
    print(f"data: {TRAIN_IMAGES} training, {TEST_IMAGES} test images in {time.time() - start:.1f} s", flush=True)

    model = ShapesNet()
    train(model, train_x, train_y)
    seconds = time.time() - start
    acc = 100 * accuracy(model, test_x, test_y)
    print(f"test accuracy {acc:.2f} %, data and training took {seconds:.1f} s")

    model_path = os.path.join(args.out, "model.onnx")
    export(model, model_path)
    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write("".join(name + "\n" for name in CLASSES))
    write_samples(os.path.join(args.out, "samples"))
    params = sum(p.numel() for p in model.parameters())
    kb = os.path.getsize(model_path) / 1024
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(README.format(train=TRAIN_IMAGES, test=TEST_IMAGES, params=params, kb=round(kb),
                              batch=BATCH, epochs=EPOCHS, acc=acc, seconds=seconds))
    print(f"wrote {args.out}: model.onnx ({kb:.0f} KB), labels.txt, samples/, README.md")


if __name__ == "__main__":
    main()
