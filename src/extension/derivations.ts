/**
 * .deriv files in the editor: checks re-run as the user types (debounced,
 * tagged with the document version and a generation counter so that a stale
 * result never lands on newer text), diagnostics through the adapter, a
 * CodeLens per gradient line, hovers with shapes and values, Quick Fixes with
 * the textbook formulas, and the Test Explorer.
 */
import * as vscode from 'vscode';
import type { Activation } from '../core/activations';
import { type CheckResult, checkDerivation, fmtValue, textbookFormula } from '../derivation/checker';
import { namesIn } from '../derivation/parser';
import { readValidSettings } from './config';
import { toDiagnostic, toRange } from './diagnostics';
import type { RunManager } from './runManager';

export const LANGUAGE = 'backprop-derivation';
const DEBOUNCE_MS = 250;

interface Entry {
  version: number;
  generation: number;
  result: CheckResult;
}

export class DerivationService implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('backpropLens.derivations');
  private readonly results = new Map<string, Entry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly generations = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidCheck = this.changed.event;
  private readonly subs: vscode.Disposable[] = [];
  private lastRunCheck = 0;

  constructor(
    private readonly readme: vscode.Uri,
    private readonly runs: RunManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subs.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('backpropLens')) this.recheckAll();
      }),
      runs.onDidChange(() => {
        // Also check at the run's current parameters, at most every 2 s while it trains.
        const now = Date.now();
        if (now - this.lastRunCheck > 2000) {
          this.lastRunCheck = now;
          this.recheckAll();
        }
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  get(uri: vscode.Uri): CheckResult | undefined {
    return this.results.get(uri.toString())?.result;
  }

  /** Check now (no debounce) and return the result; used by tests, the Test Explorer and commands. */
  checkNow(doc: vscode.TextDocument): CheckResult {
    return this.run(doc, this.bump(doc.uri))!;
  }

  /** Check a file's text that is not open in an editor (Test Explorer). */
  checkText(uri: vscode.Uri, text: string): CheckResult {
    return checkDerivation(text, this.options(uri));
  }

  private recheckAll(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d, DEBOUNCE_MS);
  }

  private bump(uri: vscode.Uri): number {
    const g = (this.generations.get(uri.toString()) ?? 0) + 1;
    this.generations.set(uri.toString(), g);
    return g;
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (doc.languageId !== LANGUAGE) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key)); // cancel the pending check of an older version
    const generation = this.bump(doc.uri);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.run(doc, generation);
      }, delay),
    );
  }

  private options(uri: vscode.Uri) {
    // Invalid settings (reported when training) leave the checks at the defaults for those settings; they never throw
    // here, where a timer calls (an exception would be the extension host's, not the user's).
    const s = readValidSettings(uri);
    const run = this.runs.current;
    const current =
      run?.dataset && run.theta.length
        ? {
            n: run.dataset.features.length,
            h: run.config.hidden,
            theta: run.theta,
            x: run.dataset.sample.x,
            y: run.dataset.sample.y,
            m: run.dataset.sample.m,
          }
        : undefined;
    return {
      activation: s.activation as Activation,
      step: s.checkStep,
      thresholds: { pass: s.checkPass, warn: s.checkWarn, fail: s.checkFail },
      current,
    };
  }

  private run(doc: vscode.TextDocument, generation: number): CheckResult | undefined {
    if (doc.isClosed) return undefined;
    const version = doc.version;
    const t0 = performance.now();
    const result = checkDerivation(doc.getText(), this.options(doc.uri));
    const ms = performance.now() - t0;
    // A result lands only on the text it was computed from, and only if no newer check was asked for.
    if (doc.version !== version || this.generations.get(doc.uri.toString()) !== generation) return result;
    this.results.set(doc.uri.toString(), { version, generation, result });
    this.collection.set(
      doc.uri,
      result.findings.map((f) => toDiagnostic(f, doc.uri, this.readme)),
    );
    if (ms > 200)
      this.log.warn(`checking ${vscode.workspace.asRelativePath(doc.uri)} took ${ms.toFixed(0)} ms`);
    this.changed.fire(doc.uri);
    return result;
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.results.delete(key);
    this.collection.delete(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    vscode.Disposable.from(...this.subs, this.collection, this.changed).dispose();
  }
}

const STATE_TEXT = {
  pass: (rel: number | null) =>
    `$(pass) matches the numeric gradient · rel. error ${rel === null ? '—' : rel.toExponential(1)}`,
  imprecise: (rel: number | null) => `$(warning) agrees only to rel. error ${rel?.toExponential(1)}`,
  wrong: (rel: number | null) =>
    `$(error) disagrees with the numeric gradient${rel === null ? '' : ` · rel. error ${rel.toExponential(1)}`}`,
  consequence: () => '$(info) wrong only through an earlier gradient',
  error: () => '$(error) cannot be evaluated',
};

export class DerivationLenses implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly service: DerivationService) {
    this.onDidChangeCodeLenses = (listener, thisArg, disposables) =>
      service.onDidCheck(() => listener.call(thisArg, undefined), undefined, disposables);
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const r = this.service.get(doc.uri) ?? this.service.checkNow(doc);
    return r.gradients.map(
      (g) =>
        new vscode.CodeLens(toRange(g.range), {
          title: `${g.name}: ${STATE_TEXT[g.state](g.relError)}`,
          command: 'workbench.actions.view.problems',
          tooltip: g.message,
        }),
    );
  }
}

export class DerivationHover implements vscode.HoverProvider {
  constructor(private readonly service: DerivationService) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const r = this.service.get(doc.uri) ?? this.service.checkNow(doc);
    for (const s of r.program.statements) {
      const refs = [{ name: s.name, range: s.nameRange }, ...namesIn(s.expr)];
      const hit = refs.find((x) => toRange(x.range).contains(pos));
      if (!hit) continue;
      const shown = r.display.get(hit.name);
      const md = new vscode.MarkdownString();
      md.supportHtml = false;
      md.isTrusted = false;
      if (!shown) {
        md.appendText(`${hit.name}: not evaluated`);
        return new vscode.Hover(md, toRange(hit.range));
      }
      const { value: v } = shown;
      md.appendMarkdown(`**${hit.name}** · ${shown.shape}\n\n`);
      const rows: string[] = [];
      for (let i = 0; i < Math.min(v.rows, 8); i++) {
        const cells: string[] = [];
        for (let j = 0; j < Math.min(v.cols, 8); j++)
          cells.push(fmtValue(v.data[i * v.cols + j]).padStart(10));
        rows.push(cells.join(' ') + (v.cols > 8 ? '  …' : ''));
      }
      if (v.rows > 8) rows.push('…');
      md.appendCodeblock(rows.join('\n'), 'text');
      const g = r.gradients.find((x) => x.name === hit.name);
      if (g) md.appendText(g.message);
      return new vscode.Hover(md, toRange(hit.range));
    }
    return undefined;
  }
}

export class DerivationFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly service: DerivationService) {}

  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    ctx: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const r = this.service.get(doc.uri) ?? this.service.checkNow(doc);
    const out: vscode.CodeAction[] = [];
    for (const d of ctx.diagnostics) {
      const code = typeof d.code === 'object' ? d.code.value : d.code;
      if (code === 'gradient-mismatch' || code === 'gradient-shape') {
        const s = r.program.statements.find((x) => x.line === d.range.start.line);
        const formula = s && textbookFormula(s.name, r.activation, r.mode);
        if (!s || !formula) continue;
        const a = new vscode.CodeAction(
          `Use the textbook formula: ${s.name} = ${formula}`,
          vscode.CodeActionKind.QuickFix,
        );
        a.edit = new vscode.WorkspaceEdit();
        a.edit.replace(doc.uri, toRange(s.expr.range), formula);
        a.diagnostics = [d];
        a.isPreferred = true;
        out.push(a);
      } else if (code === 'unknown-name' || code === 'unknown-function') {
        const m = /did you mean ([A-Za-z_][A-Za-z0-9_]*)\?/.exec(d.message);
        if (!m) continue;
        const a = new vscode.CodeAction(`Change to ${m[1]}`, vscode.CodeActionKind.QuickFix);
        a.edit = new vscode.WorkspaceEdit();
        a.edit.replace(doc.uri, d.range, m[1]);
        a.diagnostics = [d];
        out.push(a);
      }
    }
    return out;
  }
}

/** Each .deriv file's gradient lines as tests that pass or fail with the checker's numbers. */
export class DerivationTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController(
    'backpropLens.derivations',
    'Backprop Lens derivations',
  );
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly service: DerivationService) {
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.discover();
    };
    const handler = (req: vscode.TestRunRequest, token: vscode.CancellationToken) => this.run(req, token);
    this.controller.createRunProfile('Check gradients', vscode.TestRunProfileKind.Run, handler, true);
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.deriv');
    this.subs.push(
      watcher,
      watcher.onDidCreate((u) => void this.load(u)),
      watcher.onDidChange((u) => void this.load(u)),
      watcher.onDidDelete((u) => this.controller.items.delete(u.toString())),
      service.onDidCheck((u) => {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === u.toString());
        if (doc) this.fill(u, this.service.get(u)!);
      }),
    );
  }

  async discover(): Promise<void> {
    for (const u of await vscode.workspace.findFiles('**/*.deriv', '**/node_modules/**', 500))
      await this.load(u);
  }

  private async load(uri: vscode.Uri): Promise<vscode.TestItem> {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    return this.fill(uri, this.service.checkText(uri, text));
  }

  private fill(uri: vscode.Uri, r: CheckResult): vscode.TestItem {
    let file = this.controller.items.get(uri.toString());
    if (!file) {
      file = this.controller.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
      this.controller.items.add(file);
    }
    file.children.replace(
      r.gradients.map((g) => {
        const t = this.controller.createTestItem(`${uri.toString()}#${g.name}`, g.name, uri);
        t.range = toRange(g.range);
        t.description = `∂L/∂${g.of}`;
        return t;
      }),
    );
    return file;
  }

  /** The Test Explorer run handler: check each requested .deriv file and report its gradients as tests. */
  async run(req: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(req);
    const files = new Map<string, vscode.TestItem[]>();
    const add = (t: vscode.TestItem) => {
      const key = t.uri!.toString();
      if (t.id === key) {
        t.children.forEach((c) => add(c));
        if (!files.has(key)) files.set(key, []);
        return;
      }
      files.set(key, [...(files.get(key) ?? []), t]);
    };
    if (req.include) req.include.forEach(add);
    else this.controller.items.forEach(add);
    for (const [key, items] of files) {
      if (token.isCancellationRequested) break;
      const uri = vscode.Uri.parse(key);
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      const r = this.service.checkText(uri, text);
      const file = this.fill(uri, r);
      const wanted = items.length ? items.map((i) => i.id) : [];
      file.children.forEach((t) => {
        if (req.exclude?.some((e) => e.id === t.id)) return;
        if (wanted.length && !wanted.includes(t.id)) return;
        const g = r.gradients.find((x) => `${key}#${x.name}` === t.id);
        if (!g) return;
        run.started(t);
        const msg = new vscode.TestMessage(g.message);
        msg.location = new vscode.Location(uri, toRange(g.range));
        if (g.state === 'pass' || g.state === 'imprecise') run.passed(t);
        else if (g.state === 'error') run.errored(t, msg);
        else run.failed(t, msg);
      });
    }
    run.end();
  }

  dispose(): void {
    vscode.Disposable.from(...this.subs, this.controller).dispose();
  }
}
