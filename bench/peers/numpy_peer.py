"""numpy peer of `npm run bench`: the reference derivation's formulas written by hand over numpy arrays, float64.

Training: per step, the rows of the spec's index stream; forward Z1 = X·W1ᵀ + b1, A1 = g(Z1),
z2 = A1·W2ᵀ + b2; mean BCE from the logit; backward dz2 = (σ(z2) − y)/B, dW2 = dz2·A1, db2 = Σdz2,
dZ1 = dz2·W2 ∗ g'(Z1), dW1 = dZ1ᵀ·X, db1 = ΣdZ1; plain update θ −= lr·∇. One example at a time
(B = 1) uses vectors instead of 1-row matrices. At the end of every epoch (spec epoch_steps steps), the
Trainer's epoch summary: the training set's mean loss and misclassified count at the new θ, ‖g‖ of the
last step and per block ‖W‖, ‖dW‖, ‖ΔW‖/‖W‖; in full batch from the next step's forward pass (the same θ
and rows: one forward pass a step, as the Trainer's kept hidden layer gives ours), and the timed
repetitions continue one run, as ours do.
Gradient check: central differences of the mean loss,
every entry of θ, the loss recomputed in full for each. CSV: numpy.loadtxt.
"""
import time
import tracemalloc

import numpy as np

from common import answer, blas_info, load_spec, split_theta, timed_reps

np.seterr(over="ignore")


def g(kind, z):
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if kind == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0.0)


def g_prime(kind, z, a):
    if kind == "sigmoid":
        return a * (1.0 - a)
    if kind == "tanh":
        return 1.0 - a * a
    return (z > 0).astype(np.float64)


def bce(z2, y):
    return np.maximum(z2, 0.0) - z2 * y + np.log1p(np.exp(-np.abs(z2)))


def forward(X, W1, b1, W2, b2, act):
    Z1 = X @ W1.T + b1
    A1 = g(act, Z1)
    return Z1, A1, A1 @ W2 + b2[0]


def epoch_summary(z2, Y, W1, b1, W2, b2, grads, lr):
    """The Trainer's epoch summary at θ = (W1, b1, W2, b2) from the training set's z2 there, grads the epoch's last
    step's (dW1, db1, dW2, db2): the training loss, the misclassified count, ‖g‖ and per block ‖W‖, ‖dW‖, ‖ΔW‖/‖W‖."""
    loss = float(np.mean(bce(z2, Y)))
    wrong = int(np.count_nonzero((z2 >= 0) != (Y == 1)))
    norms = []
    for w, d in zip((W1, b1, W2, b2), grads):
        nw, nd = float(np.sqrt(np.sum(w * w))), float(np.sqrt(np.sum(d * d)))
        norms.append((nw, nd, float(np.sqrt(np.sum((lr * d) ** 2))) / nw if nw > 0 else float("nan")))
    gnorm = float(np.sqrt(sum(n[1] ** 2 for n in norms)))
    return loss, wrong, gnorm, norms


def train(spec, a):
    n, h, act, lr = spec["n"], spec["h"], spec["activation"], spec["lr"]
    epoch_steps = spec["epoch_steps"]
    X = a["X"].reshape(-1, n)
    Y = a["Y"]
    idx = a.get("idx")
    sizes = a.get("sizes")
    starts = np.concatenate([[0], np.cumsum(sizes)]) if sizes is not None else None
    steps_max = spec["steps_max"]
    theta = a["theta"].copy()
    # Full batch: the last epoch's gradients while its summary waits for the next step's forward pass (the same θ
    # and every row: one forward pass a step, as the Trainer's kept hidden layer gives ours).
    state = {"pending": None}

    def run(steps, losses=None, summaries=None, fresh=True):
        if fresh:
            theta[:] = a["theta"]
            state["pending"] = None
        W1, b1, W2, b2 = split_theta(theta, n, h)
        for s in range(steps):
            if idx is None:
                xb, yb = X, Y
            elif sizes[s] == 1:
                i = idx[starts[s]]
                x, y = X[i], Y[i]
                z1 = W1 @ x + b1
                a1 = g(act, z1)
                z2 = W2 @ a1 + b2[0]
                if losses is not None:
                    losses.append(float(bce(z2, y)))
                dz2 = 1.0 / (1.0 + np.exp(-z2)) - y
                dz1 = W2 * dz2 * g_prime(act, z1, a1)
                dW2 = dz2 * a1
                dW1 = np.outer(dz1, x)
                W2 -= lr * dW2
                b2 -= lr * dz2
                W1 -= lr * dW1
                b1 -= lr * dz1
                if (s + 1) % epoch_steps == 0:
                    out = epoch_summary(forward(X, W1, b1, W2, b2, act)[2], Y, W1, b1, W2, b2, (dW1, dz1, dW2, dz2), lr)
                    if summaries is not None:
                        summaries.append(out[0])
                continue
            else:
                rows = idx[starts[s] : starts[s + 1]]
                xb, yb = X[rows], Y[rows]
            B = xb.shape[0]
            Z1, A1, z2 = forward(xb, W1, b1, W2, b2, act)
            if state["pending"] is not None:  # the previous epoch's summary: this pass is at its θ, over every row
                out = epoch_summary(z2, Y, W1, b1, W2, b2, state["pending"], lr)
                state["pending"] = None
                if summaries is not None:
                    summaries.append(out[0])
            if losses is not None:
                losses.append(float(np.mean(bce(z2, yb))))
            dz2 = (1.0 / (1.0 + np.exp(-z2)) - yb) / B
            dW2 = dz2 @ A1
            db2 = dz2.sum()
            dZ1 = np.outer(dz2, W2) * g_prime(act, Z1, A1)
            dW1 = dZ1.T @ xb
            db1 = dZ1.sum(axis=0)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
            if (s + 1) % epoch_steps == 0:
                if idx is None:
                    state["pending"] = (dW1, db1, dW2, db2)
                else:
                    out = epoch_summary(forward(X, W1, b1, W2, b2, act)[2], Y, W1, b1, W2, b2, (dW1, db1, dW2, db2), lr)
                    if summaries is not None:
                        summaries.append(out[0])
        if summaries is not None and state["pending"] is not None:  # the verifying run's last summary
            out = epoch_summary(forward(X, W1, b1, W2, b2, act)[2], Y, W1, b1, W2, b2, state["pending"], lr)
            state["pending"] = None
            summaries.append(out[0])

    losses, summaries = [], []
    run(spec["verify_steps"], losses, summaries)
    losses = losses[: spec["verify"]]
    # Full batch: the repetitions continue one run (as ours do); the other workloads replay the stream from θ0.
    units, times = timed_reps(lambda k: run(k, fresh=idx is not None), spec, steps_max)
    samples = int(sizes[:units].sum()) if sizes is not None else units * X.shape[0]
    return {"losses": losses, "summaries": summaries, "units": units, "samples": samples, "times": times}


def gradcheck(spec, a):
    n, h, act, step = spec["n"], spec["h"], spec["activation"], spec["step"]
    X = a["X"].reshape(-1, n)
    Y = a["Y"]
    theta = a["theta"].copy()
    P = theta.size

    def J(t):
        W1, b1, W2, b2 = split_theta(t, n, h)
        z2 = g(act, X @ W1.T + b1) @ W2 + b2[0]
        return float(np.mean(bce(z2, Y)))

    numeric = np.empty(P)

    def run(checks):
        for _ in range(checks):
            for i in range(P):
                v = theta[i]
                theta[i] = v + step
                fp = J(theta)
                theta[i] = v - step
                fm = J(theta)
                theta[i] = v
                numeric[i] = (fp - fm) / (2 * step)

    loss = J(theta)
    units, times = timed_reps(run, spec, 1000)
    return {"losses": [loss], "numeric": numeric.tolist(), "units": units, "times": times}


def csv(spec, a):
    path = spec["path"]

    def parse():
        return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)

    times = []
    for _ in range(spec["reps"] + 1):  # the first is the warm-up
        t0 = time.perf_counter()
        arr = parse()
        times.append(time.perf_counter() - t0)
    held = arr.nbytes
    del arr
    # Peak memory of one parse, untimed: numpy reports its allocations to tracemalloc
    # (ru_maxrss would be inherited from the Node parent across fork).
    tracemalloc.start()
    parse()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"losses": [], "units": 1, "times": times[1:], "heldBytes": held, "peakBytes": peak}


if __name__ == "__main__":
    spec, arrays = load_spec()
    result = {"train": train, "gradcheck": gradcheck, "csv": csv}[spec["kind"]](spec, arrays)
    result["version"] = np.__version__
    result["blas"] = blas_info()
    answer(result)
