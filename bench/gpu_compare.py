#!/usr/bin/env python3
"""dlcam's GPU Grad-CAM against PyTorch's on the same GPU: resnet50 at 224x224, batch 1 and 32.

    python3 bench/gpu_compare.py --dlcam-bench BUILD/apps/dlcam-bench [--runs 20] [--out DIR] [--work DIR]

The net is torchvision's resnet50 with the seeded random weights and batch-norm statistics of
tools/export_torch_models.py, exported to ONNX here (so both sides hold the same weights). On
the same input, with each observation's predicted class as the target, it times:

    torch forward   model(x) under torch.no_grad()
    torch b         pytorch-grad-cam's way: a hook keeps layer4's output, the score is
                    backpropagated through the whole net (score.backward()), then the map
    torch c         the best case: torch.autograd.grad(score, A) to layer4's output A only
    dlcam predict   dlcam-bench --device gpu --measure predict
    dlcam gradCAM   dlcam-bench --device gpu --measure gradcam, upsampling 'none' (the map at
                    layer4's 7x7, as b and c compute it; the map comes back to the host);
                    again with DLCAM_CUDNN_ALGORITHMS=any (FFT and Winograd allowed, as PyTorch
                    allows them)

Each call is timed from the host until the GPU has finished it (torch.cuda.synchronize();
dlcam-bench synchronises likewise), median of --runs after warm-up. Both sides compute in full
float32: PyTorch's TF32 is switched off, as dlcam's cuDNN and cuBLAS calls use no TF32.
PyTorch keeps its default cudnn.benchmark = False: like dlcam, it then takes cuDNN's heuristic
choice of algorithm for each shape. Batch 32 is also given as throughput (images per second). The maps of c and dlcam are compared.

Writes --out/gpu_compare.json and --out/gpu_compare.md (default build-gpu/bench) and prints the
table; the export, inputs and maps go to --work (default: --out). scripts/gpu_check.sh runs it.
"""
import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.dont_write_bytecode = True

NET, SIZE, BATCHES = "resnet50", 224, (1, 32)


def export_onnx(model, x, path):
    """torch.onnx.export with the TorchScript exporter where this torch still has it (dlcam's
    importer is tested on its graphs); otherwise torch's default (dynamo) exporter."""
    import torch

    kwargs = dict(opset_version=13, do_constant_folding=True, input_names=["input"], output_names=["output"])
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(model, x, path, **kwargs)
            return "torchscript"
        except Exception as e:  # no TorchScript exporter in this torch
            print(f"TorchScript export failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                  "trying the dynamo exporter", flush=True)
            kwargs.pop("dynamo", None)
            kwargs["opset_version"] = 18
            torch.onnx.export(model, x, path, dynamo=True, **kwargs)
            return "dynamo"


def grad_cam_map(activation, gradient):
    import torch

    with torch.no_grad():
        return torch.relu((gradient.mean(dim=(2, 3), keepdim=True) * activation).sum(dim=1))


def time_calls(fn, warmup, runs):
    import torch

    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return {"medianMs": statistics.median(times), "minMs": min(times)}


def torch_side(model, x, warmup, runs):
    """Times forward, b and c on x (on the GPU) and returns the timings, c's map and the classes."""
    import torch

    layer4 = model.layer4
    kept = {}

    def hook(_module, _inputs, output):
        kept["A"] = output
        if kept.get("keep_grad"):
            output.register_hook(lambda g: kept.__setitem__("dA", g))
    layer4.register_forward_hook(hook)

    def forward():
        with torch.no_grad():
            return model(x)

    def score_of(y):
        classes = y.argmax(dim=1)
        return y.gather(1, classes[:, None]).sum(), classes

    def variant_b():
        kept["keep_grad"] = True
        model.zero_grad(set_to_none=True)
        score, classes = score_of(model(x))
        score.backward()
        kept["keep_grad"] = False
        return grad_cam_map(kept["A"], kept["dA"]), classes

    def variant_c():
        score, classes = score_of(model(x))
        (dA,) = torch.autograd.grad(score, kept["A"])
        return grad_cam_map(kept["A"], dA), classes

    result = {"forward": time_calls(forward, warmup, runs), "b": time_calls(variant_b, warmup, runs),
              "c": time_calls(variant_c, warmup, runs)}
    cam, classes = variant_c()
    result["peakMiB"] = torch.cuda.max_memory_allocated() / 2**20
    return result, cam.detach().cpu().numpy(), classes.cpu().numpy()


def dlcam_side(bench, model_path, input_path, map_path, warmup, runs, measure, any_algorithm=False):
    command = [bench, model_path, "--device", "gpu", "--input", input_path, "--upsampling", "none",
               "--warmup", str(warmup), "--runs", str(runs), "--measure", measure]
    if measure == "gradcam":
        command += ["--save-map", map_path]
    env = dict(os.environ, DLCAM_CUDNN_ALGORITHMS="any" if any_algorithm else "exact")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    if done.stderr.strip():
        print(done.stderr.strip(), flush=True)
    return json.loads(done.stdout)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dlcam-bench", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(ROOT, "build-gpu", "bench"))
    parser.add_argument("--work", default=None)
    args = parser.parse_args(argv)
    work = args.work or args.out

    import torch
    import export_torch_models as exporter

    if not torch.cuda.is_available():
        print("gpu_compare: PyTorch sees no CUDA device", file=sys.stderr)
        return 1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    device = torch.cuda.get_device_name(0)
    print(f"GPU: {device}; torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}", flush=True)

    spec = exporter.NetSpec(exporter._torchvision(NET), (1, 3, SIZE, SIZE), [13])
    model, _ = exporter.build(NET, spec)
    model_path = os.path.join(work, f"{NET}.onnx")
    start = time.perf_counter()
    exporter_used = export_onnx(model, torch.zeros(1, 3, SIZE, SIZE), model_path)
    print(f"exported {NET} ({exporter_used} exporter) in {time.perf_counter() - start:.1f} s", flush=True)
    model = model.cuda().eval()

    rows, cases = [], []
    rng = np.random.default_rng(20240601)
    for batch in BATCHES:
        x_host = rng.standard_normal((batch, 3, SIZE, SIZE), dtype=np.float32)
        input_path = os.path.join(work, f"input_b{batch}.npy")
        np.save(input_path, x_host)
        x = torch.from_numpy(x_host).cuda()
        torch.cuda.reset_peak_memory_stats()
        t, torch_map, torch_classes = torch_side(model, x, args.warmup, args.runs)
        map_path = os.path.join(work, f"dlcam_map_b{batch}.npy")
        predict = dlcam_side(args.dlcam_bench, model_path, input_path, map_path, args.warmup, args.runs, "predict")
        cam = dlcam_side(args.dlcam_bench, model_path, input_path, map_path, args.warmup, args.runs, "gradcam")
        # The same with every cuDNN algorithm allowed (FFT, Winograd: DLCAM_CUDNN_ALGORITHMS=any).
        fast_map_path = os.path.join(work, f"dlcam_map_any_b{batch}.npy")
        fast = dlcam_side(args.dlcam_bench, model_path, input_path, fast_map_path, args.warmup, args.runs, "gradcam",
                          any_algorithm=True)
        fast_map = np.transpose(np.load(fast_map_path)[:, :, 0, :], (2, 0, 1))
        fast_agree = float(np.max(np.abs(fast_map - torch_map)) / max(np.max(np.abs(torch_map)), 1e-30))
        dl_map = np.load(map_path)  # h x w x 1 x B, dlcam's indices
        dl_map = np.transpose(dl_map[:, :, 0, :], (2, 0, 1))
        agree = float(np.max(np.abs(dl_map - torch_map)) / max(np.max(np.abs(torch_map)), 1e-30))
        same_classes = list(cam["gradcam"]["classes"]) == [int(c) for c in torch_classes]
        case = {"batch": batch, "torch": t, "dlcamPredict": predict["predict"], "dlcamGradcam": cam["gradcam"],
                "dlcamGpuPeakMiB": cam["memory"].get("gpuPeakMiB"), "mapMaxDiffOverMax": agree,
                "sameClasses": same_classes, "dlcamGradcamAnyAlgorithm": fast["gradcam"],
                "anyAlgorithmMapMaxDiffOverMax": fast_agree}
        cases.append(case)
        d, c, b, f, p = (cam["gradcam"]["medianMs"], t["c"]["medianMs"], t["b"]["medianMs"], t["forward"]["medianMs"],
                         predict["predict"]["medianMs"])
        a = fast["gradcam"]["medianMs"]
        rows.append([str(batch), f"{f:.2f}", f"{p:.2f}", f"{p / f:.2f}", f"{b:.2f}", f"{c:.2f}", f"{d:.2f}",
                     f"{d / c:.2f}", f"{d / b:.2f}", f"{batch / (d / 1e3):.0f}", f"{batch / (c / 1e3):.0f}",
                     f"{agree:.1e}" + ("" if same_classes else " (classes differ)"),
                     f"{a:.2f}", f"{a / c:.2f}", f"{fast_agree:.1e}"])
        print(f"batch {batch}: dlcam gradCAM {d:.2f} ms, torch c {c:.2f} ms, b {b:.2f} ms; predict {p:.2f} ms, "
              f"torch forward {f:.2f} ms; maps agree to {agree:.1e}", flush=True)

    header = ["batch", "torch fwd ms", "dlcam predict ms", "predict/fwd", "torch b ms", "torch c ms",
              "dlcam gradCAM ms", "gradCAM/c", "gradCAM/b", "dlcam img/s", "torch c img/s", "map diff/max",
              "dlcam gradCAM ms, any algorithm", "any/c", "its map diff/max"]
    md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]
    summary = {"gpu": device, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "net": NET,
               "size": SIZE, "runs": args.runs, "warmup": args.warmup, "exporter": exporter_used, "cases": cases,
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with open(os.path.join(args.out, "gpu_compare.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(args.out, "gpu_compare.md"), "w") as f:
        f.write(f"{NET} {SIZE}x{SIZE} on {device} (torch {torch.__version__}, TF32 off), median of {args.runs}\n\n")
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
