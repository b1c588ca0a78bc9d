#!/usr/bin/python3
"""Exports PyTorch networks to ONNX with reference inputs and outputs for dlcam's importer.

For each network it writes <out>/<net>/ with
    model.onnx   torch.onnx.export, eval mode, do_constant_folding=True, graph input "input",
                 output "output", torch 1.13's scoped node names ("/layer1/layer1.0/conv1/Conv")
    input.npy    float32, the model's own layout (N C L, N C H W, N C D H W or N C)
    output.npy   float64: the model run in float64 (a double copy) on the same input

Weights are random, batch-norm statistics non-trivial (running_mean ~ N(0, 0.5), running_var ~
U(0.5, 2), affine weight ~ U(0.5, 1.5), bias ~ N(0, 0.2); LayerNorm's affine parameters are
drawn the same way), and every net is seeded on its own, so each run writes the same files.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14, python3-onnx 1.12):
    /usr/bin/python3 tools/export_torch_models.py --out DIR [--set small|full|all] [--list]
The "small" set is committed under tests/fixtures/onnx_nets/; "full" (torchvision resnet18,
squeezenet1_1, mobilenet_v2, about 68 MB together) is generated when needed. See tools/README.md.
"""
import argparse
import collections
import inspect
import os
import sys
import warnings
import zlib

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------
# The small nets: each covers a family of ops the importer must map.


class SeqCausalLN(nn.Module):
    """Sequence data (N C L): causal dilated Conv1d (left Pad), LayerNorm over channels between
    two Transposes, ReLU, a second Conv1d, a mean over time (ReduceMean), Linear (Gemm)."""

    def __init__(self, channels=4, hidden=6, classes=5):
        super().__init__()
        self.dilation, self.kernel = 2, 3
        self.conv1 = nn.Conv1d(channels, hidden, self.kernel, dilation=self.dilation)
        self.norm = nn.LayerNorm(hidden)
        self.conv2 = nn.Conv1d(hidden, hidden, 3, padding=1)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        x = F.pad(x, ((self.kernel - 1) * self.dilation, 0))  # causal: pad the past only
        x = self.conv1(x)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        x = F.relu(x)
        x = self.conv2(x)
        x = x.mean(dim=2)
        return self.fc(x)


class Conv3dBnPool(nn.Module):
    """Volumes (N C D H W): Conv3d with padding, BatchNorm3d, ReLU, MaxPool3d, a strided padded
    Conv3d, AvgPool3d with padding counted (count_include_pad=True), Flatten, Linear."""

    def __init__(self, channels=3, classes=3):
        super().__init__()
        self.conv1 = nn.Conv3d(channels, 4, 3, padding=1)
        self.bn = nn.BatchNorm3d(4)
        self.pool1 = nn.MaxPool3d(2)
        self.conv2 = nn.Conv3d(4, 6, 3, stride=2, padding=1)
        self.pool2 = nn.AvgPool3d(2, stride=2, padding=1, count_include_pad=True)
        self.fc = nn.Linear(6 * 2 * 2 * 2, classes)

    def forward(self, x):  # 9x10x11 -> 4x5x5 -> 2x3x3 -> 2x2x2
        x = self.pool1(F.relu(self.bn(self.conv1(x))))
        x = self.pool2(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


class GroupedDepthwise(nn.Module):
    """Images (N C H W), odd sizes: grouped strided Conv2d, BatchNorm, LeakyReLU(0.1), depthwise
    Conv2d, ReLU6 (Clip), MaxPool2d with ceil_mode, Hardswish, AvgPool2d with padding not
    counted (count_include_pad=False), global average pool, Flatten, Linear, Softmax."""

    def __init__(self, channels=4, width=8, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 3, stride=2, padding=1, groups=2)
        self.bn = nn.BatchNorm2d(width)
        self.act1 = nn.LeakyReLU(0.1)
        self.dw = nn.Conv2d(width, width, 3, stride=2, padding=1, groups=width)
        self.act2 = nn.ReLU6()
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.act3 = nn.Hardswish()
        self.pool2 = nn.AvgPool2d(2, padding=1, count_include_pad=False)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, classes)

    def forward(self, x):  # 33x29 -> 17x15 -> 9x8 -> 4x4 -> 3x3 -> 1x1
        x = self.act1(self.bn(self.conv1(x)))
        x = self.pool1(self.act2(self.dw(x)))
        x = self.pool2(self.act3(x))
        x = torch.flatten(self.gap(x), 1)
        return torch.softmax(self.fc(x), dim=1)


class ResidualConcatRegression(nn.Module):
    """A DAG (N C H W): a stem conv feeding two branches (Conv-BN-ReLU, and Conv then a
    tanh*sigmoid gate), Concat on channels, a residual Add with a 1x1 projection, HardSigmoid,
    global max pooling (AdaptiveMaxPool2d(1)), x.view(x.size(0), -1) (a Shape/Gather/Unsqueeze/
    Concat/Reshape subgraph) and a one-output regression head (no softmax): output N x 1."""

    def __init__(self, channels=3, stem=6, branch=4):
        super().__init__()
        self.stem = nn.Conv2d(channels, stem, 3, padding=1)
        self.conv_a = nn.Conv2d(stem, branch, 3, padding=1)
        self.bn_a = nn.BatchNorm2d(branch)
        self.conv_b = nn.Conv2d(stem, branch, 1)
        self.proj = nn.Conv2d(stem, 2 * branch, 1)
        self.act = nn.Hardsigmoid()
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.head = nn.Linear(2 * branch, 1)

    def forward(self, x):
        s = self.stem(x)
        a = F.relu(self.bn_a(self.conv_a(s)))
        b = self.conv_b(s)
        b = torch.tanh(b) * torch.sigmoid(b)
        y = torch.cat([a, b], dim=1) + self.proj(s)
        y = self.pool(self.act(y))
        y = y.view(y.size(0), -1)
        return self.head(y)


class MlpOps(nn.Module):
    """Feature vectors (N C): Linear (Gemm), Tanh, x @ W (MatMul) + b (Add), Sigmoid, Mul / Div /
    Sub by constants, Dropout, LogSoftmax. torch 1.13 drops eval-mode Dropout from the graph, so
    the export inserts an ONNX Dropout node (ratio input, no training_mode: inference) where it
    was; the output does not change."""

    def __init__(self, features=10, hidden=12, classes=7):
        super().__init__()
        self.fc = nn.Linear(features, hidden)
        self.weight = nn.Parameter(torch.randn(hidden, classes) * 0.5)
        self.bias = nn.Parameter(torch.randn(classes) * 0.2)
        self.dropout = nn.Dropout(0.3)

    def forward(self, x):
        x = torch.tanh(self.fc(x))
        x = torch.sigmoid(x @ self.weight + self.bias)
        x = (x * 2.5) / 1.5 - 0.25
        x = self.dropout(x)
        return torch.log_softmax(x, dim=1)


def insert_dropout(model, before_output="output", ratio=0.3):
    """Inserts an inference-mode Dropout (an identity) on the first input of the node that
    produces `before_output` (LogSoftmax in mlp_ops): torch drops eval-mode Dropout."""
    graph = model.graph
    last = [n for n in graph.node if before_output in n.output][0]
    source = last.input[0]
    ratio_name = "/dropout/ratio"
    graph.initializer.append(onnx.numpy_helper.from_array(np.array(ratio, dtype=np.float32), ratio_name))
    node = onnx.helper.make_node("Dropout", [source, ratio_name], ["/dropout/Dropout_output_0"],
                                 name="/dropout/Dropout")
    last.input[0] = node.output[0]
    index = list(graph.node).index(last)
    graph.node.insert(index, node)


# ---------------------------------------------------------------------------------------------
# The registry: name -> NetSpec.
#   build        () -> nn.Module
#   shape        the input's shape, in the model's own layout
#   opsets       tried in order until the export succeeds
#   options      extra torch.onnx.export arguments
#   postprocess  (onnx.ModelProto) -> None, edits the exported graph in place

NetSpec = collections.namedtuple("NetSpec", "build shape opsets options postprocess", defaults=({}, None))


def _torchvision(name):
    def build():
        import torchvision.models as models

        return getattr(models, name)(weights=None)

    return build


SMALL = {
    "seq_causal_ln": NetSpec(SeqCausalLN, (2, 4, 23), [17]),
    # In eval mode torch folds a BatchNorm that follows a Conv into the Conv's weights (as it
    # does in all the other nets); PRESERVE mode on the eval-mode model keeps this one as an
    # inference BatchNormalization node, so that the importer's BN path is exercised too.
    "conv3d_bn_pool": NetSpec(Conv3dBnPool, (2, 3, 9, 10, 11), [13],
                              {"training": torch.onnx.TrainingMode.PRESERVE}),
    "grouped_depthwise": NetSpec(GroupedDepthwise, (2, 4, 33, 29), [11]),
    # A dynamic batch dim ("N"): with static shapes torch folds x.view(x.size(0), -1) into one
    # constant Reshape; a symbolic batch keeps the Shape/Gather/Unsqueeze/Concat subgraph.
    "residual_concat_regression": NetSpec(ResidualConcatRegression, (2, 3, 17, 15), [9, 11],
                                          {"dynamic_axes": {"input": {0: "N"}, "output": {0: "N"}}}),
    "mlp_ops": NetSpec(MlpOps, (3, 10), [13], {}, insert_dropout),
}
FULL = {
    "resnet18": NetSpec(_torchvision("resnet18"), (1, 3, 224, 224), [11]),
    "squeezenet1_1": NetSpec(_torchvision("squeezenet1_1"), (1, 3, 224, 224), [13]),
    "mobilenet_v2": NetSpec(_torchvision("mobilenet_v2"), (1, 3, 224, 224), [17]),
}
SETS = {"small": SMALL, "full": FULL, "all": {**SMALL, **FULL}}


def randomize_norms(model):
    """Non-trivial normalisation statistics and affine parameters (fresh ones are 0/1, which
    would hide a mean/variance or scale/shift mix-up in the importer)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0.0, 0.5)
                m.running_var.uniform_(0.5, 2.0)
            if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)) and m.weight is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)


# torch 2.9 and later export with the dynamo exporter by default; these graphs (and the tests
# that import them) come from the TorchScript exporter, which torch 1.13 (Debian's) always uses.
TORCHSCRIPT_EXPORTER = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


def build(name, spec=None):
    """The net `name` as export() writes it: (model, x), the seeded model (random weights,
    randomized norms, eval mode, float32) and its float32 input in the model's own layout.
    tools/gradcam_reference.py rebuilds the nets with it."""
    spec = spec or SETS["all"][name]
    # One seed per net, from its name: a net's files do not depend on which others are exported.
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    np.random.seed(seed)

    model = spec.build()
    randomize_norms(model)
    model.eval()
    x = torch.randn(*spec.shape)
    return model, x


def export(name, spec, out_dir):
    model, x = build(name, spec)
    with torch.no_grad():
        y32 = model(x)
        y64 = model.double()(x.double())  # model is a throwaway: converting it in place is fine
        model.float()

    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    opset, errors = None, []
    for candidate in spec.opsets:
        try:
            torch.onnx.export(model, x, path, opset_version=candidate, do_constant_folding=True,
                              input_names=["input"], output_names=["output"], **TORCHSCRIPT_EXPORTER,
                              **spec.options)
            opset = candidate
            break
        except Exception as e:  # an op without a symbolic at this opset: try the next one
            errors.append(f"opset {candidate}: {type(e).__name__}: {str(e).splitlines()[0]}")
    if opset is None:
        raise RuntimeError(f"{name}: export failed at every opset: {errors}")

    model_proto = onnx.load(path)
    if spec.postprocess:
        spec.postprocess(model_proto)
        onnx.save(model_proto, path)
    onnx.checker.check_model(model_proto, full_check=True)

    np.save(os.path.join(folder, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(folder, "output.npy"), y64.numpy().astype(np.float64))

    ops = collections.Counter(n.op_type for n in model_proto.graph.node)
    size = os.path.getsize(path)
    diff = (y32.double() - y64).abs().max().item()
    print(f"{name}: opset {opset}, {len(model_proto.graph.node)} nodes, {size} bytes model.onnx, "
          f"input {list(spec.shape)}, output {list(y64.shape)}, max|float32 - float64| {diff:.2e}")
    for skipped in errors:
        print(f"  (not exported at {skipped})")
    print("  ops: " + ", ".join(f"{op} x{count}" for op, count in sorted(ops.items())))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output folder; one sub-folder per net")
    parser.add_argument("--set", choices=sorted(SETS), default="small", help="which nets (default small)")
    parser.add_argument("--list", action="store_true", help="print the nets of the set and exit")
    args = parser.parse_args(argv)
    nets = SETS[args.set]
    if args.list:
        for name, spec in nets.items():
            print(f"{name}  input {list(spec.shape)}  opset {spec.opsets[0]}")
        return 0
    if not args.out:
        parser.error("--out is required (unless --list)")
    # torch 1.13's exporter warns about its own internals (unfoldable Slice steps, Constant
    # shape inference, folding in PRESERVE mode); the summary below is what matters.
    warnings.filterwarnings("ignore", category=UserWarning)
    for name, spec in nets.items():
        export(name, spec, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
