"""PyTorch peer of `npm run bench`: one thread (torch.set_num_threads(1)), float64, the reference derivation's
formulas written by hand (no autograd), the same steps and epoch summaries as numpy_peer.py. Not used for
CSV parsing.
"""
import numpy as np
import torch

from common import answer, load_spec, split_theta, timed_reps

torch.set_num_threads(1)
torch.set_grad_enabled(False)


def g(kind, z):
    if kind == "sigmoid":
        return torch.sigmoid(z)
    if kind == "tanh":
        return torch.tanh(z)
    return torch.clamp_min(z, 0.0)


def g_prime(kind, z, a):
    if kind == "sigmoid":
        return a * (1.0 - a)
    if kind == "tanh":
        return 1.0 - a * a
    return (z > 0).to(torch.float64)


def bce(z2, y):
    return torch.clamp_min(z2, 0.0) - z2 * y + torch.log1p(torch.exp(-torch.abs(z2)))


def forward(X, W1, b1, W2, b2, act):
    Z1 = torch.addmm(b1, X, W1.t())
    A1 = g(act, Z1)
    return Z1, A1, torch.mv(A1, W2) + b2[0]


def epoch_summary(z2, Y, W1, b1, W2, b2, grads, lr):
    """The Trainer's epoch summary (numpy_peer.epoch_summary): loss, misclassified count, ‖g‖, block norms."""
    loss = float(torch.mean(bce(z2, Y)))
    wrong = int(torch.count_nonzero((z2 >= 0) != (Y == 1)))
    norms = []
    for w, d in zip((W1, b1, W2, b2), grads):
        nw, nd = float(torch.sqrt(torch.sum(w * w))), float(torch.sqrt(torch.sum(d * d)))
        norms.append((nw, nd, float(torch.sqrt(torch.sum((lr * d) ** 2))) / nw if nw > 0 else float("nan")))
    gnorm = float(sum(n[1] ** 2 for n in norms) ** 0.5)
    return loss, wrong, gnorm, norms


def train(spec, a):
    n, h, act, lr = spec["n"], spec["h"], spec["activation"], spec["lr"]
    epoch_steps = spec["epoch_steps"]
    X = torch.from_numpy(a["X"].reshape(-1, n).copy())
    Y = torch.from_numpy(a["Y"].copy())
    idx = torch.from_numpy(a["idx"].astype(np.int64)) if a.get("idx") is not None else None
    sizes = a.get("sizes")
    starts = np.concatenate([[0], np.cumsum(sizes)]) if sizes is not None else None
    theta0 = torch.from_numpy(a["theta"].copy())
    theta = theta0.clone()
    state = {"pending": None}  # full batch: the last epoch's gradients, summarised from the next forward pass

    def run(steps, losses=None, summaries=None, fresh=True):
        if fresh:
            theta.copy_(theta0)
            state["pending"] = None
        W1, b1, W2, b2 = split_theta(theta, n, h)
        W1 = W1.view(h, n)
        for s in range(steps):
            if idx is None:
                xb, yb = X, Y
            elif sizes[s] == 1:
                i = int(idx[starts[s]])
                x, y = X[i], Y[i]
                z1 = torch.mv(W1, x) + b1
                a1 = g(act, z1)
                z2 = torch.dot(W2, a1) + b2[0]
                if losses is not None:
                    losses.append(float(bce(z2, y)))
                dz2 = torch.sigmoid(z2) - y
                dz1 = W2 * dz2 * g_prime(act, z1, a1)
                dW2 = dz2 * a1
                dW1 = torch.outer(dz1, x)
                W2.sub_(lr * dW2)
                b2.sub_(lr * dz2)
                W1.sub_(lr * dW1)
                b1.sub_(lr * dz1)
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
                losses.append(float(torch.mean(bce(z2, yb))))
            dz2 = (torch.sigmoid(z2) - yb) / B
            dW2 = torch.mv(A1.t(), dz2)
            db2 = dz2.sum()
            dZ1 = torch.outer(dz2, W2) * g_prime(act, Z1, A1)
            dW1 = torch.mm(dZ1.t(), xb)
            db1 = dZ1.sum(dim=0)
            W1.sub_(lr * dW1)
            b1.sub_(lr * db1)
            W2.sub_(lr * dW2)
            b2.sub_(lr * db2)
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
    units, times = timed_reps(lambda k: run(k, fresh=idx is not None), spec, spec["steps_max"])
    samples = int(sizes[:units].sum()) if sizes is not None else units * X.shape[0]
    return {"losses": losses, "summaries": summaries, "units": units, "samples": samples, "times": times}


def gradcheck(spec, a):
    n, h, act, step = spec["n"], spec["h"], spec["activation"], spec["step"]
    X = torch.from_numpy(a["X"].reshape(-1, n).copy())
    Y = torch.from_numpy(a["Y"].copy())
    theta = torch.from_numpy(a["theta"].copy())
    P = theta.numel()
    t = theta.numpy()  # the same memory, for cheap scalar writes

    def J():
        W1, b1, W2, b2 = split_theta(theta, n, h)
        z2 = torch.mv(g(act, torch.addmm(b1, X, W1.view(h, n).t())), W2) + b2[0]
        return float(torch.mean(bce(z2, Y)))

    numeric = np.empty(P)

    def run(checks):
        for _ in range(checks):
            for i in range(P):
                v = t[i]
                t[i] = v + step
                fp = J()
                t[i] = v - step
                fm = J()
                t[i] = v
                numeric[i] = (fp - fm) / (2 * step)

    loss = J()
    units, times = timed_reps(run, spec, 1000)
    return {"losses": [loss], "numeric": numeric.tolist(), "units": units, "times": times}


if __name__ == "__main__":
    spec, arrays = load_spec()
    result = {"train": train, "gradcheck": gradcheck}[spec["kind"]](spec, arrays)
    result["version"] = torch.__version__
    result["threads"] = torch.get_num_threads()
    answer(result)
