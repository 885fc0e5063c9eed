import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../src/cli/main';
import { modelFromJson } from '../../src/core/model';
import { Network } from '../../src/core/network';
import { Trainer } from '../../src/core/trainer';
import { readDataset } from '../../src/data/dataset';
import { prepare } from '../../src/data/prepare';
import { pyFloat, pyString } from '../../src/export/torch';

const root = join(__dirname, '..', '..');

/** A python3 that can import torch: Debian's /usr/bin/python3 first (where python3-torch installs), then the one on PATH. */
function pythonWith(module: string | null): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', module ? `import ${module}` : 'pass'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

const realIo = (): Io & { text: () => string } => {
  let out = '';
  return {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      out += s;
    },
    tty: false,
    readFile: (p) => readFileSync(p),
    writeFile: (p, t) => writeFileSync(p, t),
    text: () => out,
  };
};

const HOSTILE = [
  'plain',
  "it's",
  'say "hi"',
  'back\\slash',
  'new\nline',
  'tab\there',
  '"""',
  "'''",
  'x"""y',
  "\\'",
  'é ünïcode 😀',
  'bidi\u202ereversed',
  '\0nul',
  '{}%s{0}',
];

describe('export to PyTorch', () => {
  it('Python string literals are one line of printable ASCII', () => {
    for (const s of HOSTILE) {
      const lit = pyString(s);
      assert.match(lit, /^'[\x20-\x7e]*'$/, JSON.stringify(s));
    }
    assert.equal(pyFloat(1), '1.0');
    assert.equal(pyFloat(-2.5e-7), '-2.5e-7');
    assert.throws(() => pyFloat(NaN), RangeError);
  });

  it('Python reads every hostile string back exactly, and every float to the same double', function () {
    const py = pythonWith(null);
    if (!py) {
      console.log('      (no python3 installed: skipping the round trip through Python)');
      this.skip();
    }
    const floats = [0.1, 1 / 3, -1e-300, 5e-324, 1.7976931348623157e308, 123456789012345680000, -0];
    const src = `import json\nprint(json.dumps([[${HOSTILE.map(pyString).join(', ')}], [x.hex() for x in [${floats.map(pyFloat).join(', ')}]]]))`;
    const r = spawnSync(py!, ['-c', src], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [strings, hex] = JSON.parse(r.stdout);
    assert.deepEqual(strings, HOSTILE);
    // Python's float.hex of each literal against the same double's bits from JS.
    const jsHex = (x: number) =>
      spawnSync(
        py!,
        [
          '-c',
          `import struct;print(struct.unpack('<d', bytes.fromhex('${Buffer.from(Float64Array.of(x).buffer).toString('hex')}'))[0].hex())`,
        ],
        { encoding: 'utf8' },
      ).stdout.trim();
    floats.forEach((x, i) => assert.equal(hex[i], jsHex(x), String(x)));
  });

  describe('the exported script (needs python3 with torch)', function () {
    let py: string | null = null;
    before(function () {
      py = pythonWith('torch');
      if (!py) {
        console.log(
          '      (python3 with torch is not installed — Debian: apt-get install python3-torch — skipping the exported-script tests)',
        );
        this.skip();
      }
    });

    const cases = [
      { data: 'moons.csv', optimizer: 'batch', activation: 'sigmoid', hidden: 6, lr: 0.5, batch: 32 },
      { data: 'moons.csv', optimizer: 'adam', activation: 'tanh', hidden: 8, lr: 0.01, batch: 10000 },
      {
        data: 'breast_cancer.csv',
        optimizer: 'momentum',
        activation: 'relu',
        hidden: 4,
        lr: 0.05,
        batch: 10000,
      },
      { data: 'circles.csv', optimizer: 'rmsprop', activation: 'sigmoid', hidden: 5, lr: 0.01, batch: 10000 },
      { data: 'iris.csv', optimizer: 'adam', activation: 'tanh', hidden: 6, lr: 0.01, batch: 10000 }, // 3 classes named by text
      { data: 'wine.csv', optimizer: 'batch', activation: 'relu', hidden: 5, lr: 0.1, batch: 32 }, // 3 classes named 1, 2, 3
      {
        data: 'penguins.csv',
        optimizer: 'momentum',
        activation: 'sigmoid',
        hidden: 4,
        lr: 0.05,
        batch: 10000,
        dropMissing: true,
      }, // categories, missing values
    ];
    for (const c of cases) {
      it(`${c.data}, ${c.optimizer}, ${c.activation}: first gradients asserted, and the loss over 20 full-batch steps equals ours to 1e-10`, () => {
        assert.ok(readFileSync(join(root, 'examples', c.data)).length > 0);
        const dir = mkdtempSync(join(tmpdir(), 'bpl-torch-'));
        const modelPath = join(dir, 'm.json');
        const args = [
          '--optimizer',
          c.optimizer,
          '--activation',
          c.activation,
          '--hidden',
          String(c.hidden),
          '--lr',
          String(c.lr),
          '--batch',
          String(c.batch),
          '--epochs',
          '3',
          ...(c.dropMissing ? ['--drop-missing'] : []),
        ];
        assert.equal(
          main(['train', join(root, 'examples', c.data), ...args, '--save', modelPath], realIo()),
          0,
        );
        mkdirSync(join(dir, 'sub'));
        const out = join(dir, 'sub', 'model.py');
        const io = realIo();
        assert.equal(
          main(
            [
              'export-torch',
              modelPath,
              '--data',
              join(root, 'examples', c.data),
              '--out',
              out,
              ...(c.dropMissing ? ['--drop-missing'] : []),
            ],
            io,
          ),
          0,
          io.text(),
        );
        const r = spawnSync(py!, [out, '--steps', '20', '--json'], { encoding: 'utf8', cwd: tmpdir() });
        assert.equal(r.status, 0, r.stderr);
        const theirs: number[] = JSON.parse(r.stdout).losses;
        // Ours, independently: the same split and standardisation from the data, the model's θ, 20 full-batch steps.
        const model = modelFromJson(readFileSync(modelPath, 'utf8'));
        const t = readDataset(readFileSync(join(root, 'examples', c.data)), c.data, {
          dropMissing: c.dropMissing ?? false,
        });
        assert.ok(t.ok);
        const p = prepare(t.table, { split: 0.2, seed: model.config.seed, standardize: true });
        const trainer = new Trainer(
          { ...model.config, maxSteps: 20, epochs: 1000 },
          p.train,
          null,
          model.theta,
        );
        const ours: number[] = [];
        trainer.run({ onStep: (s) => ours.push(s.loss) });
        const J0 = new Network(
          p.train.n,
          c.hidden,
          c.activation as 'sigmoid',
          model.theta.slice(),
          p.train.K ?? 1,
        ).lossAndGrad(p.train.X, p.train.Y, null, p.train.m);
        assert.ok(
          Math.abs(ours[0] - J0) <= 1e-14 * J0,
          'a full batch (in shuffled order for adam, momentum, rmsprop) starts at the loss of the whole training split',
        );
        assert.equal(theirs.length, 20);
        ours.forEach((l, i) =>
          assert.ok(
            Math.abs(theirs[i] - l) <= 1e-10 * Math.abs(l),
            `step ${i + 1}: torch ${theirs[i]} vs ours ${l}`,
          ),
        );
      });
    }

    it('a mini-batch export passes its own first-gradient assertion; a tampered check file fails it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'bpl-torch-'));
      const modelPath = join(dir, 'm.json');
      assert.equal(
        main(
          [
            'train',
            join(root, 'examples', 'moons.csv'),
            '--optimizer',
            'minibatch',
            '--batch',
            '16',
            '--epochs',
            '2',
            '--save',
            modelPath,
          ],
          realIo(),
        ),
        0,
      );
      const out = join(dir, 'model.py');
      assert.equal(
        main(
          ['export-torch', modelPath, '--data', join(root, 'examples', 'moons.csv'), '--out', out],
          realIo(),
        ),
        0,
      );
      const ok = spawnSync(py!, [out, '--steps', '5'], { encoding: 'utf8', cwd: '/' });
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /gradients on the first batch match Backprop Lens/);
      const check = JSON.parse(readFileSync(join(dir, 'model.check.json'), 'utf8'));
      check.grads.W1[0][0] *= 1 + 1e-8;
      writeFileSync(join(dir, 'model.check.json'), JSON.stringify(check));
      const bad = spawnSync(py!, [out, '--steps', '1'], { encoding: 'utf8' });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /AssertionError: dW1/);
    });

    it('hostile column and file names (quotes, backslashes, newlines, """) pass into the script safely', () => {
      const dir = mkdtempSync(join(tmpdir(), 'bpl-torch-'));
      const cols = ['a"b', 'c\\d', 'x"""y', "it's\nnew", 'lab"""el'];
      const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;
      const rows = [cols.map(csvCell).join(',')];
      for (let i = 0; i < 40; i++)
        rows.push([Math.sin(i), Math.cos(3 * i), (i % 7) / 3, i / 40, i % 2].join(','));
      const dataFile = join(dir, 'we\'ird "da\\ta"\n""".csv');
      writeFileSync(dataFile, rows.join('\n') + '\n');
      const modelPath = join(dir, 'm.json');
      assert.equal(
        main(
          ['train', dataFile, '--optimizer', 'batch', '--epochs', '3', '--hidden', '3', '--save', modelPath],
          realIo(),
        ),
        0,
      );
      const out = join(dir, 'model.py');
      assert.equal(main(['export-torch', modelPath, '--data', dataFile, '--out', out], realIo()), 0);
      const r = spawnSync(py!, [out, '--steps', '3', '--json'], { encoding: 'utf8', cwd: '/' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).losses.length, 3);
      const names = spawnSync(
        py!,
        [
          '-c',
          'import runpy,sys,json; g = runpy.run_path(sys.argv[1]); print(json.dumps([g["FEATURES"], g["LABEL"], g["DATA_FILE"]]))',
          out,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(names.status, 0, names.stderr);
      assert.deepEqual(JSON.parse(names.stdout), [cols.slice(0, 4), cols[4], 'we\'ird "da\\ta"\n""".csv']);
    });

    it('hostile class names and category values (quotes, backslashes, newlines, """) are matched exactly by the script', () => {
      const dir = mkdtempSync(join(tmpdir(), 'bpl-torch-'));
      const classes = ['a"""b', "c'd\\e", 'new\nline'];
      const cats = ['x"y', '\\', "'''"];
      const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`;
      const rows = ['f1,kind,label'];
      for (let i = 0; i < 60; i++)
        rows.push([Math.sin(i).toFixed(6), csvCell(cats[i % 3]), csvCell(classes[(i * 7) % 3])].join(','));
      const dataFile = join(dir, 'd.csv');
      writeFileSync(dataFile, rows.join('\n') + '\n');
      const modelPath = join(dir, 'm.json');
      const io = realIo();
      assert.equal(
        main(
          ['train', dataFile, '--optimizer', 'batch', '--epochs', '2', '--hidden', '3', '--save', modelPath],
          io,
        ),
        0,
        io.text(),
      );
      const model = modelFromJson(readFileSync(modelPath, 'utf8'));
      assert.deepEqual([...model.classes!].sort(), [...classes].sort());
      const out = join(dir, 'model.py');
      assert.equal(main(['export-torch', modelPath, '--data', dataFile, '--out', out], realIo()), 0);
      const r = spawnSync(py!, [out, '--steps', '2', '--json'], { encoding: 'utf8', cwd: '/' });
      assert.equal(r.status, 0, r.stderr);
      const names = spawnSync(
        py!,
        [
          '-c',
          'import runpy,sys,json; g = runpy.run_path(sys.argv[1]); print(json.dumps([g["CLASSES"], g["COLUMNS"][1][2]]))',
          out,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(names.status, 0, names.stderr);
      assert.deepEqual(JSON.parse(names.stdout), [
        model.classes,
        (model.columns![1] as { categories: string[] }).categories,
      ]);
    });
  });
});
