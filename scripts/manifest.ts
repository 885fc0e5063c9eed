/**
 * The parts of the extension manifest that come from the settings list:
 * package.json contributes.configuration and schemas/experiment.schema.json.
 * `npm run manifest` writes them; a unit test fails when they are out of date.
 */
import { DEFAULT_SETTINGS, SETTINGS, type SettingSpec } from '../src/core/settings';
import { OPTIMIZERS } from '../src/core/trainer';

type Json = Record<string, unknown>;

function jsonType(s: SettingSpec): Json {
  const t: Json = {};
  if (s.kind === 'enum') Object.assign(t, { type: 'string', enum: [...s.enum!] });
  else if (s.kind === 'names') Object.assign(t, { type: 'array', items: { type: 'string' } });
  else t.type = s.kind;
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const)
    if (s[k] !== undefined) t[k] = s[k];
  return t;
}

/** Settings that only the extension has (not part of a run's hyper-parameters). */
export const EXTENSION_SETTINGS: Record<string, Json> = {
  'backpropLens.data.maxFileSizeMB': {
    type: 'integer',
    default: 256,
    minimum: 1,
    maximum: 4096,
    scope: 'resource',
    markdownDescription:
      'Largest dataset file read, in MB. Larger files get a clear error instead of exhausting memory.',
  },
  'backpropLens.panel.updatesPerSecond': {
    type: 'integer',
    default: 10,
    minimum: 1,
    maximum: 30,
    scope: 'window',
    markdownDescription:
      'How often a running training sends updates to the inspector and the progress notification (at most 30 per second; never one message per step).',
  },
  'backpropLens.panel.landscapeGrid': {
    type: 'integer',
    default: 21,
    minimum: 5,
    maximum: 61,
    scope: 'window',
    markdownDescription:
      'Loss landscape: points per side of the 2-D grid (odd; the cost is its square times the rows used, at most 2,000). Computed in the training worker.',
  },
  'backpropLens.checkpoints.everySeconds': {
    type: 'number',
    default: 10,
    minimum: 0,
    maximum: 3600,
    scope: 'window',
    markdownDescription:
      'Write a checkpoint of a running training every this many seconds (0: not by time). Checkpoints also happen on cancel, divergence and completion; a reload loses at most one interval.',
  },
  'backpropLens.checkpoints.everyEpochs': {
    type: 'integer',
    default: 0,
    minimum: 0,
    scope: 'window',
    markdownDescription: 'Also write a checkpoint every this many epochs (0: not by epochs).',
  },
  'backpropLens.training.stepsPerSecond': {
    type: 'number',
    default: 0,
    minimum: 0,
    maximum: 100000,
    scope: 'window',
    markdownDescription:
      "Training speed in optimizer steps per second, so that learning can be watched (0: as fast as the machine goes). The inspector's speed control changes it for the current run. Pacing never changes the trajectory.",
  },
  'backpropLens.training.minSeconds': {
    type: 'number',
    default: 20,
    minimum: 0,
    maximum: 3600,
    scope: 'window',
    markdownDescription:
      "A run that would end sooner at full speed is paced to take about this many seconds, so that its learning can be watched (0: never paced). A run that takes longer is not slowed. `#backpropLens.training.stepsPerSecond#`, when set, and the inspector's speed control win. Pacing never changes the trajectory.",
  },
  'backpropLens.training.whenBusy': {
    type: 'string',
    enum: ['ask', 'stopAndStart', 'keep'],
    enumDescriptions: [
      'Ask whether to stop the current run and start the new one.',
      'Stop the current run and start the new one.',
      'Keep the current run; the new request is refused with a message.',
    ],
    default: 'ask',
    scope: 'window',
    markdownDescription:
      'What happens when a training run is requested while another one runs. There is never more than one training loop at a time.',
  },
};

export function configuration(): Json {
  const properties: Json = {};
  for (const s of SETTINGS) {
    properties[`backpropLens.${s.id}`] = {
      ...jsonType(s),
      default: DEFAULT_SETTINGS[s.key],
      scope: 'resource',
      markdownDescription: s.description,
    };
  }
  Object.assign(properties, EXTENSION_SETTINGS);
  return { title: 'Backprop Lens', properties };
}

export function experimentSchema(): Json {
  const properties: Json = {
    $schema: { type: 'string' },
    name: { type: 'string', description: 'A name for this experiment.' },
    description: { type: 'string' },
    dataset: {
      type: 'string',
      minLength: 1,
      description: 'The dataset file (.csv, .tsv or .json), relative to this experiment file.',
    },
    derivation: {
      type: 'string',
      minLength: 1,
      description: 'Optional .deriv file, relative to this experiment file, to check and train with.',
    },
    race: {
      type: 'array',
      items: { enum: [...OPTIMIZERS] },
      minItems: 1,
      uniqueItems: true,
      description:
        'Optimizer race: train with each of these optimizers from the same initial parameters, data and split (the other settings shared), and compare them.',
    },
  };
  for (const s of SETTINGS)
    properties[s.key] = {
      // 0 is automatic; an experiment file may also say "auto". Column names: a list, or one comma-separated string.
      ...(s.auto
        ? { anyOf: [jsonType(s), { const: 'auto' }] }
        : s.kind === 'names'
          ? { anyOf: [jsonType(s), { type: 'string' }] }
          : jsonType(s)),
      description: s.description,
      default: DEFAULT_SETTINGS[s.key],
    };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://backprop-lens.dev/schemas/experiment.schema.json',
    title: 'Backprop Lens experiment (*.backprop.json)',
    description:
      'A dataset and the settings to train it with. Every key but "dataset" is optional; missing settings come from the VS Code settings.',
    type: 'object',
    required: ['dataset'],
    additionalProperties: false,
    properties,
  };
}
