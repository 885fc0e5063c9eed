/**
 * Run records and checkpoints: one folder per run under the extension's
 * storage (so two windows never write the same file), every write atomic
 * (temporary file, then rename), checkpoints bounded in number. Nothing here
 * throws at its callers: a failure to read is a skipped record or a fallback
 * checkpoint (with a warning), a failure to write is reported once and
 * training goes on. It speaks to a small file-system interface (VS Code's
 * workspace.fs in the extension, node:fs in tests).
 */
import type { RunSettings } from '../core/settings';
import type { ParameterEdit } from '../protocol';
import type { Divergence, EpochSummary, Metrics, TrainerState } from '../core/trainer';

export interface StoreFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  appendFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  delete(path: string): Promise<void>;
  /** Names of the entries of a directory. */
  list(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
}

export type RecordStatus =
  | 'running'
  | 'completed'
  | 'converged'
  | 'plateau'
  | 'cancelled'
  | 'diverged'
  | 'failed'
  | 'interrupted';

export interface RunRecord {
  version: 1;
  id: string;
  dataset: { uri: string; name: string; hash: string };
  /** The derivation trained with, its text kept so that a resume uses the same formulas. */
  derivation: { file: string; hash: string; text: string } | null;
  source: { kind: string; file?: string };
  settings: RunSettings;
  seed: number;
  initialTheta: number[] | null;
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
  status: RecordStatus;
  reason: string;
  divergence: Divergence | null;
  progress: { step: number; epoch: number };
  train: Metrics | null;
  test: Metrics | null;
  /** Parameters the user set by hand, in order (a resumed or exported run is honest about them). */
  edits?: ParameterEdit[];
  /** The dataset's columns as the run read them (absent until the data is loaded, and in records from before 0.2). */
  columns?: { features: string[]; label: string; trainRows: number; testRows: number; classes?: string[] };
  /** Which extension host runs it: a record still "running" whose owner is gone was interrupted. */
  owner: { pid: number; session: string };
  resumes: number;
}

export interface Checkpoint {
  version: 1;
  runId: string;
  savedAt: string;
  step: number;
  epoch: number;
  /**
   * Everything to continue exactly: parameters, optimizer state, RNG state,
   * sample order. Its history is empty: the epoch summaries are appended to the
   * run's history.jsonl as they come (readHistory puts them back).
   */
  trainer: TrainerState;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const KEEP_CHECKPOINTS = 3;

export class RunStore {
  private warned = new Set<string>();

  constructor(
    private readonly fs: StoreFs,
    private readonly root: string,
    private readonly warn: (message: string) => void,
  ) {}

  private dir(id: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`invalid run id ${JSON.stringify(id)}`);
    return `${this.root}/runs/${id}`;
  }

  /** Write JSON atomically: a temporary file in the same folder, then rename over the target. */
  private async atomic(path: string, value: unknown): Promise<void> {
    const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
    await this.fs.writeFile(tmp, enc.encode(JSON.stringify(value)));
    try {
      await this.fs.rename(tmp, path);
    } catch (e) {
      await this.fs.delete(tmp).catch(() => undefined);
      throw e;
    }
  }

  /** Whether the write happened; a failure is reported once per run and otherwise ignored. */
  private async safely(id: string, what: string, f: () => Promise<void>): Promise<boolean> {
    try {
      await f();
      return true;
    } catch (e) {
      if (!this.warned.has(id)) {
        this.warned.add(id);
        this.warn(
          `cannot write the ${what} of run ${id} (${(e as Error).message}); training goes on, but this run may not be resumable`,
        );
      }
      return false;
    }
  }

  async create(r: RunRecord): Promise<boolean> {
    return this.safely(r.id, 'record', async () => {
      await this.fs.mkdir(this.dir(r.id));
      await this.atomic(`${this.dir(r.id)}/record.json`, r);
    });
  }

  async update(r: RunRecord): Promise<boolean> {
    return this.safely(r.id, 'record', () =>
      this.atomic(`${this.dir(r.id)}/record.json`, { ...r, updatedAt: new Date().toISOString() }),
    );
  }

  async checkpoint(c: Checkpoint): Promise<boolean> {
    return this.safely(c.runId, 'checkpoint', async () => {
      const dir = this.dir(c.runId);
      await this.atomic(`${dir}/checkpoint-${String(c.step).padStart(12, '0')}.json`, c);
      const old = (await this.checkpointNames(c.runId)).slice(0, -KEEP_CHECKPOINTS);
      for (const name of old) await this.fs.delete(`${dir}/${name}`).catch(() => undefined);
    });
  }

  private async checkpointNames(id: string): Promise<string[]> {
    const names = await this.fs.list(this.dir(id)).catch(() => [] as string[]);
    return names.filter((n) => /^checkpoint-\d{12}\.json$/.test(n)).sort();
  }

  /**
   * Append epoch summaries to the run's history.jsonl (one JSON object a line).
   * `restart` marks a new trajectory (a run's start or Reset Parameters): earlier lines no longer apply.
   */
  async appendHistory(id: string, epochs: EpochSummary[], restart: boolean): Promise<boolean> {
    if (!epochs.length && !restart) return true;
    // Starts on a fresh line: after a crash mid-write the file may end in a torn line without its newline.
    const lines =
      '\n' +
      (restart ? '{"restart":true}\n' : '') +
      epochs.map((e) => JSON.stringify(e)).join('\n') +
      (epochs.length ? '\n' : '');
    return this.safely(id, 'history', () =>
      this.fs.appendFile(`${this.dir(id)}/history.jsonl`, enc.encode(lines)),
    );
  }

  /** The run's epoch summaries since its last restart, up to `epoch`; a torn last line (a crash mid-write) is ignored. */
  async readHistory(id: string, uptoEpoch = Infinity): Promise<EpochSummary[]> {
    let text: string;
    try {
      text = dec.decode(await this.fs.readFile(`${this.dir(id)}/history.jsonl`));
    } catch {
      return [];
    }
    let out = new Map<number, EpochSummary>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let o: (EpochSummary & { restart?: boolean }) | null = null;
      try {
        o = JSON.parse(line);
      } catch {
        continue; // torn
      }
      if (!o || typeof o !== 'object') continue;
      if (o.restart) out = new Map();
      else if (typeof o.epoch === 'number' && o.epoch <= uptoEpoch) out.set(o.epoch, o);
    }
    return [...out.values()].sort((a, b) => a.epoch - b.epoch);
  }

  /** The newest whole checkpoint with its history put back: a state to resume from. */
  async resumeState(id: string): Promise<Checkpoint | null> {
    const c = await this.latestCheckpoint(id);
    if (!c) return null;
    return { ...c, trainer: { ...c.trainer, history: await this.readHistory(id, c.epoch) } };
  }

  async get(id: string): Promise<RunRecord | null> {
    try {
      const r = JSON.parse(dec.decode(await this.fs.readFile(`${this.dir(id)}/record.json`))) as RunRecord;
      return r && r.version === 1 && r.id === id ? r : null;
    } catch {
      return null;
    }
  }

  /** Every readable record, newest first; unreadable ones are skipped with a warning, never thrown. */
  async list(): Promise<RunRecord[]> {
    const ids = await this.fs.list(`${this.root}/runs`).catch(() => [] as string[]);
    const out: RunRecord[] = [];
    for (const id of ids) {
      if (!/^[A-Za-z0-9-]+$/.test(id)) continue;
      const r = await this.get(id);
      if (r) out.push(r);
      else this.warn(`the record of run ${id} is unreadable and was skipped`);
    }
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** The newest checkpoint that reads back whole; a corrupt or truncated newer one is skipped with a warning. */
  async latestCheckpoint(id: string): Promise<Checkpoint | null> {
    const names = await this.checkpointNames(id);
    for (let k = names.length - 1; k >= 0; k--) {
      try {
        const c = JSON.parse(dec.decode(await this.fs.readFile(`${this.dir(id)}/${names[k]}`))) as Checkpoint;
        if (c && c.version === 1 && c.runId === id && c.trainer && Array.isArray(c.trainer.theta)) return c;
        throw new Error('not a checkpoint of this run');
      } catch (e) {
        this.warn(
          `checkpoint ${names[k]} of run ${id} is unreadable (${(e as Error).message}); using the one before it`,
        );
      }
    }
    return null;
  }

  async delete(id: string): Promise<void> {
    const dir = this.dir(id);
    for (const n of await this.fs.list(dir).catch(() => [] as string[]))
      await this.fs.delete(`${dir}/${n}`).catch(() => undefined);
    await this.fs.delete(dir).catch(() => undefined);
  }

  /** Records left "running" by an extension host that is gone become "interrupted". Returns them. */
  async markInterrupted(isAlive: (owner: RunRecord['owner']) => boolean): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (const r of await this.list()) {
      if (r.status !== 'running' || isAlive(r.owner)) continue;
      const updated: RunRecord = {
        ...r,
        status: 'interrupted',
        reason: 'the window was reloaded or VS Code stopped during the run',
        endedAt: r.updatedAt,
      };
      if (await this.update(updated)) out.push(updated);
    }
    return out;
  }
}

/** Whether a process is alive on this machine (signal 0 tests without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
