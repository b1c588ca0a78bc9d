#!/usr/bin/env python3
"""The command line's batch path under load: `dlcam evaluate` over manifests of 1,000 and
10,000 samples (examples/shapes' 8 samples, repeated) must finish and use the same peak memory:
the 9,000 more explanations may add at most 4 MiB to the process's peak resident memory.

    evaluate_load.py DLCAM SOURCE_DIR     (run by ctest: cli_evaluate_load)
Only the standard library is used; the peak is the child's ru_maxrss from os.wait4.
"""
import os
import subprocess
import sys
import tempfile

LIMIT_KIB = 4 * 1024


def run(dlcam, model, manifest, count):
    """Runs dlcam evaluate; returns the child's peak resident memory in KiB."""
    args = [dlcam, "evaluate", model, "--set", manifest, "--steps", "1", "--no-sanity"]
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        report, errors = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        sys.exit(f"dlcam evaluate ({count} samples) failed with {child.returncode}:\n{errors}")
    if f"{count} samples" not in report:
        sys.exit(f"dlcam evaluate ({count} samples): the report does not count {count} samples:\n{report}")
    return usage.ru_maxrss


def main():
    dlcam, source = sys.argv[1], sys.argv[2]
    samples = os.path.join(source, "examples", "shapes", "samples")
    model = os.path.join(source, "examples", "shapes", "model.onnx")
    with open(os.path.join(samples, "manifest.txt")) as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    with tempfile.TemporaryDirectory() as tmp:
        for name in os.listdir(samples):
            if name.endswith(".png"):
                os.symlink(os.path.join(samples, name), os.path.join(tmp, name))
        peaks = {}
        for count in (1000, 10000):
            manifest = os.path.join(tmp, f"m{count}.txt")
            with open(manifest, "w") as f:
                f.writelines(lines[i % len(lines)] for i in range(count))
            peaks[count] = run(dlcam, model, manifest, count)
    growth = peaks[10000] - peaks[1000]
    print(f"dlcam evaluate peak resident memory: {peaks[1000]} KiB for 1,000 samples, "
          f"{peaks[10000]} KiB for 10,000 (growth {growth} KiB, limit {LIMIT_KIB} KiB)")
    if growth > LIMIT_KIB:
        sys.exit("memory grows with the number of samples")


if __name__ == "__main__":
    main()
