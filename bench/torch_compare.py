#!/usr/bin/python3
"""dlcam against PyTorch: inference and Grad-CAM time and memory on torchvision networks.

On one machine, in one run, for resnet18, resnet50, squeezenet1_1, mobilenet_v2 and vgg16
(random weights and batch-norm statistics as tools/export_torch_models.py draws them, exported
to ONNX once) it measures, on the same input and with the same number of threads:

    a  PyTorch forward under torch.no_grad()
    b  PyTorch Grad-CAM as pytorch-grad-cam computes it: a forward hook on the feature module
       keeps its output and a tensor hook its gradient; the class score is backpropagated
       through the whole network (model.zero_grad(), score.backward()); then the map
    c  PyTorch Grad-CAM with torch.autograd.grad(score, A): the gradient of the score with
       respect to the feature activation A only; then the map
    d  dlcam predict (dlcam-bench --measure predict)
    e  dlcam gradCAM on the same feature layer, upsampling 'none' (the map at the feature map's
       size, as b and c compute it) and 'bicubic' (MATLAB's default: the input's size)

The map is ReLU(sum_k alpha_k A_k) with alpha_k the mean over positions of d(score)/dA_k; the
score is each observation's predicted class. Each measurement runs in its own process (this
script re-runs itself with --worker for the PyTorch ones; dlcam-bench for dlcam's): warm-up
runs, then timed runs, median and min; memory is the process's resident set, at its peak over
the whole process and during the runs alone (the high-water mark is reset after loading). The
maps of c and e(none) are compared: max |dlcam - PyTorch| / max PyTorch, and the classes.

A second table ("scaling") measures resnet50 for batch 1, 8, 32 at 224x224 and 448x448. A
PyTorch measurement whose memory, extrapolated from the smaller batches of the same size, would
exceed 75 % of the available memory is not started (PyTorch's Grad-CAM at 448x448, batch 32
needs about 24 GiB) and the tables say so. vgg16 at batch 8 and the scaling cases beyond batch
8 at 224x224 run 1 warm-up and 3 timed runs, so that the default run takes about 15 minutes
on 2 cores. OMP_NUM_THREADS and OMP_WAIT_POLICY (passive by default) are exported to every
process: PyTorch and dlcam both use libgomp.

    /usr/bin/python3 bench/torch_compare.py [--threads 2] [--runs 10] [--json PATH] [--nets a,b]
                                            [--batches 1,8] [--no-scaling] [--quick]

bench/run_compare.sh installs what is needed, builds dlcam and runs this script. Exports,
inputs and maps go to build/bench_exports/ (not committed; --exports); the tables are printed
and written as JSON to build/bench/compare.json (--json) and as Markdown beside it.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.dont_write_bytecode = True  # importing tools/export_torch_models.py leaves no __pycache__ in the tree

OPSET = 13
INPUT_SEED = 20240601

# The feature layer of each net: the torch module whose output Grad-CAM weighs (the last conv
# block's output). dlcam gets the ONNX value that module's last node writes (feature_value).
FEATURE_MODULE = {
    "resnet18": "layer4",        # = dlcam's default feature layer
    "resnet50": "layer4",        # = dlcam's default feature layer
    "squeezenet1_1": "features",  # 13x13x512; dlcam's default is the classifier's ReLU (1000 channels)
    "mobilenet_v2": "features",   # = dlcam's default feature layer
    "vgg16": "features.29",       # the last ReLU before the final max pool, 14x14x512 (dlcam's
                                  # default is the 7x7 adaptive average pool after that pool)
}
NETS = list(FEATURE_MODULE)
# (warm-up, timed runs) where the defaults would take too long on a small machine.
HEAVY = {("vgg16", 8, 224): (1, 3)}
SCALING_NET, SCALING_BATCHES, SCALING_SIZES = "resnet50", (1, 8, 32), (224, 448)
SCALING_HEAVY = (1, 3)  # (warm-up, runs) for the scaling cases beyond batch 8 at 224x224
MEMORY_FRACTION = 0.75  # a PyTorch measurement predicted to need more of the available memory is skipped

TORCH_VARIANTS = {"forward": "a", "gradcam_hook": "b", "gradcam_autograd": "c"}


# ---------------------------------------------------------------------------------------------
# Memory and timing, the same way in every worker (dlcam-bench does the same in C++).


def current_rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss():
    """Resets the resident set's high-water mark (Linux 4.0 and later); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def high_water_mark_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def timings(times_ms):
    return {"medianMs": round(statistics.median(times_ms), 4), "minMs": min(times_ms), "timesMs": times_ms}


# ---------------------------------------------------------------------------------------------
# The PyTorch side (runs in a worker process).


def build_model(net):
    import export_torch_models as exporter

    spec = exporter.NetSpec(exporter._torchvision(net), (1, 3, 224, 224), [OPSET])
    model, _ = exporter.build(net, spec)  # seeded from the net's name: the weights of the export
    return model


def grad_cam_map(activation, gradient):
    """ReLU(sum_k alpha_k A_k), alpha_k = mean of dy/dA_k over the positions: B x h x w."""
    import torch

    with torch.no_grad():
        weights = gradient.mean(dim=(2, 3), keepdim=True)
        return torch.relu((weights * activation).sum(dim=1))


def class_score(output):
    """The sum over observations of each one's predicted class score, and the classes."""
    classes = output.argmax(dim=1)
    return output.gather(1, classes[:, None]).sum(), classes


def torch_variant(variant, model, module):
    """A function x -> (map, classes) that computes the variant once."""
    import torch

    if variant == "forward":
        def run(x):
            with torch.no_grad():
                return None, model(x).argmax(dim=1)
        return run

    if variant == "gradcam_hook":
        # pytorch-grad-cam's ActivationsAndGradients: the forward hook keeps the activation and
        # hooks its gradient; BaseCAM zeroes the gradients and backpropagates the whole net.
        kept = {}

        def save(_module, _inputs, output):
            kept["activation"] = output

            def save_gradient(grad):
                kept["gradient"] = grad
            output.register_hook(save_gradient)
        module.register_forward_hook(save)

        def run(x):
            model.zero_grad()
            score, classes = class_score(model(x))
            score.backward()
            return grad_cam_map(kept["activation"], kept["gradient"]), classes
        return run

    if variant == "gradcam_autograd":
        kept = {}
        module.register_forward_hook(lambda _m, _i, output: kept.__setitem__("activation", output))

        def run(x):
            score, classes = class_score(model(x))
            (gradient,) = torch.autograd.grad(score, kept["activation"])
            return grad_cam_map(kept["activation"], gradient), classes
        return run

    raise ValueError(f"unknown variant {variant}")


def worker(args):
    """One PyTorch measurement in this process; prints one JSON object."""
    import torch

    torch.set_num_threads(args.threads)
    model = build_model(args.net)
    module = model.get_submodule(FEATURE_MODULE[args.net])
    x = torch.from_numpy(np.load(args.input))
    run = torch_variant(args.worker, model, module)
    after_load = current_rss_mib()
    load_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the reset lowers it too
    reset = reset_peak_rss()

    for _ in range(args.warmup):
        run(x)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        cam, classes = run(x)
        times.append(round((time.perf_counter() - start) * 1e3, 3))
        del cam
    cam, classes = run(x)  # the map to compare, outside the timings
    if args.save_map:
        np.save(args.save_map, cam.numpy().astype(np.float32))
    result = timings(times)
    result.update({
        "variant": args.worker, "net": args.net, "threads": torch.get_num_threads(),
        "inputShape": list(x.shape), "warmup": args.warmup, "runs": args.runs,
        "classes": classes.tolist(),
        "memory": {"peakRssMiB": max(load_peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                   "afterLoadRssMiB": round(after_load, 2),
                   "runPeakRssMiB": high_water_mark_mib() if reset else None},
    })
    print(json.dumps(result))
    return 0


# ---------------------------------------------------------------------------------------------
# Exports and inputs.


def scope_prefix(module_path):
    """torch 1.13's ONNX node-name scope of a module: 'features.29' -> '/features/features.29/'."""
    parts = module_path.split(".")
    return "/" + "/".join(".".join(parts[:i + 1]) for i in range(len(parts))) + "/"


def export(net, size, folder):
    """Exports `net` at size x size to folder/model.onnx (once; meta.json records it) and returns
    the meta: the ONNX value that the feature module outputs."""
    meta_path = os.path.join(folder, "meta.json")
    wanted = {"net": net, "size": size, "opset": OPSET, "featureModule": FEATURE_MODULE[net]}
    if os.path.exists(meta_path) and os.path.exists(os.path.join(folder, "model.onnx")):
        with open(meta_path) as f:
            meta = json.load(f)
        if all(meta.get(k) == v for k, v in wanted.items()):
            return meta

    import onnx
    import torch

    os.makedirs(folder, exist_ok=True)
    model = build_model(net)
    path = os.path.join(folder, "model.onnx")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, size, size), path, opset_version=OPSET, do_constant_folding=True,
                          input_names=["input"], output_names=["output"])
    # The feature module's output is what its last node (in graph order) writes.
    prefix = scope_prefix(FEATURE_MODULE[net])
    graph = onnx.load(path, load_external_data=False).graph
    last = [n for n in graph.node if n.name.startswith(prefix)][-1]
    meta = dict(wanted, featureValue=last.output[0], featureNode=last.name)
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    print(f"exported {net} at {size}x{size} to {path} ({os.path.getsize(path) / 2**20:.0f} MiB, "
          f"{time.perf_counter() - start:.1f} s); feature layer {meta['featureValue']}", flush=True)
    return meta


def make_input(folder, batch, size):
    """A seeded N(0, 1) batch x 3 x size x size float32 .npy that both sides read."""
    path = os.path.join(folder, f"input_{batch}x3x{size}x{size}.npy")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        rng = np.random.default_rng([INPUT_SEED, batch, size])
        np.save(path, rng.standard_normal((batch, 3, size, size), dtype=np.float32))
    return path


# ---------------------------------------------------------------------------------------------
# Running the measurements.


def run_json(command, env):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return json.loads(done.stdout)


def dlcam_entry(raw, what):
    """dlcam-bench's JSON for one measured call, shaped like a worker's: timings and memory."""
    return dict(raw[what], memory=raw["memory"], threads=raw["threads"], inputShape=raw["input"]["shape"],
                warmup=raw["warmup"], runs=raw["runs"])


def measure_case(args, env, net, batch, size, warmup, runs, bicubic=True, skip=None):
    """Every measurement of one (net, batch, size); skip: {torch variant: why} for those not run."""
    skip = skip or {}
    folder = os.path.join(args.exports, net if size == 224 else f"{net}_{size}")
    meta = export(net, size, folder)
    model = os.path.join(folder, "model.onnx")
    x = make_input(os.path.join(args.exports, "inputs"), batch, size)
    maps = os.path.join(args.exports, "maps")
    os.makedirs(maps, exist_ok=True)
    tag = f"{net}_b{batch}_{size}"
    torch_map, dlcam_map = os.path.join(maps, f"{tag}_torch.npy"), os.path.join(maps, f"{tag}_dlcam.npy")
    common = ["--runs", str(runs), "--warmup", str(warmup), "--threads", str(args.threads)]
    start = time.perf_counter()

    case = {"net": net, "batch": batch, "size": size, "warmup": warmup, "runs": runs,
            "featureModule": FEATURE_MODULE[net], "featureValue": meta["featureValue"], "torch": {}, "dlcam": {}}
    for variant in TORCH_VARIANTS:
        if variant in skip:
            case["torch"][variant] = {"skipped": skip[variant]}
            continue
        command = [sys.executable, os.path.abspath(__file__), "--worker", variant, "--net", net, "--input", x] + common
        if variant == "gradcam_autograd":
            command += ["--save-map", torch_map]
        case["torch"][variant] = run_json(command, env)

    bench = [args.dlcam_bench, model, "--input", x, "--feature-layer", meta["featureValue"]] + common
    case["dlcam"]["predict"] = dlcam_entry(run_json(bench + ["--measure", "predict"], env), "predict")
    none = bench + ["--measure", "gradcam", "--upsampling", "none", "--save-map", dlcam_map]
    case["dlcam"]["gradcam_none"] = dlcam_entry(run_json(none, env), "gradcam")
    if bicubic:
        bicubic_run = run_json(bench + ["--measure", "gradcam", "--upsampling", "bicubic"], env)
        case["dlcam"]["gradcam_bicubic"] = dlcam_entry(bicubic_run, "gradcam")
    measured = "skipped" not in case["torch"]["gradcam_autograd"]
    case["agreement"] = agreement(torch_map, dlcam_map, case) if measured else None
    case["ratios"] = ratios(case)
    case["seconds"] = time.perf_counter() - start
    return case


def agreement(torch_map_path, dlcam_map_path, case):
    """max |dlcam - PyTorch| / max PyTorch over all maps, and whether the classes agree."""
    reference = np.load(torch_map_path).astype(np.float64)          # B x h x w
    dlcam = np.load(dlcam_map_path).astype(np.float64)              # h x w x 1 x B (MATLAB's)
    dlcam = np.transpose(dlcam[:, :, 0, :], (2, 0, 1))
    torch_classes = case["torch"]["gradcam_autograd"]["classes"]
    dlcam_classes = case["dlcam"]["gradcam_none"]["classes"]
    shape_ok = dlcam.shape == reference.shape
    peak = float(np.abs(reference).max()) if reference.size else 0.0
    diff = float(np.abs(dlcam - reference).max()) if shape_ok else float("nan")
    return {"maxAbsDiff": diff, "maxMap": peak, "relative": diff / peak if peak > 0 else float("nan"),
            "classesAgree": torch_classes == dlcam_classes, "torchClasses": torch_classes,
            "dlcamClasses": dlcam_classes, "shapesAgree": shape_ok}


def measured(entry):
    return entry is not None and "skipped" not in entry


def median(entry):
    return entry["medianMs"] if measured(entry) else None


def run_peak(entry):
    """The resident set's peak during the runs (the whole process's where it could not be reset)."""
    if not measured(entry):
        return None
    return entry["memory"]["runPeakRssMiB"] or entry["memory"]["peakRssMiB"]


def growth(entry):
    """How far the runs took the resident set above where loading left it."""
    return run_peak(entry) - entry["memory"]["afterLoadRssMiB"] if measured(entry) else None


def ratio(a, b):
    return a / b if a is not None and b is not None else None


def ratios(case):
    t, d = case["torch"], case["dlcam"]
    e = d["gradcam_none"]
    return {
        "gradcamNone_over_autograd": ratio(median(e), median(t["gradcam_autograd"])),
        "gradcamNone_over_hook": ratio(median(e), median(t["gradcam_hook"])),
        "predict_over_forward": ratio(median(d["predict"]), median(t["forward"])),
        "memory_gradcamNone_over_hook": ratio(run_peak(e), run_peak(t["gradcam_hook"])),
    }


def predicted_peak_mib(previous, variant, batch):
    """A PyTorch variant's peak for `batch`, extrapolated linearly from the measured cases of
    the same input size (its growth above the loaded process per observation); None if none."""
    estimates = [run_peak(c["torch"][variant]) + growth(c["torch"][variant]) / c["batch"] * (batch - c["batch"])
                 for c in previous if measured(c["torch"][variant])]
    return max(estimates) if estimates else None


def available_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


# ---------------------------------------------------------------------------------------------
# Tables.


def ms(v):
    return "-" if v is None else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def fixed(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def mib(*values):
    return " / ".join(fixed(v, 0) for v in values)


def agreement_text(a):
    if a is None:
        return "-"
    return f"{a['relative']:.1e}" + ("" if a["classesAgree"] else " (classes differ)")


def main_rows(cases):
    header = ["net", "B", "a torch fwd", "b torch CAM hook", "c torch CAM grad", "d dlcam predict",
              "e dlcam CAM none", "e bicubic", "e/c", "e/b", "d/a", "peak MiB e / b", "mem e/b", "growth MiB e / b",
              "map diff", "runs"]
    rows = []
    for c in cases:
        t, d, r = c["torch"], c["dlcam"], c["ratios"]
        rows.append([
            c["net"], str(c["batch"]), ms(median(t["forward"])), ms(median(t["gradcam_hook"])),
            ms(median(t["gradcam_autograd"])), ms(median(d["predict"])), ms(median(d["gradcam_none"])),
            ms(median(d.get("gradcam_bicubic"))),
            fixed(r["gradcamNone_over_autograd"]), fixed(r["gradcamNone_over_hook"]), fixed(r["predict_over_forward"]),
            mib(run_peak(d["gradcam_none"]), run_peak(t["gradcam_hook"])), fixed(r["memory_gradcamNone_over_hook"]),
            mib(growth(d["gradcam_none"]), growth(t["gradcam_hook"])), agreement_text(c["agreement"]),
            f"{c['warmup']}+{c['runs']}",
        ])
    return header, rows


def scaling_rows(cases):
    header = ["input", "B", "a torch fwd", "b torch CAM hook", "c torch CAM grad", "d dlcam predict",
              "e dlcam CAM none", "e/c", "e/b", "d/a", "peak MiB a / d", "peak MiB b / c / e", "map diff", "runs"]
    rows = []
    for c in cases:
        t, d, r = c["torch"], c["dlcam"], c["ratios"]
        rows.append([
            f"{c['size']}x{c['size']}", str(c["batch"]), ms(median(t["forward"])), ms(median(t["gradcam_hook"])),
            ms(median(t["gradcam_autograd"])), ms(median(d["predict"])), ms(median(d["gradcam_none"])),
            fixed(r["gradcamNone_over_autograd"]), fixed(r["gradcamNone_over_hook"]), fixed(r["predict_over_forward"]),
            mib(run_peak(t["forward"]), run_peak(d["predict"])),
            mib(run_peak(t["gradcam_hook"]), run_peak(t["gradcam_autograd"]), run_peak(d["gradcam_none"])),
            agreement_text(c["agreement"]), f"{c['warmup']}+{c['runs']}",
        ])
    return header, rows


def skipped_notes(cases):
    return [f"{c['net']} {c['size']}x{c['size']} batch {c['batch']}: PyTorch {variant} not run: {entry['skipped']}"
            for c in cases for variant, entry in c["torch"].items() if not measured(entry)]


def text_table(header, rows):
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    for r in rows:
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def machine():
    import torch

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memoryGiB": round(mem_kib / 2**20, 1),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "torch": torch.__version__, "torchParallel": torch.__config__.parallel_info().splitlines()[-1].strip()}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="threads on both sides (default 2)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before them (default 3)")
    parser.add_argument("--nets", default=",".join(NETS), help="comma list (default: all five)")
    parser.add_argument("--batches", default="1,8", help="comma list (default 1,8)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the resnet50 scaling table")
    parser.add_argument("--scaling-batches", default=",".join(map(str, SCALING_BATCHES)),
                        help="batches of the scaling table (default 1,8,32)")
    parser.add_argument("--quick", action="store_true", help="1 warm-up and 2 runs everywhere: to try the script")
    parser.add_argument("--omp-wait-policy", default="passive", choices=["passive", "active", "default"],
                        help="OMP_WAIT_POLICY for both sides (default passive; 'default' leaves it unset)")
    parser.add_argument("--exports", default=os.path.join(ROOT, "build", "bench_exports"),
                        help="exports, inputs and maps (default build/bench_exports)")
    parser.add_argument("--json", default=os.path.join(ROOT, "build", "bench", "compare.json"),
                        help="the results (default build/bench/compare.json; the Markdown tables beside it)")
    parser.add_argument("--dlcam-bench", default=os.path.join(ROOT, "build", "apps", "dlcam-bench"),
                        help="the dlcam-bench program (default build/apps/dlcam-bench)")
    # A worker: one PyTorch measurement, printed as JSON (the harness runs these).
    parser.add_argument("--worker", choices=sorted(TORCH_VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--net", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--save-map", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    nets = [n for n in args.nets.split(",") if n]
    for n in nets:
        if n not in FEATURE_MODULE:
            parser.error(f"unknown net '{n}' (known: {', '.join(NETS)})")
    batches = [int(b) for b in args.batches.split(",") if b]
    if not os.path.exists(args.dlcam_bench):
        parser.error(f"{args.dlcam_bench} does not exist: build dlcam first (scripts/build.sh)")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    env.pop("OMP_WAIT_POLICY", None)
    if args.omp_wait_policy != "default":
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy

    def schedule(net, batch, size, heavy=None):
        if args.quick:
            return 1, 2
        return HEAVY.get((net, batch, size), heavy or (args.warmup, args.runs))

    started = time.perf_counter()
    cases = []
    for net in nets:
        for batch in batches:
            warmup, runs = schedule(net, batch, 224)
            case = measure_case(args, env, net, batch, 224, warmup, runs)
            cases.append(case)
            print(f"{net} batch {batch}: {case['seconds']:.0f} s", flush=True)

    scaling = []
    if not args.no_scaling:
        for size in SCALING_SIZES:
            for batch in [int(b) for b in args.scaling_batches.split(",") if b]:
                done = [c for c in cases if (c["net"], c["batch"], c["size"]) == (SCALING_NET, batch, size)]
                if done:
                    scaling.append(done[0])
                    continue
                small = size == 224 and batch <= 8
                warmup, runs = schedule(SCALING_NET, batch, size, None if small else SCALING_HEAVY)
                # A PyTorch Grad-CAM that would not fit in memory is not started (the machine has no
                # swap: it would be killed, or take the others down with it).
                previous = [c for c in scaling if c["size"] == size]
                skip = {}
                for variant in TORCH_VARIANTS:
                    need, have = predicted_peak_mib(previous, variant, batch), available_mib()
                    if need is not None and need > MEMORY_FRACTION * have:
                        skip[variant] = (f"would need about {need / 1024:.1f} GiB (extrapolated from the smaller "
                                         f"batches), {have / 1024:.1f} GiB available")
                case = measure_case(args, env, SCALING_NET, batch, size, warmup, runs, bicubic=False, skip=skip)
                scaling.append(case)
                print(f"{SCALING_NET} {size}x{size} batch {batch}: {case['seconds']:.0f} s", flush=True)

    total = time.perf_counter() - started
    info = machine()
    settings = {"threads": args.threads, "ompWaitPolicy": args.omp_wait_policy, "warmup": args.warmup,
                "runs": args.runs, "quick": args.quick, "opset": OPSET, "inputSeed": INPUT_SEED,
                "heavy": {f"{n} batch {b} {s}x{s}": {"warmup": w, "runs": r} for (n, b, s), (w, r) in HEAVY.items()},
                "scalingHeavy": {"warmup": SCALING_HEAVY[0], "runs": SCALING_HEAVY[1]}}
    report = {"date": datetime.date.today().isoformat(), "machine": info, "settings": settings,
              "seconds": total, "cases": cases, "scaling": scaling}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)

    header, rows = main_rows(cases)
    title = (f"{info['cpu']}, {info['cores']} cores, {args.threads} threads, OMP_WAIT_POLICY={args.omp_wait_policy}, "
             f"torch {info['torch']}, {report['date']}; medians in ms")
    markdown = [f"Machine: {title}.", "", markdown_table(header, rows)]
    print(f"\n{title}\n\n{text_table(header, rows)}")
    if scaling:
        header, rows = scaling_rows(scaling)
        print(f"\n{SCALING_NET} scaling\n\n{text_table(header, rows)}")
        markdown += ["", f"{SCALING_NET} scaling:", "", markdown_table(header, rows)]
    notes = skipped_notes(cases + [c for c in scaling if c not in cases])
    if notes:
        print("\n" + "\n".join(notes))
        markdown += [""] + [f"- {n}" for n in notes]
    markdown_path = os.path.splitext(args.json)[0] + ".md"
    with open(markdown_path, "w") as f:
        f.write("\n".join(markdown) + "\n")
    print(f"\nwrote {args.json} and {markdown_path} ({total / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
