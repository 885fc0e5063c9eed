/**
 * Export to PyTorch: a readable, self-contained `model.py` with an `nn.Module`
 * of the same architecture, the model's parameters, its standardisation, the
 * optimizer and hyper-parameters, a loader for the same data file with the same
 * rules (label and feature columns by name, the same train/test split), and an
 * assertion that its gradients on the first batch equal the ones Backprop Lens
 * computed, saved beside it in a small JSON file (the "check file").
 *
 * Pure: the CLI (or the extension) writes the two texts. User-supplied text
 * (column names, file names) enters the Python source only as string literals
 * built by {@link pyString}, never in comments or docstrings.
 */
import { layout } from '../core/network';
import { type Model, outputsOf } from '../core/model';
import type { StepRecord } from '../core/trainer';

/**
 * A Python string literal for any JS string: single-quoted, printable ASCII
 * kept, backslash and quote escaped, everything else (control characters, line
 * breaks, non-ASCII, bidi marks) as \xXX, \uXXXX or \UXXXXXXXX escapes, so the
 * literal is one line of ASCII whatever the input.
 */
export function pyString(s: string): string {
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c < 0x100) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return out + "'";
}

/** A finite double as a Python float literal that reads back to the same double (JS's shortest round-trip form). */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot export the non-finite number ${x}`);
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  return /[.e]/.test(s) ? s : s + '.0';
}

const pyList = (a: ArrayLike<number>) => `[${Array.from(a, pyFloat).join(', ')}]`;

export interface TorchExport {
  model: Model;
  /** The data file as the script should open it: relative to the script's folder, or absolute. */
  dataPath: string;
  /** The check file's name, beside the script. */
  checkFile: string;
  /** Data rows in the file, and the file rows of the training and test splits. */
  rows: number;
  trainRows: Int32Array;
  testRows: Int32Array;
  /** The first step's record at the model's θ (its samples index the training split), from a Trainer on that split. */
  first: StepRecord;
  /** Backprop Lens's version, for the header. */
  version: string;
  /** Rows with a missing value in a used column are skipped (the dropMissing setting the rows were read with). */
  dropMissing: boolean;
}

export const TORCH_TOLERANCE = 1e-10;

/** The check file: the split, the first batch (file rows), its loss and the gradient blocks W1, b1, W2, b2 (as nested lists, PyTorch's shapes). */
export function torchCheckJson(e: TorchExport): string {
  const n = e.model.features.length,
    h = e.model.config.hidden,
    K = outputsOf(e.model.classes);
  const grads: Record<string, number[] | number[][]> = {};
  for (const b of layout(n, h, K)) {
    const block = Array.from(e.first.grad.subarray(b.offset, b.offset + b.rows * b.cols));
    grads[b.name] =
      b.cols === 1
        ? block
        : Array.from({ length: b.rows }, (_, r) => block.slice(r * b.cols, (r + 1) * b.cols));
  }
  if (e.first.samples.length === 0) throw new RangeError('the first step used no rows');
  const firstBatch = Array.from(e.first.samples, (i) => e.trainRows[i]);
  return (
    JSON.stringify({
      format: 'backprop-lens-torch-check',
      version: 1,
      rows: e.rows,
      train_rows: Array.from(e.trainRows),
      test_rows: Array.from(e.testRows),
      first_batch: firstBatch,
      loss: e.first.loss,
      grads,
      tolerance: TORCH_TOLERANCE,
    }) + '\n'
  );
}

/** The model.py text. */
export function torchScript(e: TorchExport): string {
  const { model } = e;
  const c = model.config;
  const n = model.features.length,
    h = c.hidden;
  const classes = model.classes ?? ['0', '1'];
  const K = outputsOf(classes);
  const columns = model.columns ?? model.features.map((name) => ({ name, type: 'number' as const }));
  const blocks = layout(n, h, K);
  const param = (name: string) => {
    const b = blocks.find((x) => x.name === name)!;
    const v = model.theta.subarray(b.offset, b.offset + b.rows * b.cols);
    if (b.cols === 1) return pyList(v);
    const rows: string[] = [];
    for (let r = 0; r < b.rows; r++)
      rows.push('    ' + pyList(v.subarray(r * b.cols, (r + 1) * b.cols)) + ',');
    return `[\n${rows.join('\n')}\n]`;
  };
  const std = model.standardization;
  return `#!/usr/bin/env python3
"""The two-layer network of Backprop Lens ${e.version.replace(/[^\w.+-]/g, '')} as a plain PyTorch script.

    z1 = W1 x + b1,  a1 = g(z1),  z2 = W2 a1 + b2,  ${
      K > 1
        ? `a2 = softmax(z2) over ${K} classes
    loss: cross-entropy, mean over the batch (computed from the logits z2)`
        : `a2 = sigmoid(z2)
    loss: binary cross-entropy, mean over the batch (computed from the logit z2)`
    }

Run from any folder:  python3 <this file> [--steps N] [--json] [--data FILE]
First it checks that PyTorch's gradients on the first batch equal the ones
Backprop Lens computed (the check file beside this script) to ${TORCH_TOLERANCE}, then it
trains with the same optimizer and hyper-parameters. Everything is float64.
"""
import argparse
import csv
import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))

# ---- the data: the same file, columns by name, the same split -------------------------
DATA_FILE = ${pyString(e.dataPath)}  # relative to this script's folder unless absolute
CHECK_FILE = ${pyString(e.checkFile)}  # beside this script
# The source columns, in input order: ('number', name) is one input; ('category', name, [values]) one input per value (one-hot).
COLUMNS = [
${columns.map((col) => (col.type === 'number' ? `    ('number', ${pyString(col.name)}),` : `    ('category', ${pyString(col.name)}, [${col.categories.map(pyString).join(', ')}]),`)).join('\n')}
]
FEATURES = [${model.features.map(pyString).join(', ')}]  # the network's inputs
LABEL = ${pyString(model.label)}
CLASSES = [${classes.map(pyString).join(', ')}]  # output order${K > 1 ? '' : ': the network predicts CLASSES[1] when a2 >= 0.5'}
DROP_MISSING = ${e.dropMissing ? 'True' : 'False'}  # skip rows with a missing value in a used column
MISSING = {'', 'na', 'n/a', 'nan', 'null', 'none', '?'}  # (compared trimmed and lower-cased)
# z-score standardisation x' = (x - MEAN) / STD with the training rows' statistics (None: off)
MEAN = ${std ? pyList(std.mean) : 'None'}
STD = ${std ? pyList(std.std) : 'None'}

# ---- the network ---------------------------------------------------------------------
HIDDEN = ${h}
OUTPUTS = ${K}  # 1: sigmoid output (two classes); K >= 3: softmax over K classes
ACTIVATION = ${pyString(c.activation)}  # hidden activation g
W1 = ${param('W1')}  # ${h}x${n}
b1 = ${param('b1')}  # ${h}
W2 = ${param('W2')}  # ${K}x${h}
b2 = ${param('b2')}  # ${K}

# ---- the optimizer -------------------------------------------------------------------
OPTIMIZER = ${pyString(c.optimizer)}
LR = ${pyFloat(c.lr)}
MOMENTUM = ${pyFloat(c.momentum)}  # momentum: v = MOMENTUM*v + g (PyTorch's form)
RHO = ${pyFloat(c.rho)}  # rmsprop: s = RHO*s + (1-RHO)*g^2
BETAS = (${pyFloat(c.beta1)}, ${pyFloat(c.beta2)})  # adam
EPS = ${pyFloat(c.eps)}
BATCH_SIZE = ${c.batchSize}  # minibatch, momentum, rmsprop, adam
EPOCHS = ${c.epochs}
SEED = ${c.seed}


class TwoLayerNet(nn.Module):
    """x -> z1 = W1 x + b1 -> a1 = g(z1) -> z2 = W2 a1 + b2 (the logits; a2 = sigmoid(z2), or softmax(z2) for K classes)."""

    def __init__(self, n, h, k, activation):
        super().__init__()
        self.layer1 = nn.Linear(n, h)  # W1: h x n, b1: h
        self.layer2 = nn.Linear(h, k)  # W2: k x h, b2: k
        self.g = {'sigmoid': torch.sigmoid, 'tanh': torch.tanh, 'relu': torch.relu}[activation]

    def forward(self, x):
        z2 = self.layer2(self.g(self.layer1(x)))
        return z2.squeeze(-1) if z2.shape[-1] == 1 else z2  # one logit per row, or K


def number_text(v):
    """A number as JavaScript writes it (1.0 -> '1'): how a JSON cell or a numeric label is named."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e21 else repr(float(v))


def class_index(cell):
    if cell in CLASSES:
        return CLASSES.index(cell)
    try:
        return CLASSES.index(number_text(float(cell)))  # numeric classes by value ("1.0" is class "1")
    except ValueError:
        raise ValueError(f'label {cell!r} is not one of the classes {CLASSES}') from None


def encode(cells):
    """One row's cells (by column name) as the network's inputs."""
    x = []
    for col in COLUMNS:
        cell = cells[col[1]]
        if col[0] == 'number':
            x.append(float(cell))
        else:
            x.extend(1.0 if cell == value else 0.0 for value in col[2])  # one-hot; an unknown category raises below
            if cell not in col[2]:
                raise ValueError(f'column {col[1]!r}: the category {cell!r} was not in the training data')
    return x


def load_data(path):
    """The data file's rows: X (raw inputs, FEATURES' order) and Y (class indices)."""
    if path.lower().endswith('.json'):
        with open(path, encoding='utf-8-sig') as f:
            records = [{k: number_text(v) for k, v in r.items()} for r in json.load(f)]
    else:
        tsv = path.lower().endswith('.tsv')
        with open(path, encoding='utf-8-sig', newline='') as f:
            reader = csv.reader(f, delimiter='\\t' if tsv else ',', quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL)
            lines = [r for r in reader if any(cell.strip() for cell in r)]  # blank lines are skipped
        header = lines[0]
        records = [dict(zip(header, r)) for r in lines[1:]]
    used = [col[1] for col in COLUMNS] + [LABEL]
    if DROP_MISSING:
        records = [r for r in records if not any(r[k].strip().lower() in MISSING for k in used)]
    X = torch.tensor([encode(r) for r in records])
    Y = torch.tensor([float(class_index(r[LABEL])) for r in records])
    return X, Y


def standardise(X):
    return X if MEAN is None else (X - torch.tensor(MEAN)) / torch.tensor(STD)


def make_network():
    net = TwoLayerNet(len(FEATURES), HIDDEN, OUTPUTS, ACTIVATION)
    with torch.no_grad():
        net.layer1.weight.copy_(torch.tensor(W1))
        net.layer1.bias.copy_(torch.tensor(b1))
        net.layer2.weight.copy_(torch.tensor(W2))
        net.layer2.bias.copy_(torch.tensor(b2))
    return net


def make_optimizer(params):
    if OPTIMIZER == 'momentum':
        return torch.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    if OPTIMIZER == 'rmsprop':
        return torch.optim.RMSprop(params, lr=LR, alpha=RHO, eps=EPS)
    if OPTIMIZER == 'adam':
        return torch.optim.Adam(params, lr=LR, betas=BETAS, eps=EPS)
    return torch.optim.SGD(params, lr=LR)  # sgd, batch, minibatch, misclassified-sgd: plain W -= LR*dW


def loss_of(net, X, Y):
    if OUTPUTS == 1:
        return F.binary_cross_entropy_with_logits(net(X), Y)  # mean over the rows
    return F.cross_entropy(net(X), Y.long())  # softmax cross-entropy, mean over the rows


def predicted(net, X):
    """Class indices: 1 when a2 >= 0.5 (z2 >= 0); K classes: the first largest logit."""
    z2 = net(X)
    return (z2 >= 0).to(torch.long) if OUTPUTS == 1 else z2.argmax(dim=-1)


def check_first_gradients(net, X, Y, check):
    """PyTorch's gradients on the first batch must equal Backprop Lens's (each block, relative to its largest entry)."""
    rows = torch.tensor(check['first_batch'])
    net.zero_grad()
    loss = loss_of(net, X[rows], Y[rows])
    loss.backward()
    tol = check['tolerance']
    assert abs(loss.item() - check['loss']) <= tol * max(abs(check['loss']), 1e-300), f'first-batch loss {loss.item()} != {check["loss"]}'
    ours = {'W1': net.layer1.weight.grad, 'b1': net.layer1.bias.grad, 'W2': net.layer2.weight.grad, 'b2': net.layer2.bias.grad}
    for name, grad in ours.items():
        expected = torch.tensor(check['grads'][name]).reshape(grad.shape)
        scale = max(expected.abs().max().item(), 1e-300)
        diff = (grad - expected).abs().max().item()
        assert diff <= tol * scale, f'd{name}: PyTorch and Backprop Lens differ by {diff:.3e} (scale {scale:.3e})'
    net.zero_grad()
    return loss.item()


def batches(m, generator):
    """Row positions of each step's batch within the training rows, epoch after epoch."""
    if OPTIMIZER == 'batch':
        while True:
            yield torch.arange(m)
    size = 1 if OPTIMIZER == 'sgd' else min(BATCH_SIZE, m)
    while True:
        order = torch.randperm(m, generator=generator)
        for start in range(0, m, size):
            yield order[start:start + size]


def train(net, X, Y, steps, generator):
    """steps optimizer steps; returns each step's batch loss before its update."""
    opt = make_optimizer(net.parameters())
    losses = []
    feed = batches(len(Y), generator)
    for _ in range(steps):
        if OPTIMIZER == 'misclassified-sgd':
            with torch.no_grad():
                wrong = (predicted(net, X) != Y.long()).nonzero().flatten()
            if len(wrong) == 0:
                break  # converged: no training point is misclassified
            rows = wrong[torch.randint(len(wrong), (1,), generator=generator)]
        else:
            rows = next(feed)
        opt.zero_grad()
        loss = loss_of(net, X[rows], Y[rows])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def accuracy(net, X, Y):
    with torch.no_grad():
        return (predicted(net, X) == Y.long()).to(X.dtype).mean().item() if len(Y) else float('nan')


def main():
    parser = argparse.ArgumentParser(description='Train the exported Backprop Lens network with PyTorch.')
    parser.add_argument('--data', default=os.path.join(HERE, DATA_FILE), help='the data file (default: the one it was exported with)')
    parser.add_argument('--steps', type=int, default=None, help='optimizer steps (default: EPOCHS epochs)')
    parser.add_argument('--json', action='store_true', help='print the per-step losses as JSON')
    args = parser.parse_args()
    with open(os.path.join(HERE, CHECK_FILE), encoding='utf-8') as f:
        check = json.load(f)
    X_raw, Y_all = load_data(args.data)
    assert len(Y_all) == check['rows'], f'{args.data} has {len(Y_all)} data rows; the export saw {check["rows"]}'
    X_all = standardise(X_raw)
    train_rows, test_rows = torch.tensor(check['train_rows']), torch.tensor(check['test_rows'], dtype=torch.long)
    X, Y = X_all[train_rows], Y_all[train_rows]
    net = make_network()
    first = check_first_gradients(net, X_all, Y_all, check)
    m = len(Y)
    steps = args.steps if args.steps is not None else EPOCHS * (1 if OPTIMIZER == 'batch' else m if OPTIMIZER in ('sgd', 'misclassified-sgd') else -(-m // min(BATCH_SIZE, m)))
    generator = torch.Generator().manual_seed(SEED)
    losses = train(net, X, Y, steps, generator)
    result = {'first_batch_loss': first, 'losses': losses, 'train_accuracy': accuracy(net, X, Y), 'test_accuracy': accuracy(net, X_all[test_rows], Y_all[test_rows])}
    if args.json:
        print(json.dumps(result))
    else:
        print(f'gradients on the first batch match Backprop Lens (tolerance {check["tolerance"]})')
        print(f'{len(losses)} steps of {OPTIMIZER}: loss {losses[0] if losses else float("nan"):.6f} -> {losses[-1] if losses else float("nan"):.6f}; '
              f'train accuracy {100 * result["train_accuracy"]:.2f}%, test accuracy {100 * result["test_accuracy"]:.2f}%')
    return 0


if __name__ == '__main__':
    sys.exit(main())
`;
}
