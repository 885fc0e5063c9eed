/**
 * backprop-lens: the headless CLI over the numeric core, the dataset readers
 * and (check-derivation) the derivation checker. Exit codes: 0 ok, 1 usage,
 * 2 data error (FILE:LINE: message on stderr), 3 diverged, 4 gradient check failed.
 */
import { AUTO_HIDDEN_RULE } from '../core/config';
import { DEFAULT_SETTINGS, SETTINGS } from '../core/settings';
import { UsageError, parseArgs } from './args';
import { check, checkDerivationCmd } from './check';
import { DataFailure, EXIT, VERSION, defaultIo, type Io } from './common';
import { toJson } from './format';
import { exportTorchCmd, lrFindCmd, raceCmd } from './play';
import { predictCmd } from './predict';
import { train } from './train';
export { EXIT, type Io };

const USAGE = `backprop-lens — train and check the classic two-layer network (two classes: sigmoid output; three or more: softmax)

Usage:
  backprop-lens train FILE [settings] [--save model.json] [--json]
  backprop-lens check (FILE | --random) [settings] [--model model.json] [--fast] [--json]
  backprop-lens predict MODEL.json FILE [--json]
  backprop-lens lr-find (FILE | EXPERIMENT.backprop.json) [settings] [--start 1e-6] [--end 10] [--steps 100] [--json]
  backprop-lens race (FILE | EXPERIMENT.backprop.json) [--optimizers sgd,adam,…] [--threshold 0.1] [--landscape] [settings] [--json]
  backprop-lens export-torch MODEL.json --data FILE --out model.py [--split F] [--json]
  backprop-lens check-derivation FILE.deriv [--activation sigmoid|tanh|relu] [--mode example|batch] [--json]
  backprop-lens help | --help | --version

Settings (defaults in brackets):
${SETTINGS.map((s) => `  --${s.flag.padEnd(15)} ${s.enum ? s.enum.join('|') + ' ' : ''}[${s.auto && DEFAULT_SETTINGS[s.key] === 0 ? 'auto' : String(DEFAULT_SETTINGS[s.key])}]${s.auto ? ` (auto or 0: ${AUTO_HIDDEN_RULE})` : ''}`).join('\n')}
  --no-standardize  same as --standardize false
  --max-mb N        largest dataset accepted, in MB [256]
  --features N      check --random: number of features [3]
  --directions K    check --fast: number of random directions [8]

Exit codes: 0 ok, 1 usage, 2 data error (FILE:LINE: message), 3 diverged, 4 gradient check failed;
check-derivation exits 1 when any finding is an error.
`;

const SETTING_FLAGS = new Set(SETTINGS.map((s) => s.flag));
const VALUED = new Set([
  ...SETTING_FLAGS,
  'save',
  'model',
  'max-mb',
  'features',
  'directions',
  'mode',
  'start',
  'end',
  'steps',
  'optimizers',
  'threshold',
  'data',
  'out',
]);
const SWITCHES = new Set(['json', 'random', 'fast', 'help', 'version', 'landscape']);

export function main(argv: string[], io: Io = defaultIo): number {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.out(USAGE);
      return cmd === undefined ? EXIT.usage : EXIT.ok;
    }
    if (cmd === '--version') {
      io.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    const args = parseArgs(
      rest,
      VALUED,
      SWITCHES,
      new Set(SETTINGS.filter((s) => s.kind === 'boolean').map((s) => s.flag)),
    );
    if (args.switches.has('help')) {
      io.out(USAGE);
      return EXIT.ok;
    }
    switch (cmd) {
      case 'train':
        return train(args, io);
      case 'check':
        return check(args, io);
      case 'predict':
        return predictCmd(args, io);
      case 'check-derivation':
        return checkDerivationCmd(args, io);
      case 'lr-find':
        return lrFindCmd(args, io);
      case 'race':
        return raceCmd(args, io);
      case 'export-torch':
        return exportTorchCmd(args, io);
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof RangeError) {
      io.err(`backprop-lens: ${e.message}\nRun 'backprop-lens --help' for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof DataFailure) {
      if (e.json) io.out(toJson({ error: { file: e.file, line: e.line, message: e.message } }) + '\n');
      io.err(`${e.file}:${e.line}: ${e.message}\n`);
      return EXIT.data;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
