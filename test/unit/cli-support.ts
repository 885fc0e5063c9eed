/** What the CLI tests share: the repository's examples and a run of the CLI's main() with captured I/O. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Io, main } from '../../src/cli/main';

export const root = join(__dirname, '..', '..');
export const ex = (f: string) => join(root, 'examples', f);

/** Run the CLI in-process: stdout, stderr and the files it writes are captured; `files` are read instead of disk. */
export function run(argv: string[], files: Record<string, string> = {}) {
  let out = '',
    err = '';
  const written: Record<string, string> = {};
  const io: Io = {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    tty: false,
    readFile: (p) => (p in files ? new TextEncoder().encode(files[p]) : readFileSync(p)),
    writeFile: (p, t) => {
      written[p] = t;
    },
  };
  const code = main(argv, io);
  return { code, out, err, written };
}
