/**
 * The gradient inspector's host side. The host is the source of truth: the
 * webview posts `ready`, gets a full snapshot, then throttled updates (the
 * worker's report rate, at most 30 per second) that carry encoded Float64Arrays.
 * A hidden webview loses messages, so becoming visible sends a snapshot again.
 * Every message from the webview is validated before anything acts on it.
 */
import * as vscode from 'vscode';
import type { GradcheckReport } from '../core/gradcheck';
import { PARAMS, type FromWebview, type PanelCheck, type PanelHistory, type PanelNorms, type PanelPoints, type PanelRun, type PanelStep, type ToWebview, parseFromWebview } from '../protocol';
import type { Run, RunManager } from '../extension/runs';
import { encodeF64 } from './format';
import { inspectorHtml, makeNonce } from './html';

export const VIEW_TYPE = 'backpropLens.inspector';
const MAX_MESSAGES_PER_SECOND = 200;

export interface PanelActions {
  check(): Promise<GradcheckReport | undefined>;
  /** The optimizer name has passed the protocol's validation. */
  setOptimizer(optimizer: string): Promise<void>;
  /** The inspector snapshot kept with the newest stored run's last checkpoint, if any. */
  lastStored(): Promise<Extract<ToWebview, { type: 'snapshot' }> | null>;
}

export class InspectorPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubs: vscode.Disposable[] = [];
  private readonly subs: vscode.Disposable[] = [];
  private ready = false;
  private sent = { run: '', history: 0, generation: -1 };
  private check: PanelCheck | null = null;
  private budget = { windowStart: 0, count: 0, dropped: 0, loggedAt: 0 };
  private rejected = new Map<string, { count: number; loggedAt: number }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunManager,
    private readonly actions: PanelActions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subs.push(runs.onDidChange((run) => this.onRun(run)));
  }

  get visible(): boolean {
    return !!this.panel?.visible;
  }

  show(): void {
    if (this.panel) {
      try {
        this.panel.reveal(undefined, true);
        return;
      } catch {
        this.panel = undefined; // closed, and the dispose event has not arrived yet
      }
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Gradient Inspector', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.options());
    this.attach(panel);
  }

  /** The panel serializer: a panel that was open before a window reload comes back. */
  restore(panel: vscode.WebviewPanel): void {
    panel.webview.options = this.options();
    this.attach(panel);
  }

  showCheck(report: GradcheckReport | undefined, step: number): void {
    this.check = report ? checkTable(report, step) : null;
    this.post({ type: 'check', check: this.check });
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'out', 'webview')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    const w = panel.webview;
    const res = (...p: string[]) => w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'webview', ...p)).toString();
    w.html = inspectorHtml({ cspSource: w.cspSource, nonce: makeNonce(), script: res('main.js'), styles: [res('katex', 'katex.min.css'), res('uPlot.min.css'), res('inspector.css')] });
    // Each panel owns its subscriptions: a late dispose event of an old panel must not touch a new one.
    vscode.Disposable.from(...this.panelSubs).dispose();
    const subs: vscode.Disposable[] = [
      w.onDidReceiveMessage((m: unknown) => { if (this.panel === panel) this.receive(m); }),
      panel.onDidChangeViewState((e) => {
        if (this.panel === panel && e.webviewPanel.visible && this.ready) this.sendSnapshot(); // messages to a hidden panel were lost
      }),
      panel.onDidDispose(() => {
        vscode.Disposable.from(...subs).dispose();
        if (this.panel !== panel) return; // an older panel
        this.panel = undefined;
        this.ready = false;
        this.panelSubs = [];
      }),
    ];
    this.panelSubs = subs;
  }

  /** Every message from the webview comes through here (also reachable by the extension's tests). */
  receive(raw: unknown): void {
    if (!this.allow()) return;
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      // Logged once per reason every 10 s, with a count: a flood does not flood the log.
      const now = Date.now();
      const r = this.rejected.get(parsed.reason) ?? { count: 0, loggedAt: 0 };
      r.count++;
      if (now - r.loggedAt > 10_000) {
        this.log.warn(`inspector: rejected ${r.count} message${r.count === 1 ? '' : 's'} from the webview: ${parsed.reason}`);
        r.loggedAt = now;
        r.count = 0;
      }
      this.rejected.set(parsed.reason, r);
      return;
    }
    void this.handle(parsed.message);
  }

  /** Flood guard: at most MAX_MESSAGES_PER_SECOND; the excess is dropped and logged once per 10 s. */
  private allow(): boolean {
    const now = Date.now();
    if (now - this.budget.windowStart >= 1000) this.budget = { ...this.budget, windowStart: now, count: 0 };
    if (++this.budget.count <= MAX_MESSAGES_PER_SECOND) return true;
    this.budget.dropped++;
    if (now - this.budget.loggedAt > 10_000) {
      this.log.warn(`inspector: the webview sends more than ${MAX_MESSAGES_PER_SECOND} messages per second; ${this.budget.dropped} dropped so far`);
      this.budget.loggedAt = now;
    }
    return false;
  }

  private async handle(m: FromWebview): Promise<void> {
    const run = this.runs.current;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendSnapshot();
        return;
      case 'control':
        if (!run) return;
        if (m.action === 'play') run.resume();
        else if (m.action === 'pause') run.pause();
        else if (m.action === 'step') run.step(1);
        else if (m.action === 'stepEpoch') run.stepEpoch();
        else run.reset();
        return;
      case 'setLearningRate':
        run?.setLearningRate(m.lr);
        return;
      case 'setOptimizer':
        await this.actions.setOptimizer(m.optimizer);
        return;
      case 'runCheck':
        this.showCheck(await this.actions.check().catch(() => undefined), run?.progress?.step ?? 0);
        return;
      case 'setBoundary':
        run?.setBoundary(m.i, m.j);
        return;
    }
  }

  private onRun(run: Run | undefined): void {
    if (run && run.id !== this.sent.run) this.check = null;
    if (!this.panel || !this.ready || !this.panel.visible) return;
    if (!run || run.id !== this.sent.run || run.panelGeneration !== this.sent.generation) return this.sendSnapshot();
    const msg: ToWebview = {
      type: 'update', run: panelRun(run), historyFrom: this.sent.history, history: history(run, this.sent.history), norms: norms(run, this.sent.history),
    };
    this.sent.history = run.panelHistory.length;
    this.post(msg);
  }

  private sendSnapshot(): void {
    const run = this.runs.current;
    if (!run) {
      // No live run (e.g. after a window reload): the snapshot kept in the newest run's last checkpoint.
      void this.actions.lastStored().then((saved) => {
        if (this.runs.current) return; // a run started meanwhile: it sends its own snapshot
        this.post(saved ? { ...saved, run: saved.run && { ...saved.run, live: false }, restored: true } : { type: 'snapshot', run: null, history: null, norms: null, points: null, check: null, restored: false });
      });
      return;
    }
    const snap = snapshot(run, this.check);
    this.sent = { run: run.id, history: run.panelHistory.length, generation: run.panelGeneration };
    this.post(snap);
  }

  private post(m: ToWebview): void {
    const p = this.panel;
    if (!p) return;
    // Posting to a panel that is being disposed rejects; that is not an error worth surfacing.
    p.webview.postMessage(m).then(undefined, () => undefined);
  }

  dispose(): void {
    vscode.Disposable.from(...this.subs, ...this.panelSubs).dispose();
    this.panel?.dispose();
  }
}

function f64(a: ArrayLike<number>) {
  return encodeF64(a);
}

export function panelRun(run: Run): PanelRun {
  const p = run.progress;
  const r = run.result;
  const last = run.last;
  const step: PanelStep | null = last && {
    step: last.step, epoch: last.epoch, samples: Array.from(last.samples.subarray(0, 16)), sampleCount: last.samples.length,
    x: f64(last.x), y: last.y, z1: f64(last.z1), a1: f64(last.a1), z2: f64([last.z2]), a2: f64([last.a2]), dz2: f64([last.dz2]), dz1: f64(last.dz1),
    loss: f64([last.loss]), grad: f64(last.grad), delta: f64(last.delta), trueGrad: last.trueGrad ? f64(last.trueGrad) : null, misclassified: last.misclassified,
  };
  const b = run.boundary;
  return {
    id: run.id, file: run.fileName, phase: run.phase, status: r?.status ?? p?.status ?? 'starting', reason: r?.reason ?? '', paused: !!p?.paused, live: true,
    step: p?.step ?? 0, epoch: p?.epoch ?? 0, epochs: run.config.epochs, lr: p?.lr ?? run.config.lr, optimizer: run.config.optimizer,
    activation: run.config.activation, hidden: run.config.hidden, n: run.dataset?.features.length ?? 0, features: run.dataset?.features ?? [], label: run.dataset?.label ?? '',
    trainRows: run.dataset?.trainRows ?? 0, testRows: run.dataset?.testRows ?? 0, stepsPerSecond: p?.stepsPerSecond ?? 0, theta: f64(run.theta), last: step,
    boundary: b && { ...b, p: f64(b.p) },
    derivation: run.request.derivation?.file ?? null, notice: run.notice, historyStride: run.panelStride,
  };
}

function history(run: Run, from: number): PanelHistory {
  const h = run.panelHistory.slice(from);
  const col = (f: (e: (typeof h)[number]) => number) => f64(h.map(f));
  return {
    epoch: col((e) => e.epoch), trainLoss: col((e) => e.train.loss), testLoss: col((e) => e.test?.loss ?? NaN),
    trainAcc: col((e) => e.train.accuracy), testAcc: col((e) => e.test?.accuracy ?? NaN), misclassified: col((e) => e.train.misclassified), gradNorm: col((e) => e.gradNorm),
  };
}

/** ‖W‖, ‖dW‖, ‖ΔW‖/‖W‖ of each parameter per epoch (sparklines), from the epoch summaries. */
function norms(run: Run, from: number): PanelNorms {
  const h = run.panelHistory.slice(from);
  const per = (k: 'W' | 'dW' | 'ratio') => PARAMS.map((_, i) => f64(h.map((e) => e.params[k][i])));
  return { step: f64(h.map((e) => e.step)), W: per('W'), dW: per('dW'), ratio: per('ratio') };
}

function points(run: Run): PanelPoints | null {
  const p = run.dataset?.points;
  return p ? { k: p.k, n: p.n, x: f64(p.x), y: f64(p.y), test: f64(p.test) } : null;
}

export function snapshot(run: Run, check: PanelCheck | null): Extract<ToWebview, { type: 'snapshot' }> {
  return { type: 'snapshot', run: panelRun(run), history: history(run, 0), norms: norms(run, 0), points: points(run), check, restored: false };
}

export function checkTable(r: GradcheckReport, step: number): PanelCheck {
  return {
    step, verdict: r.verdict, globalDiff: f64([r.globalDiff]), h: r.options.h, thresholds: r.options.thresholds,
    rows: r.blocks.map((b) => ({
      name: b.name, shape: [b.rows, b.cols] as [number, number], row: b.worst.row, col: b.worst.col,
      analytic: f64([b.worst.analytic]), numeric: f64([b.worst.numeric]), relError: f64([b.worst.relError]), verdict: b.verdict, allclose: b.allclose,
    })),
  };
}

export { PARAMS };
