#!/usr/bin/python3
"""Grad-CAM reference maps made with PyTorch autograd, for dlcam's gradCAM tests.

For the nets of tools/export_torch_models.py (rebuilt with its build(), so the very weights of
the exported model.onnx) it computes, in float64, MATLAB's gradCAM (shared/spec/
gradCAM-reference.txt):

    score_c = Y[:, c] summed over Y's spatial/time dims (or a reduction function of Y)
    alpha_k = d(score_c)/dA_k averaged over A's spatial/time dims
    map     = ReLU(sum_k alpha_k A_k)

A is the feature layer's activation and Y the reduction layer's, both taken with hooks on the
torch modules whose output is exactly the ONNX node's output. The map is upsampled to the
input's size by this script's own numpy transcription of MATLAB's imresize / imresize3
algorithm (not by dlcam, not by torch), checked against outputs MATLAB printed (--self-test).

    /usr/bin/python3 tools/gradcam_reference.py [--set small|full] [--exports DIR] [--out DIR]
    /usr/bin/python3 tools/gradcam_reference.py --self-test

small: reads tests/fixtures/onnx_nets/<net>/, writes tests/fixtures/gradcam/<net>/ (committed).
full:  reads build/torch_exports/<net>/, writes build/torch_exports/<net>/gradcam/.
Each folder gets cases.txt (one case a line, described in its header) and, per case,
<case>.map.npy and <case>.scores.npy. See tools/README.md.
"""
import argparse
import collections
import copy
import functools
import os
import sys
import warnings

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torch_models as exporter  # noqa: E402  (the same nets, seeds and inputs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------------------------
# MATLAB imresize / imresize3, transcribed from the algorithm MATLAB documents: a separable
# resize, one dimension at a time, each output sample a weighted sum of a few input samples.


def cubic(x):
    """Keys' cubic convolution kernel, a = -0.5 (imresize 'bicubic', imresize3 'cubic')."""
    ax = np.abs(x)
    return ((1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1)
            + (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * ((1 < ax) & (ax <= 2)))


def box(x):
    """The box kernel of 'nearest': 1 on [-0.5, 0.5)."""
    return ((-0.5 <= x) & (x < 0.5)).astype(np.float64)


# method -> (kernel, kernel width, antialiasing by default: MATLAB antialiases all but nearest)
METHODS = {"bicubic": (cubic, 4.0, True), "cubic": (cubic, 4.0, True), "nearest": (box, 1.0, False)}


def contributions(in_length, out_length, kernel, width, antialiasing):
    """Weights and 1-based input indices (out_length x taps) of one dimension's resize."""
    scale = out_length / in_length
    if scale < 1 and antialiasing:  # shrinking: a wider, flatter kernel also low-pass filters
        h = lambda d: scale * kernel(scale * d)  # noqa: E731
        width = width / scale
    else:
        h = kernel
    x = np.arange(1, out_length + 1, dtype=np.float64)[:, None]  # output samples, 1-based
    u = x / scale + 0.5 * (1 - 1 / scale)  # where they fall in the input (0.5 maps to 0.5)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    indices = left + np.arange(taps)
    weights = h(u - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    indices = np.clip(indices, 1, in_length).astype(np.int64)  # replicate the end samples
    used = np.any(weights != 0, axis=0)  # drop taps that are zero in every row
    return weights[:, used], indices[:, used]


def resize_along(a, axis, weights, indices):
    shape = [1] * a.ndim
    shape[axis] = weights.shape[0]
    out = np.zeros(a.shape[:axis] + (weights.shape[0],) + a.shape[axis + 1:])
    for p in range(weights.shape[1]):
        out += weights[:, p].reshape(shape) * np.take(a, indices[:, p] - 1, axis=axis)
    return out


def resize(a, size, method, antialiasing=None):
    """Resizes the first len(size) dims of `a` to `size`; further dims (maps of several
    targets or observations) are carried along, as imresize does with an image's channels."""
    kernel, width, default_aa = METHODS[method]
    aa = default_aa if antialiasing is None else antialiasing
    a = np.asarray(a, dtype=np.float64)
    scales = [size[d] / a.shape[d] for d in range(len(size))]
    for d in np.argsort(scales, kind="stable"):  # MATLAB's order: the smallest scale first
        weights, indices = contributions(a.shape[d], size[d], kernel, width, aa)
        a = resize_along(a, int(d), weights, indices)
    return a


def imresize(a, size, method="bicubic", antialiasing=None):
    """MATLAB imresize(a, [rows cols], method): 'bicubic' or 'nearest'."""
    assert len(size) == 2 and method in ("bicubic", "nearest")
    return resize(a, size, method, antialiasing)


def imresize3(v, size, method="cubic", antialiasing=None):
    """MATLAB imresize3(v, [rows cols pages], method): 'cubic' or 'nearest'."""
    assert len(size) == 3 and method in ("cubic", "nearest")
    return resize(v, size, method, antialiasing)


def self_test():
    """Checks the resize against outputs MATLAB printed and against hand-computed values.
    Returns a list of (check, passed, detail)."""
    results = []

    def check(what, ok, detail=""):
        results.append((what, bool(ok), detail))

    # MATLAB prints imresize([1 2], [1 4]) as 0.9297 1.2031 1.7969 2.0703. By hand (u = 0.75,
    # 1.25, 1.75, 2.25; Keys weights .8671875, .2265625, -.0703125, -.0234375; the index -1 reads
    # sample 1): 0.9296875 1.203125 1.796875 2.0703125.
    got = imresize(np.array([[1.0, 2.0]]), [1, 4])
    check("imresize([1 2],[1 4]) = 0.9297 1.2031 1.7969 2.0703 (MATLAB, 4 decimals)",
          np.array_equal(np.round(got, 4), [[0.9297, 1.2031, 1.7969, 2.0703]]), f"{got.ravel()}")
    check("imresize([1 2],[1 4]) = 0.9296875 1.203125 1.796875 2.0703125 (by hand)",
          np.abs(got - [[0.9296875, 1.203125, 1.796875, 2.0703125]]).max() < 1e-15)

    # imresize(A, 2) of a 4x4 matrix, 'bicubic': the 8x8 result MATLAB printed (4 decimals) in a
    # MathWorks answer on how imresize treats borders (it replicates the end samples).
    a = np.array([[3, 1, 2, 6], [1, 5, 2, 7], [1, 3, 6, 2], [4, 1, 9, 2]], dtype=np.float64)
    b = np.array([[3.3109, 2.6187, 1.1206, 0.7166, 1.4067, 2.8883, 5.1615, 6.2060],
                  [2.6454, 2.4435, 2.0052, 1.7138, 1.5692, 2.8062, 5.4248, 6.6307],
                  [1.2008, 2.0609, 3.9181, 3.8763, 1.9355, 2.6382, 5.9844, 7.5302],
                  [0.4985, 1.6796, 4.2357, 4.6921, 3.0489, 3.2618, 5.3307, 6.2876],
                  [0.5384, 1.2996, 2.9579, 4.1612, 4.9094, 4.6769, 3.4639, 2.9028],
                  [1.5500, 1.6768, 1.9697, 3.5367, 6.3776, 6.1378, 2.8173, 1.2798],
                  [3.5334, 2.8110, 1.2710, 2.8185, 7.4537, 7.6444, 3.3907, 1.4186],
                  [4.4466, 3.3344, 0.9529, 2.4891, 7.9430, 8.3334, 3.6605, 1.4930]])
    got = imresize(a, [8, 8])
    check("imresize(4x4, [8 8]) = MATLAB's printed 8x8 (4 decimals)", np.array_equal(np.round(got, 4), b),
          f"max |diff| {np.abs(got - b).max():.2e}")

    # Shrinking antialiases (scale 1/2: kernel 0.5*k(x/2), width 8). By hand for output 1:
    # u = 1.5, taps -2..5 with Keys weights k(1.75) k(1.25) k(.75) k(.25) k(.25) k(.75) k(1.25)
    # k(1.75), summing to 2; indices clamp to 1 1 1 1 2 3 4 4:
    # (1.0 + 2 * .8671875 + 3 * .2265625 + 4 * (-.09375)) / 2 = 1.51953125; output 2 by symmetry.
    got = imresize(np.array([[1.0, 2.0, 3.0, 4.0]]), [1, 2])
    check("imresize([1 2 3 4],[1 2]) = 1.51953125 3.48046875 (by hand, antialiased)",
          np.abs(got - [[1.51953125, 3.48046875]]).max() < 1e-15, f"{got.ravel()}")

    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 5, 2))
    got = imresize(a, [6, 10], "nearest")
    check("nearest 2x duplicates each sample (imresize, each channel)",
          np.array_equal(got, a.repeat(2, axis=0).repeat(2, axis=1)))
    v = rng.standard_normal((2, 3, 4))
    check("nearest 2x duplicates each sample (imresize3)",
          np.array_equal(imresize3(v, [4, 6, 8], "nearest"), v.repeat(2, 0).repeat(2, 1).repeat(2, 2)))
    check("bicubic at the same size is the identity", np.array_equal(imresize(a, [3, 5]), a))
    check("a constant stays constant (enlarging and shrinking)",
          np.abs(imresize3(np.full((3, 4, 5), 2.5), [7, 2, 9]) - 2.5).max() < 1e-14)
    # A separable volume: the 3-D resize is the outer product of the 1-D resizes.
    p, q, r = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(2)
    one = lambda s, n: imresize(s[None, :], [1, n])[0]  # noqa: E731
    outer = np.einsum("i,j,k->ijk", one(p, 7), one(q, 3), one(r, 5))
    check("imresize3 'cubic' = imresize per dimension (separable volume)",
          np.abs(imresize3(np.einsum("i,j,k->ijk", p, q, r), [7, 3, 5]) - outer).max() < 1e-14)
    return results


# ---------------------------------------------------------------------------------------------
# Grad-CAM with PyTorch autograd.

# Where an ONNX node's output is in the torch model: the output of a module, or its first
# input (for functional ops such as F.relu or F.pad, the next module's input). Module "" is
# the model itself.
Point = collections.namedtuple("Point", "module where")


def out(module=""):
    return Point(module, "output")


def inp(module):
    return Point(module, "input")


# What a net offers: the ONNX node names the cases use and their torch points, and the default
# layers (the reference page's rule: reduction = the final layer; feature = the final layer
# with the input layer's format and a spatial/time dim larger than 1), checked against the
# ONNX graph by default_layers().
Net = collections.namedtuple("Net", "points default_feature default_reduction cases")

# Cases: name feature reduction target upsampling observations, as in cases.txt.
# Convolutions followed by a BatchNorm are not hooked: torch folds the BN into the Conv on
# export, so the ONNX Conv's output is bn(conv(x)).
SMALL = {
    # The sequence nets' maps are as long as the input (23 steps) except at /Pad (27 steps:
    # the map shrinks) and /norm/LayerNormalization, which sits between two Transposes: its
    # N x 23 x 6 output reads as N x C x L, so dlcam sees 23 channels and 6 time steps, as torch's
    # dim 1 is the channel dim here (the map grows from 6 to 23).
    "seq_causal_ln": Net(
        {"/Pad": inp("conv1"), "/conv1/Conv": out("conv1"), "/norm/LayerNormalization": out("norm"),
         "/Relu": inp("conv2"), "/conv2/Conv": out("conv2"), "/ReduceMean": inp("fc"), "/fc/Gemm": out()},
        "/conv2/Conv", "/fc/Gemm", """
        default_class          -                         -            class:2        none     all
        default_classes        -                         -            classes:0,3,4  none     0
        relu_sqdiff            /Relu                     -            fn:sqdiff:1,3  none     all
        conv1_to_conv2         /conv1/Conv               /conv2/Conv  class:1        none     all
        reducemean_reduction   -                         /ReduceMean  class:3        bicubic  0
        pad_shrink_bicubic     /Pad                      -            class:4        bicubic  all
        pad_shrink_nearest     /Pad                      -            class:0        nearest  0
        norm_grow_bicubic      /norm/LayerNormalization  -            class:2        bicubic  all
        norm_grow_nearest      /norm/LayerNormalization  -            class:0        nearest  0
        """),
    "conv3d_bn_pool": Net(
        {"/Relu": inp("pool1"), "/pool1/MaxPool": out("pool1"), "/conv2/Conv": out("conv2"),
         "/pool2/AveragePool": out("pool2"), "/fc/Gemm": out()},
        "/pool2/AveragePool", "/fc/Gemm", """
        default_class          -               -                   class:1        none     all
        default_bicubic        -               -                   class:0        bicubic  0
        maxpool_nearest        /pool1/MaxPool  -                   class:0        nearest  all
        conv2_bicubic          /conv2/Conv     -                   classes:2,1    bicubic  0
        conv2_to_avgpool       /conv2/Conv     /pool2/AveragePool  class:4        none     all
        relu_sqdiff            /Relu           -                   fn:sqdiff:0,2  none     0
        """),
    "grouped_depthwise": Net(
        {"/act1/LeakyRelu": out("act1"), "/dw/Conv": out("dw"), "/act2/Clip": out("act2"),
         "/act3/Mul": out("act3"), "/pool2/AveragePool": out("pool2"), "/fc/Gemm": out("fc"),
         "/Softmax": out()},
        "/pool2/AveragePool", "/Softmax", """
        default_class          -                -         class:3        none     all
        fc_reduction_bicubic   -                /fc/Gemm  class:4        bicubic  all
        clip_nearest           /act2/Clip       -         classes:0,2,4  nearest  0
        leakyrelu_sqdiff       /act1/LeakyRelu  -         fn:sqdiff:1,3  none     all
        hardswish_to_fc        /act3/Mul        /fc/Gemm  class:2        bicubic  0
        dw_conv                /dw/Conv         -         class:0        none     0
        """),
    "residual_concat_regression": Net(
        {"/stem/Conv": out("stem"), "/proj/Conv": out("proj"), "/Add": inp("act"),
         "/act/HardSigmoid": out("act"), "/pool/MaxPool": out("pool"), "/head/Gemm": out()},
        "/act/HardSigmoid", "/head/Gemm", """
        default_identity       -           -              fn:identity  none     all
        default_bicubic        -           -              fn:identity  bicubic  0
        add_nearest            /Add        -              fn:identity  nearest  all
        proj_identity          /proj/Conv  -              fn:identity  none     0
        stem_class             /stem/Conv  -              class:0      none     all
        add_to_maxpool         /Add        /pool/MaxPool  classes:1,6  none     0
        """),
}

# torchvision nets: the default layers, for the predicted class and the runner-up.
FULL = {
    "resnet18": Net({"/layer4/layer4.1/relu_1/Relu": out("layer4"), "/fc/Gemm": out()},
                    "/layer4/layer4.1/relu_1/Relu", "/fc/Gemm", None),
    "squeezenet1_1": Net({"/classifier/classifier.2/Relu": out("classifier.2"), "/Flatten": out()},
                         "/classifier/classifier.2/Relu", "/Flatten", None),
    "mobilenet_v2": Net({"/features/features.18/features.18.2/Clip": out("features"),  # ends in that ReLU6
                         "/classifier/classifier.1/Gemm": out()},
                        "/features/features.18/features.18.2/Clip", "/classifier/classifier.1/Gemm", None),
}

Case = collections.namedtuple("Case", "name feature reduction target upsampling observations")


def parse_cases(text):
    return [Case(*line.split()) for line in text.strip().splitlines()]


def parse_target(target):
    """'class:2', 'classes:0,3,4', 'fn:identity', 'fn:sqdiff:1,3' -> a list of score functions
    of one observation's reduction output y (1 x C x spatial...), one per map."""
    kind, _, arg = target.partition(":")
    if kind in ("class", "classes"):
        return [lambda y, c=int(c): y[:, c].sum() for c in arg.split(",")]
    if target == "fn:identity":
        def identity(y):
            if y.numel() != 1:
                raise ValueError(f"fn:identity needs one element per observation, got {list(y.shape)}")
            return y.sum()
        return [identity]
    if kind == "fn" and arg.startswith("sqdiff:"):
        a, b = (int(i) for i in arg[len("sqdiff:"):].split(","))
        return [lambda y: (y[:, a].sum() - y[:, b].sum()) ** 2]
    raise ValueError(f"unknown target {target!r}")


def register(model, point, fn):
    """Calls fn(tensor) on the point's tensor during the forward pass; a tensor fn returns
    replaces it. Returns the hook handle."""
    module = model.get_submodule(point.module)
    if point.where == "output":
        return module.register_forward_hook(lambda m, args, output: fn(output))

    def pre(m, args):
        replaced = fn(args[0])
        return None if replaced is None else (replaced,) + tuple(args[1:])
    return module.register_forward_pre_hook(pre)


def grad_cam(model, x, feature, reduction, scorers):
    """Maps (targets x observations x A's spatial dims, torch order) and scores (targets x
    observations) for input x (observations first). feature, reduction: Points."""
    seen = {}

    def watch(a):  # the feature activation becomes a leaf: backward stops there (tape.watch)
        seen["A"] = a.detach().requires_grad_()
        return seen["A"]

    def keep(y):
        seen["Y"] = y

    handles = [register(model, feature, watch), register(model, reduction, keep)]
    try:
        with torch.enable_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    A, Y = seen["A"], seen["Y"]
    if Y.grad_fn is None:
        raise ValueError("the reduction layer does not depend on the feature layer")
    spatial = tuple(range(2, A.dim()))
    maps, scores = [], []
    for scorer in scorers:
        # Observations are independent (eval mode), so the gradient of the sum of their scores
        # with respect to observation b's activation is that of observation b's own score.
        per_obs = torch.stack([scorer(Y[b:b + 1]) for b in range(Y.shape[0])])
        (grad,) = torch.autograd.grad(per_obs.sum(), A, retain_graph=True)
        alpha = grad.mean(dim=spatial, keepdim=True)  # one weight per observation and channel
        maps.append(torch.relu((alpha * A).sum(dim=1)).detach())
        scores.append(per_obs.detach())
    return torch.stack(maps), torch.stack(scores)


def matlab_layout(maps):
    """targets x observations x torch spatial -> MATLAB's scoreMap layout: h x w x N x B
    (N C H W input), h x w x d x N x B (N C D H W: torch's D H W permuted), 1 x t x N x B."""
    m = maps.numpy()
    if m.ndim == 3:  # sequences: T
        return np.ascontiguousarray(m.transpose(2, 0, 1)[None])
    if m.ndim == 4:  # images: H W
        return np.ascontiguousarray(m.transpose(2, 3, 0, 1))
    if m.ndim == 5:  # volumes: D H W
        return np.ascontiguousarray(m.transpose(3, 4, 2, 0, 1))
    raise ValueError(f"unexpected map rank {m.ndim}")


def input_map_size(x):
    """The input's spatial/time size in the map's layout: h w, h w d, or 1 t."""
    s = list(x.shape[2:])
    if len(s) == 1:
        return [1, s[0]]
    return s if len(s) == 2 else [s[1], s[2], s[0]]  # torch's D H W -> h w d


def upsample(map_, size, method):
    if method == "none":
        return map_
    if len(size) == 3:
        return imresize3(map_, size, "cubic" if method == "bicubic" else "nearest")
    return imresize(map_, size, method)


# ---------------------------------------------------------------------------------------------
# The ONNX side: node names, shapes, and the layers the reference page's rule picks.


OnnxGraph = collections.namedtuple("OnnxGraph", "nodes shapes input output")


@functools.lru_cache(maxsize=None)
def onnx_graph(path):
    """The graph's nodes (in graph order), each tensor's inferred dims (None where unknown),
    and the names of the graph's input and output."""
    model = onnx.load(path, load_external_data=False)
    for tensor in model.graph.initializer:  # shape inference needs no weights: skip copying them
        tensor.ClearField("raw_data")
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for v in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        shapes[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
    return OnnxGraph(list(model.graph.node), shapes, model.graph.input[0].name, model.graph.output[0].name)


def default_layers(path, reduction=None):
    """The reduction layer (the node computing the graph output unless given) and the feature
    layer: the last node on the data path into the reduction layer whose output has the input's
    rank (dlcam's format) and a spatial/time dim that is not known to be 1."""
    nodes, shapes, graph_input, graph_output = onnx_graph(path)
    if reduction is None:
        reduction = next(n.name for n in nodes if graph_output in n.output)
    producer = {o: n for n in nodes for o in n.output}
    ancestors, stack = set(), [next(n for n in nodes if n.name == reduction)]
    while stack:
        node = stack.pop()
        if node.name not in ancestors:
            ancestors.add(node.name)
            stack += [producer[i] for i in node.input if i in producer]
    from_input = {graph_input}
    rank = len(shapes[graph_input])
    feature = None
    for node in nodes:  # ONNX nodes are in topological order
        if not any(i in from_input for i in node.input):
            continue
        from_input.update(node.output)
        dims = shapes.get(node.output[0])
        if node.name in ancestors and dims is not None and len(dims) == rank and any(d != 1 for d in dims[2:]):
            feature = node.name
    return feature, reduction


def check_points(net, path, shapes_seen):
    """Every hooked name is an ONNX node, and the tensor seen at its torch point has the node's
    inferred shape (batch dim aside, where ONNX knows it)."""
    nodes, shapes, _, _ = onnx_graph(path)
    outputs = {n.name: n.output[0] for n in nodes}
    for name, point in net.points.items():
        if name not in outputs:
            raise SystemExit(f"{path}: no ONNX node named {name}")
        want, got = shapes.get(outputs[name]), shapes_seen[name]
        if want is None or len(want) != len(got) or any(w is not None and w != g for w, g in zip(want[1:], got[1:])):
            raise SystemExit(f"{path}: node {name} has shape {want}, the torch point {point} {got}")


# ---------------------------------------------------------------------------------------------
# Writing the cases.


def load_net(name, net, folder):
    """(model, model32, x, y): the model in float64 and in float32, the float64 input and
    output, checked to be those of the exported files."""
    model, x = exporter.build(name)
    x_file = np.load(os.path.join(folder, "input.npy"))
    if not np.array_equal(x.numpy(), x_file):
        raise SystemExit(f"{folder}/input.npy is not the input export_torch_models.py makes for {name}")
    model32 = copy.deepcopy(model).requires_grad_(False)
    model = model.double().requires_grad_(False)
    x = x.double()
    shapes_seen = {}
    handles = [register(model, point, lambda t, node=node: shapes_seen.__setitem__(node, tuple(t.shape)))
               for node, point in net.points.items()]
    with torch.no_grad():
        y = model(x).numpy()
    for h in handles:
        h.remove()
    want = np.load(os.path.join(folder, "output.npy"))
    diff = np.abs(y - want).max() if y.shape == want.shape else np.inf
    if not diff <= 1e-6:
        raise SystemExit(f"{name}: the rebuilt model's output differs from {folder}/output.npy by {diff:.2e}: "
                         f"re-export with tools/export_torch_models.py")
    check_points(net, os.path.join(folder, "model.onnx"), shapes_seen)
    return model, model32, x, y


def run_case(name, net, case, model, model32, x, onnx_path):
    feature = case.feature if case.feature != "-" else default_layers(
        onnx_path, None if case.reduction == "-" else case.reduction)[0]
    reduction = case.reduction if case.reduction != "-" else net.default_reduction
    if case.observations == "0":
        x = x[0:1]
    elif case.observations != "all":
        raise ValueError(f"{name}/{case.name}: observations must be 'all' or '0'")
    scorers = parse_target(case.target)
    maps, scores = grad_cam(model, x, net.points[feature], net.points[reduction], scorers)
    peaks = maps.flatten(2).max(dim=2).values
    if not (peaks > 0).all():
        raise SystemExit(f"{name}/{case.name}: a map is all zeros (largest value per target and observation: "
                         f"{peaks.tolist()}); choose another target or layer")
    # The same in float32, as dlcam computes: a large difference means a map near a kink
    # (a ReLU or a max at a tie) that a float32 implementation cannot be held to.
    maps32, _ = grad_cam(model32, x.float(), net.points[feature], net.points[reduction], scorers)
    f32 = (maps32.double() - maps).abs().max().item() / maps.abs().max().item()
    map_ = upsample(matlab_layout(maps), input_map_size(x), case.upsampling)
    return feature, reduction, map_, scores.numpy(), f32


def write_net(name, net, cases, folder, out_dir, header):
    model, model32, x, y = load_net(name, net, folder)
    onnx_path = os.path.join(folder, "model.onnx")
    feature, reduction = default_layers(onnx_path)
    if (feature, reduction) != (net.default_feature, net.default_reduction):
        raise SystemExit(f"{name}: the ONNX graph's default layers are {feature}, {reduction}; the table says "
                         f"{net.default_feature}, {net.default_reduction}")
    if cases is None:  # the predicted class and the runner-up
        order = np.argsort(-y[0], kind="stable")
        p, q = int(order[0]), int(order[1])
        cases = parse_cases(f"""
            predicted    -  -  class:{p}        none     all
            two_classes  -  -  classes:{p},{q}  bicubic  all""")
    os.makedirs(out_dir, exist_ok=True)
    for stale in os.listdir(out_dir):  # cases of an earlier run that this one may not have
        if stale.endswith((".map.npy", ".scores.npy")):
            os.remove(os.path.join(out_dir, stale))
    rows = []
    for case in cases:
        feature, reduction, map_, scores, f32 = run_case(name, net, case, model, model32, x, onnx_path)
        np.save(os.path.join(out_dir, f"{case.name}.map.npy"), map_)
        np.save(os.path.join(out_dir, f"{case.name}.scores.npy"), scores)
        rows.append(list(case) + [feature, reduction])
        print(f"  {case.name:22s} {feature:30s} {reduction:14s} {case.target:14s} {case.upsampling:8s} "
              f"obs {case.observations:3s} map {'x'.join(map(str, map_.shape)):12s} max {map_.max():.3g}  "
              f"float32 rel diff {f32:.1e}")
    columns = list(Case._fields) + ["expected_feature", "expected_reduction"]
    widths = [max(len(r[i]) for r in rows + [columns]) for i in range(len(columns))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.write(header + "# " + line(columns) + "\n")
        for r in rows:
            f.write("  " + line(r) + "\n")


HEADER = """\
# Grad-CAM reference for {net}, written by tools/gradcam_reference.py (do not edit):
# PyTorch autograd in float64 with the weights and input of {source}/.
# One case a line:
#   feature, reduction  ONNX node names (dlcam's layer names); '-': dlcam's default
#   target              class:C | classes:C1,C2,.. (0-based) | fn:identity | fn:sqdiff:A,B
#                       (fn:identity: Y, one element per observation; fn:sqdiff:A,B:
#                       (sum(Y[:, A]) - sum(Y[:, B]))^2, sums over spatial/time dims)
#   upsampling          none | bicubic | nearest (MATLAB imresize; imresize3 'cubic' for volumes)
#   observations        all (input.npy's batch) | 0 (observation 0 alone, unbatched)
#   expected_*          the layers the reference used
# <name>.map.npy: float64, MATLAB's scoreMap layout h x w x N x B (2-D), h x w x d x N x B (3-D),
# 1 x t x N x B (sequences); N targets, B observations (1 for '0'); a[i,j,..] = map(i,j,..).
# <name>.scores.npy: float64 N x B, the score each map explains.
"""


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["small", "full"], default="small")
    parser.add_argument("--exports", help="the exported nets (default: tests/fixtures/onnx_nets for small, "
                                          "build/torch_exports for full)")
    parser.add_argument("--out", help="output folder (default: tests/fixtures/gradcam for small, writing "
                                      "OUT/<net>/; for full the exports folder, writing OUT/<net>/gradcam/)")
    parser.add_argument("--self-test", action="store_true", help="only check the numpy imresize")
    args = parser.parse_args(argv)

    results = self_test()
    for what, ok, detail in results:
        if args.self_test or not ok:
            print(f"{'ok  ' if ok else 'FAIL'}  {what}" + (f"  [{detail}]" if detail else ""))
    if not all(ok for _, ok, _ in results):
        return 1
    if args.self_test:
        return 0

    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(1)  # the same sums in the same order on any machine: identical files
    small = args.set == "small"
    exports = args.exports or os.path.join(ROOT, "tests/fixtures/onnx_nets" if small else "build/torch_exports")
    out_root = args.out or (os.path.join(ROOT, "tests/fixtures/gradcam") if small else exports)
    for name, net in (SMALL if small else FULL).items():
        folder = os.path.join(exports, name)
        out_dir = os.path.join(out_root, name) if small else os.path.join(out_root, name, "gradcam")
        print(f"{name} -> {out_dir}")
        source = os.path.relpath(folder, ROOT) if small else name
        write_net(name, net, parse_cases(net.cases) if net.cases else None, folder, out_dir,
                  HEADER.format(net=name, source=source))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
