#!/usr/bin/env python3
# Generates tests/reference/torch_reference.txt: PyTorch outputs and autograd gradients that
# tests/autodiff/test_torch_reference.cpp compares dlcam against (an implementation written
# by other people, so shared misreadings of a convention show up).
#
# Rerun, only to regenerate the committed fixture (the C++ tests read the file and need
# neither Python nor torch):
#
#     /usr/bin/python3 tests/reference/make_torch_reference.py
#
# Needs python3-torch (the Debian package). Deterministic: fixed seeds, float64 throughout.
#
# Fixture format, one item per line ('#' lines are comments):
#     case <name>
#     <tensor-name> <rank> <dim_0> ... <dim_{rank-1}> <value> ...
# Values are in PyTorch's row-major layout (last dim fastest; images N C H W) and printed
# with repr(), which round-trips a float64 exactly. In every case:
#     inputs         x, weight, bias, ... (whatever the op takes)
#     opt_<name>     the op's options as small integer or real tensors (stride, padding, eps...)
#     out            the op's output
#     w              weights of the scalar s = sum(out * w) that is differentiated
#     grad_<input>   ds/d<input> from autograd, for each differentiable input
# plus any extra outputs a case documents (batch_norm_train: running_mean/running_var).
import os
import warnings

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
GEN = torch.Generator().manual_seed(20240601)

# Even kernels with padding="same" are intended (they test the uneven split).
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_reference.txt")


def rand(*shape, lo=-1.0, hi=1.0):
    return lo + (hi - lo) * torch.rand(*shape, generator=GEN)


def tensor_line(name, t):
    t = torch.as_tensor(t, dtype=torch.float64).detach().contiguous()
    dims = list(t.shape)
    values = [repr(float(v)) for v in t.reshape(-1).tolist()]
    return " ".join([name, str(len(dims))] + [str(d) for d in dims] + values)


CASES = []


def case(name, inputs, fn, constants=None, opts=None, extra=None):
    """Runs fn(**inputs, **constants), differentiates sum(out * w) with respect to `inputs`.

    extra: a function of the returned dict that adds further tensors (after the backward).
    """
    constants = constants or {}
    opts = opts or {}
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    state = {}
    out = fn(state=state, **leaves, **{k: v.clone() for k, v in constants.items()})
    w = rand(*out.shape)
    (out * w).sum().backward()
    tensors = {}
    tensors.update(inputs)
    tensors.update(constants)
    for k, v in opts.items():
        tensors["opt_" + k] = torch.tensor(v, dtype=torch.float64)
    tensors["out"] = out
    tensors["w"] = w
    for k, v in leaves.items():
        tensors["grad_" + k] = v.grad
    for k, v in state.items():
        tensors[k] = v
    CASES.append((name, tensors))


# ---- 1. Convolution -----------------------------------------------------------------------

# Grouped conv2d: stride (2,1), dilation (1,2), asymmetric padding (H: 1 before, 2 after;
# W: 0 before, 1 after) done with F.pad (whose list starts at the LAST dim: W then H).
def conv2d_grouped(x, weight, bias, state):
    xp = F.pad(x, (0, 1, 1, 2))
    return F.conv2d(xp, weight, bias, stride=(2, 1), dilation=(1, 2), groups=2)


case("conv2d_grouped",
     {"x": rand(2, 4, 7, 6), "weight": rand(6, 2, 3, 2), "bias": rand(6)},
     conv2d_grouped,
     opts={"stride": [2, 1], "dilation": [1, 2], "pad_before": [1, 0], "pad_after": [2, 1], "groups": 2})

# Depthwise conv2d, stride 1, padding 'same' (an even kernel width makes the split uneven:
# PyTorch puts the extra zero after, as MATLAB 'same' does), dilation (2,1).
case("conv2d_depthwise_same",
     {"x": rand(2, 3, 5, 6), "weight": rand(3, 1, 3, 4), "bias": rand(3)},
     lambda x, weight, bias, state: F.conv2d(x, weight, bias, padding="same", dilation=(2, 1), groups=3),
     opts={"dilation": [2, 1], "groups": 3})

# Causal conv1d over a sequence (N, C, L): (k-1)*dilation zeros on the left.
case("conv1d_causal",
     {"x": rand(3, 3, 9), "weight": rand(4, 3, 3), "bias": rand(4)},
     lambda x, weight, bias, state: F.conv1d(F.pad(x, ((3 - 1) * 2, 0)), weight, bias, dilation=2),
     opts={"dilation": [2]})

# conv3d, stride 2, padding 1.
case("conv3d",
     {"x": rand(2, 2, 5, 4, 5), "weight": rand(3, 2, 3, 2, 3), "bias": rand(3)},
     lambda x, weight, bias, state: F.conv3d(x, weight, bias, stride=2, padding=1),
     opts={"stride": [2], "pad": [1]})

# ---- 2. Pooling ---------------------------------------------------------------------------

# ceil_mode: H = 8 gives 5 outputs instead of 4; W = 7 with stride 3 gives 4 by the
# formula, but the 4th window would start in the trailing padding, so PyTorch drops it (3).
case("max_pool2d_ceil",
     {"x": rand(2, 3, 8, 7)},
     lambda x, state: F.max_pool2d(x, (3, 2), stride=(2, 3), padding=1, ceil_mode=True),
     opts={"size": [3, 2], "stride": [2, 3], "pad": [1, 1]})

# avg_pool2d with ceil_mode: the last window along H covers input row 7 and padding row 8;
# the last window along W (no padding) runs past the input and is clipped to 2 columns.
for include in (True, False):
    case("avg_pool2d_ceil_" + ("include_pad" if include else "exclude_pad"),
         {"x": rand(2, 3, 8, 8)},
         lambda x, state, include=include: F.avg_pool2d(x, 3, stride=2, padding=(1, 0), ceil_mode=True,
                                                         count_include_pad=include),
         opts={"size": [3, 3], "stride": [2, 2], "pad": [1, 0], "count_include_pad": int(include)})

case("max_pool1d_sequence",
     {"x": rand(2, 3, 11)},
     lambda x, state: F.max_pool1d(x, 3, stride=2, padding=1),
     opts={"size": [3], "stride": [2], "pad": [1]})

case("avg_pool3d",
     {"x": rand(2, 2, 5, 6, 5)},
     lambda x, state: F.avg_pool3d(x, (2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0)),
     opts={"size": [2, 3, 2], "stride": [2, 2, 1], "pad": [1, 1, 0]})

# ---- 3. Batch normalisation ---------------------------------------------------------------

EPS = 1e-3
MOMENTUM = 0.1

case("batch_norm_inference",
     {"x": rand(3, 4, 5, 3), "weight": rand(4, lo=0.5, hi=2.0), "bias": rand(4)},
     lambda x, weight, bias, running_mean, running_var, state:
         F.batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=EPS),
     constants={"running_mean": rand(4), "running_var": rand(4, lo=0.5, hi=2.0)},
     opts={"eps": EPS})


def batch_norm_train(x, weight, bias, running_mean, running_var, state):
    # F.batch_norm updates running_mean/running_var in place:
    #   running = (1 - momentum) * running + momentum * batch statistic,
    # with the UNBIASED batch variance for running_var.
    y = F.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=MOMENTUM, eps=EPS)
    state["running_mean_new"] = running_mean.clone()
    state["running_var_new"] = running_var.clone()
    return y


for name, shape in (("batch_norm_train", (3, 4, 5, 3)), ("batch_norm_train_sequence", (2, 3, 7))):
    c = shape[1]
    case(name,
         {"x": rand(*shape, lo=-1.0, hi=2.0), "weight": rand(c, lo=0.5, hi=2.0), "bias": rand(c)},
         batch_norm_train,
         constants={"running_mean": rand(c), "running_var": rand(c, lo=0.5, hi=2.0)},
         opts={"eps": EPS, "momentum": MOMENTUM})

# ---- 4. Layer normalisation ---------------------------------------------------------------

# Channel-only on a batch-first sequence (N, L, C): normalised over C alone.
case("layer_norm_channel",
     {"x": rand(2, 5, 4), "scale": rand(4, lo=0.5, hi=2.0), "offset": rand(4)},
     lambda x, scale, offset, state: F.layer_norm(x, (4,), scale, offset, eps=EPS),
     opts={"eps": EPS})


# Spatial-channel on images (N, C, H, W): normalised over C, H and W together. PyTorch's
# weight and bias have one value per element of the normalised shape (C, H, W); dlcam's have
# one per channel, so the per-channel leaves are broadcast over H and W (autograd then sums
# their gradients over H and W, as dlcam's are).
def layer_norm_spatial_channel(x, scale, offset, state):
    shape = x.shape[1:]
    weight = scale[:, None, None].expand(shape)
    bias = offset[:, None, None].expand(shape)
    return F.layer_norm(x, shape, weight, bias, eps=EPS)


case("layer_norm_spatial_channel",
     {"x": rand(2, 3, 4, 5), "scale": rand(3, lo=0.5, hi=2.0), "offset": rand(3)},
     layer_norm_spatial_channel,
     opts={"eps": EPS})

# ---- 5. Softmax ---------------------------------------------------------------------------

case("softmax_image", {"x": rand(2, 5, 3, 4, lo=-3, hi=3)}, lambda x, state: F.softmax(x, dim=1))
case("log_softmax_image", {"x": rand(2, 5, 3, 4, lo=-3, hi=3)}, lambda x, state: F.log_softmax(x, dim=1))
case("softmax_cb", {"x": rand(3, 7, lo=-3, hi=3)}, lambda x, state: F.softmax(x, dim=1))
case("log_softmax_cb", {"x": rand(3, 7, lo=-3, hi=3)}, lambda x, state: F.log_softmax(x, dim=1))

# ---- 6. Linear on images --------------------------------------------------------------------

# PyTorch flattens (N, C, H, W) row-major: feature index c*H*W + h*W + w.
case("linear_image",
     {"x": rand(2, 3, 3, 5), "weight": rand(4, 3 * 3 * 5), "bias": rand(4)},
     lambda x, weight, bias, state: F.linear(torch.flatten(x, 1), weight, bias))

# ---- 7. Elementwise -----------------------------------------------------------------------

case("sigmoid", {"x": rand(2, 3, 4, 5, lo=-4, hi=4)}, lambda x, state: torch.sigmoid(x))
case("tanh", {"x": rand(2, 3, 4, 5, lo=-3, hi=3)}, lambda x, state: torch.tanh(x))
case("leaky_relu", {"x": rand(2, 3, 4, 5, lo=-3, hi=3)}, lambda x, state: F.leaky_relu(x, 0.2),
     opts={"slope": 0.2})
case("relu6", {"x": rand(2, 3, 4, 5, lo=-3, hi=9)}, lambda x, state: F.hardtanh(x, 0.0, 6.0))
# Exponent per channel, (1, C, 1, 1), broadcast over N, H and W.
case("pow_channel_exponent",
     {"base": rand(2, 3, 4, 5, lo=0.5, hi=2.0), "exponent": rand(1, 3, 1, 1, lo=-2, hi=3)},
     lambda base, exponent, state: torch.pow(base, exponent))
# Base shared by the batch, (1, C, H, W), broadcast over N.
case("pow_batch_base",
     {"base": rand(1, 3, 4, 5, lo=0.5, hi=2.0), "exponent": rand(2, 3, 4, 5, lo=-2, hi=3)},
     lambda base, exponent, state: torch.pow(base, exponent))


def main():
    lines = [
        "# PyTorch reference outputs and gradients for tests/autodiff/test_torch_reference.cpp.",
        "# Generated by tests/reference/make_torch_reference.py (torch %s); do not edit." % torch.__version__,
        "# Format: 'case <name>', then '<tensor> <rank> <dims...> <values...>', row-major (NCHW).",
    ]
    for name, tensors in CASES:
        lines.append("case " + name)
        for k, v in tensors.items():
            lines.append(tensor_line(k, v))
    with open(OUT_PATH, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
