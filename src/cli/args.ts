/** A small command-line parser: positionals, --flag value, --flag=value, boolean switches, --no-flag. */
export interface Parsed {
  positionals: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: string[],
  valued: Set<string>,
  switches: Set<string>,
  optionalValue: Set<string> = new Set(),
): Parsed {
  const out: Parsed = { positionals: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '--') {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (switches.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out.switches.add(name);
    } else if (name.startsWith('no-') && optionalValue.has(name.slice(3))) {
      out.values.set(name.slice(3), 'false');
    } else if (valued.has(name)) {
      if (eq >= 0) out.values.set(name, a.slice(eq + 1));
      else if (optionalValue.has(name) && (i + 1 >= argv.length || argv[i + 1].startsWith('--')))
        out.values.set(name, 'true');
      else if (i + 1 < argv.length) out.values.set(name, argv[++i]);
      else throw new UsageError(`--${name} needs a value`);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return out;
}
