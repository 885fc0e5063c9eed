import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configuration, experimentSchema } from '../../scripts/manifest';
import { parseExperiment } from '../../src/data/experiment';
import { DEFAULT_SETTINGS, SETTINGS, resolveSettings } from '../../src/core/settings';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('extension manifest', () => {
  it('contributes.configuration and the experiment schema are generated from the settings list (npm run manifest)', () => {
    assert.deepEqual(pkg.contributes.configuration, configuration());
    assert.deepEqual(
      JSON.parse(readFileSync(join(root, 'schemas', 'experiment.schema.json'), 'utf8')),
      experimentSchema(),
    );
  });

  it('every hyper-parameter is a setting with a description, a default and bounds', () => {
    const props = pkg.contributes.configuration.properties;
    for (const s of SETTINGS) {
      const p = props[`backpropLens.${s.id}`];
      assert.ok(p, s.id);
      assert.ok(p.markdownDescription.length > 10, s.id);
      assert.deepEqual(p.default, DEFAULT_SETTINGS[s.key]);
      if (s.kind === 'number' || s.kind === 'integer')
        assert.ok(
          ['minimum', 'exclusiveMinimum'].some((k) => k in p),
          `${s.id} has a lower bound`,
        );
    }
    for (const id of [
      'backpropLens.panel.updatesPerSecond',
      'backpropLens.data.maxFileSizeMB',
      'backpropLens.training.whenBusy',
    ])
      assert.ok(props[id], id);
    assert.equal(props['backpropLens.panel.updatesPerSecond'].maximum, 30);
  });

  it('commands: backpropLens.<verb>, category "Backprop Lens"; run-control commands only when they apply', () => {
    for (const c of pkg.contributes.commands) {
      assert.match(c.command, /^backpropLens\.[a-z][A-Za-z]*$/);
      assert.equal(c.category, 'Backprop Lens');
    }
    const when = Object.fromEntries(
      pkg.contributes.menus.commandPalette.map((m: { command: string; when: string }) => [m.command, m.when]),
    );
    assert.equal(when['backpropLens.pause'], 'backpropLens.runState == running');
    assert.equal(when['backpropLens.resume'], 'backpropLens.runState == paused');
    assert.equal(when['backpropLens.stepOnce'], 'backpropLens.runState == paused');
    assert.match(when['backpropLens.stop'], /running.*paused/);
    assert.equal(pkg.engines.vscode, '^1.100.0');
    assert.equal(pkg.devDependencies['@types/vscode'], '1.100.0');
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  });
});

describe('experiment files', () => {
  it('reads the dataset, the derivation and settings; unknown keys and bad values point at their line', () => {
    const ok = parseExperiment('{\n "dataset": "d.csv",\n "hidden": 5,\n "optimizer": "adam"\n}');
    assert.ok(ok.ok);
    assert.deepEqual(ok.experiment.values, { hidden: 5, optimizer: 'adam' });
    assert.equal(ok.experiment.dataset, 'd.csv');
    const bad = parseExperiment(
      '{\n  "dataset": "d.csv",\n  "lr": -2,\n  "hiden": 3,\n  "activation": "swish"\n}',
    );
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.errors.map((e) => [e.line, e.column, e.key]),
      [
        [3, 9, 'lr'],
        [4, 3, 'hiden'],
        [5, 17, 'activation'],
      ],
    );
    assert.equal(bad.errors[0].message, 'lr must be > 0, got -2');
    assert.equal(bad.errors[1].message, 'unknown key "hiden" (did you mean "hidden"?)');
    assert.match(bad.errors[2].message, /activation must be one of sigmoid, tanh, relu/);
  });
  it('missing dataset, invalid JSON and non-objects are errors with positions', () => {
    const a = parseExperiment('{ "hidden": 3 }');
    assert.ok(!a.ok && a.errors[0].message.startsWith('missing "dataset"'));
    const b = parseExperiment('{\n "dataset": "d.csv",\n "hidden": 3,\n}');
    assert.ok(!b.ok && b.errors[0].line === 4 && /invalid JSON/.test(b.errors[0].message));
    const c = parseExperiment('[1]');
    assert.ok(!c.ok && /JSON object/.test(c.errors[0].message));
    const d = parseExperiment('{"dataset": "d.csv", "hidden": 2.5}');
    assert.ok(!d.ok && d.errors[0].message === 'hidden must be a whole number, got 2.5');
  });
  it('the schema and the run-time check agree: every schema default validates, every enum value is accepted', () => {
    const schema = experimentSchema() as {
      properties: Record<string, { enum?: string[]; default?: unknown }>;
    };
    for (const s of SETTINGS) {
      const p = schema.properties[s.key];
      assert.ok(p, s.key);
      for (const v of p.enum ?? []) assert.doesNotThrow(() => resolveSettings({ [s.key]: v }));
      assert.doesNotThrow(() => resolveSettings({ [s.key]: p.default }));
    }
  });
});
