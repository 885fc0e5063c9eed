"""Shared by the benchmark's Python peers: the workload files Node wrote, timing, and the JSON answer.

A peer is run as `python3 <peer>.py SPEC.json` and prints one JSON object on stdout. It must use the
data and the initial weights in the spec's files (theta is laid out [W1 | b1 | W2 | b2], W1 h×n row-major,
W2 1×h), and follow the spec's stream of training-row indices, so that its first losses can be compared
with Backprop Lens's before its time counts (Node does the comparison).
"""
import json
import os
import sys
import time

import numpy as np


def load_spec():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    d = os.path.dirname(os.path.abspath(sys.argv[1]))
    arrays = {}
    for key, (name, dtype) in spec["files"].items():
        arrays[key] = np.fromfile(os.path.join(d, name), dtype=dtype)
    return spec, arrays


def split_theta(theta, n, h):
    """Views W1 (h×n), b1 (h), W2 (h, the one output row), b2 (1) of the flat θ."""
    W1 = theta[: h * n].reshape(h, n)
    b1 = theta[h * n : h * n + h]
    W2 = theta[h * n + h : h * n + 2 * h]
    b2 = theta[h * n + 2 * h :]
    return W1, b1, W2, b2


def timed_reps(run, spec, cap):
    """Warm-up, calibration to spec['target_s'] per repetition (at most cap units), then spec['reps'] timed repetitions."""
    t0 = time.perf_counter()
    probe = max(1, min(cap, spec.get("probe", 1)))
    run(probe)
    rate = probe / max(time.perf_counter() - t0, 1e-9)
    units = int(max(1, min(cap, rate * spec["target_s"])))
    run(units)  # warm-up at the measured size
    times = []
    for _ in range(spec["reps"]):
        t0 = time.perf_counter()
        run(units)
        times.append(time.perf_counter() - t0)
    return units, times


def blas_info():
    """Which BLAS numpy uses: threadpoolctl when installed, else numpy.show_config()."""
    try:
        from threadpoolctl import threadpool_info

        libs = [f"{i.get('internal_api')} {i.get('version')} ({i.get('threading_layer', '?')}, {i.get('num_threads')} threads, {i.get('architecture', '?')})" for i in threadpool_info()]
        return "; ".join(libs) or "threadpoolctl sees no BLAS"
    except ImportError:
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np.show_config()
        lines = [l.strip() for l in buf.getvalue().splitlines() if "libraries" in l or "openblas" in l.lower() or "blas" in l.lower() and "=" in l]
        return "numpy.show_config: " + " | ".join(dict.fromkeys(lines)) if lines else "numpy.show_config: no BLAS listed"


def answer(obj):
    json.dump(obj, sys.stdout)
    sys.stdout.write("\n")
