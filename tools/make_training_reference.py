#!/usr/bin/env python3
"""PyTorch reference data for dlcam's training: losses, gradients and optimiser steps.

Writes tests/fixtures/training/, which tests/training/test_training_reference.cpp compares
dlcam against (an implementation written by other people, so a shared misreading of a
convention shows up). Rerun only to regenerate the committed fixtures:

    /usr/bin/python3 tools/make_training_reference.py [--out DIR]

Needs python3-torch and numpy (Debian's interpreter). Deterministic: fixed seeds, one torch
thread, float64 throughout; a rerun writes identical files.

The net (dlcam layer names in brackets):

    input 12×12×3 → conv 3×3, 3→6, pad 1, no bias [conv_1] → BatchNorm2d [batchnorm_1] → ReLU
    → MaxPool 2 [maxpool] → conv 3×3, 6→8, pad 1, no bias [conv_2] → BatchNorm2d [batchnorm_2]
    → ReLU → global average pool [gap] → flatten → Linear(8 → 5) [fc] (→ softmax in dlcam)

The convolutions have no bias: a bias just before a batch normalisation has no effect and a
zero gradient, which tests nothing. The channel counts differ (3, 6, 8, 5) so that a swapped
dimension cannot pass. Weights start from torch's own initialisation; every BatchNorm then
gets weight ~ U(0.5, 1.5), bias ~ N(0, 0.2), running_mean ~ N(0, 0.5), running_var ~ U(0.5, 2),
so that a mix-up between them shows.

Files, all float64 .npy in dlcam's (MATLAB's) index order: a[i, j, k, l] is dlcam's element
(i, j, k, l), so dlcam reads them with readNpy(path, NpyIndexing::Same) and needs no permute.

    batch_1/, batch_2/     the two mini-batches of 8 observations
        inputs.npy         12×12×3×8, h×w×c×n ("SSCB"; PyTorch's N×C×H×W transposed (2, 3, 1, 0))
        labels.npy         (8,) int64, 0-based classes in [0, 5)
        responses.npy      1×8 ("CB"; PyTorch's N×1 transposed): regression targets
    classification/        5 classes, torch.nn.CrossEntropyLoss (mean over the batch)
        initial/           the starting point: <layer>.<Parameter>.npy for every learnable
                           (conv_1.Weights, batchnorm_1.Offset, batchnorm_1.Scale, conv_2.Weights,
                           batchnorm_2.Offset, batchnorm_2.Scale, fc.Weights, fc.Bias) and every
                           state (batchnorm_k.TrainedMean, batchnorm_k.TrainedVariance)
        loss.npy           () the loss of batch_1 at the initial state, training mode
        gradients/         <layer>.<Parameter>.npy: d loss / d learnable for that loss
        sgdm/              torch.optim.SGD(lr=0.05, momentum=0.9), weight_decay 1e-3 on the
                           conv and linear weights only (param groups; dlcam's l2Regularization
                           applies to "Weights" learnables only)
            losses.npy     (2,) the loss of batch_1 before step 1 and of batch_2 before step 2
            step_1/        every learnable and state after the step on batch_1
            step_2/        after the second step, on batch_2 (momentum acts from here on)
        adam/              torch.optim.Adam(lr=0.01), no weight decay; the same files
    regression/            the same trunk with Linear(8 → 1) and no softmax; its own weights
        initial/, gradients/, loss.npy   as above with torch.nn.MSELoss (mean): NOT halved
        sgdm/              as above, but the steps minimise 0.5·MSELoss, which is dlcam's
                           meanSquaredError (MATLAB's mse: half the mean over observations of
                           the squared error summed over responses), so dlcam's steps must
                           reproduce these weights exactly

Layouts (PyTorch → dlcam): conv weights F×C×kh×kw → kh×kw×C×F (transpose (2, 3, 1, 0));
Linear weights O×I stay O×I (the input after global pooling is 1×1×8, so the flattening
order does not matter); biases, BatchNorm parameters and statistics stay vectors.
BatchNorm: PyTorch momentum 0.1 is dlcam's meanDecay and varianceDecay 0.1; both update the
running variance with the unbiased batch variance and normalise with the biased one; eps 1e-5.
"""
import argparse
import os
import shutil

import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "fixtures", "training")

BATCH = 8
CLASSES = 5
SIZE = 12
SGDM = dict(lr=0.05, momentum=0.9)
WEIGHT_DECAY = 1e-3
ADAM = dict(lr=1e-2)


class SmallNet(nn.Module):
    def __init__(self, outputs):
        super().__init__()
        self.conv_1 = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.batchnorm_1 = nn.BatchNorm2d(6)
        self.maxpool = nn.MaxPool2d(2)
        self.conv_2 = nn.Conv2d(6, 8, 3, padding=1, bias=False)
        self.batchnorm_2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, outputs)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.batchnorm_1(self.conv_1(x))))
        x = torch.relu(self.batchnorm_2(self.conv_2(x)))
        return self.fc(x.mean(dim=(2, 3)))


def conv_weight(t):
    return t.permute(2, 3, 1, 0)


def as_is(t):
    return t


# dlcam name → (torch parameter or buffer name, layout conversion). Learnables first, in
# dlcam's learnables(net) order.
LEARNABLES = {
    "conv_1.Weights": ("conv_1.weight", conv_weight),
    "batchnorm_1.Offset": ("batchnorm_1.bias", as_is),
    "batchnorm_1.Scale": ("batchnorm_1.weight", as_is),
    "conv_2.Weights": ("conv_2.weight", conv_weight),
    "batchnorm_2.Offset": ("batchnorm_2.bias", as_is),
    "batchnorm_2.Scale": ("batchnorm_2.weight", as_is),
    "fc.Weights": ("fc.weight", as_is),
    "fc.Bias": ("fc.bias", as_is),
}
STATES = {
    "batchnorm_1.TrainedMean": ("batchnorm_1.running_mean", as_is),
    "batchnorm_1.TrainedVariance": ("batchnorm_1.running_var", as_is),
    "batchnorm_2.TrainedMean": ("batchnorm_2.running_mean", as_is),
    "batchnorm_2.TrainedVariance": ("batchnorm_2.running_var", as_is),
}
DECAYED = {"conv_1.weight", "conv_2.weight", "fc.weight"}


def make_net(outputs, seed):
    torch.manual_seed(seed)
    net = SmallNet(outputs)
    with torch.no_grad():
        for bn in (net.batchnorm_1, net.batchnorm_2):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.2)
            bn.running_mean.normal_(0.0, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    return net.train()


def make_batches(seed):
    gen = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(2):
        batches.append(dict(
            inputs=torch.randn(BATCH, 3, SIZE, SIZE, generator=gen),
            labels=torch.randint(0, CLASSES, (BATCH,), generator=gen),
            responses=torch.randn(BATCH, 1, generator=gen),
        ))
    return batches


def save(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array))


def save_tensors(folder, tensors, names):
    for name, (source, convert) in names.items():
        save(os.path.join(folder, name + ".npy"), convert(tensors[source]).detach().numpy())


def snapshot(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def param_groups(net, weight_decay):
    decayed = [p for n, p in net.named_parameters() if n in DECAYED]
    others = [p for n, p in net.named_parameters() if n not in DECAYED]
    return [dict(params=decayed, weight_decay=weight_decay), dict(params=others, weight_decay=0.0)]


def train_two_steps(initial, outputs, make_optimizer, loss_of, batches, folder):
    """Two optimiser steps from `initial`, one per batch; writes losses.npy and step_k/."""
    net = SmallNet(outputs).train()
    net.load_state_dict(initial)
    optimizer = make_optimizer(net)
    losses = []
    for k, batch in enumerate(batches, start=1):
        optimizer.zero_grad()
        loss = loss_of(net(batch["inputs"]), batch)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        state = snapshot(net)
        save_tensors(os.path.join(folder, "step_%d" % k), state, {**LEARNABLES, **STATES})
    save(os.path.join(folder, "losses.npy"), np.array(losses))
    return losses


def write_case(out, name, outputs, seed, loss_of, step_loss_of, batches, runs):
    folder = os.path.join(out, name)
    net = make_net(outputs, seed)
    initial = snapshot(net)
    save_tensors(os.path.join(folder, "initial"), initial, {**LEARNABLES, **STATES})

    loss = loss_of(net(batches[0]["inputs"]), batches[0])
    loss.backward()
    params = dict(net.named_parameters())
    save_tensors(os.path.join(folder, "gradients"), {n: p.grad for n, p in params.items()}, LEARNABLES)
    save(os.path.join(folder, "loss.npy"), np.array(loss.item()))
    print("%s: loss %.6f" % (name, loss.item()))

    for run, make_optimizer in runs.items():
        losses = train_two_steps(initial, outputs, make_optimizer, step_loss_of, batches, os.path.join(folder, run))
        print("  %s: losses %s" % (run, ", ".join("%.6f" % v for v in losses)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args()

    batches = make_batches(20240611)
    for name in ("batch_1", "batch_2", "classification", "regression"):
        shutil.rmtree(os.path.join(args.out, name), ignore_errors=True)
    for k, batch in enumerate(batches, start=1):
        folder = os.path.join(args.out, "batch_%d" % k)
        save(os.path.join(folder, "inputs.npy"), batch["inputs"].permute(2, 3, 1, 0).numpy())
        save(os.path.join(folder, "labels.npy"), batch["labels"].numpy().astype(np.int64))
        save(os.path.join(folder, "responses.npy"), batch["responses"].t().numpy())

    cross_entropy = nn.CrossEntropyLoss()

    def classification_loss(scores, batch):
        return cross_entropy(scores, batch["labels"])

    write_case(args.out, "classification", CLASSES, 1, classification_loss, classification_loss, batches, {
        "sgdm": lambda net: torch.optim.SGD(param_groups(net, WEIGHT_DECAY), **SGDM),
        "adam": lambda net: torch.optim.Adam(net.parameters(), **ADAM),
    })

    mse = nn.MSELoss()

    def regression_loss(predictions, batch):
        return mse(predictions, batch["responses"])

    def half_regression_loss(predictions, batch):
        return 0.5 * mse(predictions, batch["responses"])

    write_case(args.out, "regression", 1, 2, regression_loss, half_regression_loss, batches, {
        "sgdm": lambda net: torch.optim.SGD(param_groups(net, WEIGHT_DECAY), **SGDM),
    })

    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print("wrote %s (%.0f KB)" % (args.out, total / 1024))


if __name__ == "__main__":
    main()
