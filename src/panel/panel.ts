/**
 * The gradient inspector's host side. The host is the source of truth: the
 * webview posts `ready`, gets a full snapshot, then throttled updates (the
 * worker's report rate, at most 30 per second) that carry encoded Float64Arrays.
 * A hidden webview loses messages, so becoming visible sends a snapshot again.
 * Every message from the webview is validated before anything acts on it.
 */
import * as vscode from 'vscode';
import type { GradcheckReport } from '../core/gradcheck';
import type { RunSettings } from '../core/settings';
import type { LrFindResult } from '../core/lrfind';
import {
  type BoundaryPlane,
  type ControlAction,
  type FromWebview,
  type LandscapeResult,
  type StartWhat,
  encodeF64,
  type PanelCheck,
  type Progress,
  type ToWebview,
  parseFromWebview,
} from '../protocol';
import { trace } from '../trace';
import { RunSeries } from './history';
import { inspectorHtml, makeNonce } from './html';
import {
  EMPTY_SNAPSHOT,
  type InspectedRun,
  type Snapshot,
  checkTable,
  liveSnapshot,
  liveUpdate,
  panelLandscape,
  SentArrays,
} from './view';

export const VIEW_TYPE = 'backpropLens.inspector';
const MAX_MESSAGES_PER_SECOND = 200;

/** The runs the inspector follows (the extension's run manager). */
export interface RunSource {
  readonly current: InspectedRun | undefined;
  readonly onDidChange: vscode.Event<InspectedRun | undefined>;
  readonly onProgress: vscode.Event<{ run: InspectedRun; progress: Progress }>;
}

/** What the inspector's controls do; every argument has passed the protocol's validation. */
export interface PanelActions {
  control(action: ControlAction): void;
  setLearningRate(lr: number): void;
  setSpeed(stepsPerSecond: number): void;
  setBoundary(plane: BoundaryPlane): void;
  /** Set (or restore) one entry of θ while the run is paused or over. */
  setParameter(index: number, value: number): void;
  restoreParameter(index: number): void;
  check(): Promise<GradcheckReport | undefined>;
  /** Start the current run's request again with these settings changed (same dataset, derivation or experiment). */
  restartWith(overrides: Partial<RunSettings>): Promise<void>;
  lrFind(): Promise<LrFindResult>;
  landscape(directions: 'random' | 'trajectory'): Promise<LandscapeResult>;
  /** Start training from the empty inspector: the example, or a dataset the user picks. */
  startTraining(what: StartWhat): void;
  /** The newest stored run, rebuilt from its last checkpoint's trainer state; null when there is none. */
  lastStored(): Promise<Snapshot | null>;
}

export class InspectorPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubs: vscode.Disposable[] = [];
  private readonly subs: vscode.Disposable[] = [];
  private ready = false;
  /** The run and the trajectory the webview holds (PlotHistory knows which of its points). */
  private sent = { run: '', generation: -1 };
  /**
   * Flow control: at most one update in flight. The next is built when the
   * webview says the last one is drawn, from the state at that moment, so a busy
   * webview never works through a backlog (what it shows is never stale).
   */
  private flow = { seq: 0, inFlight: -1, since: 0, pending: false, state: '', shown: null as object | null };
  /** The current run's plotted epochs, followed even while no panel is open. */
  /** The current run's plotted epochs and distributions, kept whether or not the panel is open. */
  private readonly series = new RunSeries();
  /** The seldom-changing arrays the webview holds (an update says 'unchanged' for them). */
  private readonly sentArrays = new SentArrays();
  private check: PanelCheck | null = null;
  private budget = { windowStart: 0, count: 0, dropped: 0, loggedAt: 0 };
  private rejected = new Map<string, { count: number; loggedAt: number }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunSource,
    private readonly actions: PanelActions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subs.push(
      // The plots follow every report (flow-controlled: one update in flight); changes of state arrive through onDidChange.
      runs.onProgress(({ run, progress }) => {
        this.series.follow(run, progress);
        this.onRun(run);
      }),
      runs.onDidChange((run) => this.onRun(run, true)),
    );
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
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      'Gradient Inspector',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      this.options(),
    );
    this.attach(panel);
  }

  /** The panel serializer: a panel that was open before a window reload comes back. */
  restore(panel: vscode.WebviewPanel): void {
    // VS Code restores a hidden panel only when its tab is shown: by then "Show Gradient Inspector" may have made
    // one already. There is one inspector: the restored duplicate closes and the live one comes to the front.
    if (this.panel && this.panel !== panel) {
      panel.dispose();
      this.show();
      return;
    }
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
    const res = (...p: string[]) =>
      w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'webview', ...p)).toString();
    w.html = inspectorHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      script: res('main.js'),
      styles: [res('katex', 'katex.min.css'), res('uPlot.min.css'), res('inspector.css')],
    });
    // Each panel owns its subscriptions: a late dispose event of an old panel must not touch a new one.
    vscode.Disposable.from(...this.panelSubs).dispose();
    const subs: vscode.Disposable[] = [
      w.onDidReceiveMessage((m: unknown) => {
        if (this.panel === panel) this.receive(m);
      }),
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
        this.log.warn(
          `inspector: rejected ${r.count} message${r.count === 1 ? '' : 's'} from the webview: ${parsed.reason}`,
        );
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
      this.log.warn(
        `inspector: the webview sends more than ${MAX_MESSAGES_PER_SECOND} messages per second; ${this.budget.dropped} dropped so far`,
      );
      this.budget.loggedAt = now;
    }
    return false;
  }

  private async handle(m: FromWebview): Promise<void> {
    const a = this.actions;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        return this.sendSnapshot();
      case 'drawn':
        if (m.seq !== this.flow.inFlight) return;
        this.flow.inFlight = -1;
        if (this.flow.pending) {
          this.flow.pending = false;
          this.onRun(this.runs.current);
        }
        return;
      case 'control':
        return a.control(m.action);
      case 'setLearningRate':
        return a.setLearningRate(m.lr);
      case 'setSpeed':
        return a.setSpeed(m.stepsPerSecond);
      case 'restart':
        return a.restartWith(m.settings);
      case 'runCheck':
        return this.showCheck(await a.check().catch(() => undefined), this.runs.current?.progress?.step ?? 0);
      case 'setBoundary':
        return a.setBoundary(m.plane);
      case 'startTraining':
        return a.startTraining(m.what);
      case 'lrFind':
        return a.lrFind().then(
          (r) =>
            this.post({
              type: 'lrFind',
              result: {
                lr: encodeF64(r.lr),
                loss: encodeF64(r.loss),
                smoothed: encodeF64(r.smoothed),
                suggested: r.suggested,
                minimumOverTen: r.minimumOverTen,
                stop: r.stop,
                rows: r.rows,
              },
            }),
          (e) => this.post({ type: 'lrFind', result: null, error: (e as Error).message }),
        );
      case 'landscape':
        return a.landscape(m.directions).then(
          (r) => this.post({ type: 'landscape', result: panelLandscape(r) }),
          (e) => this.post({ type: 'landscape', result: null, error: (e as Error).message }),
        );
      case 'setParameter':
      case 'restoreParameter':
        if (m.type === 'setParameter') a.setParameter(m.index, m.value);
        else a.restoreParameter(m.index);
        // A gradient check on screen follows the edit (the worker handles the two messages in order).
        if (this.check)
          this.showCheck(await a.check().catch(() => undefined), this.runs.current?.progress?.step ?? 0);
        return;
      default: {
        const never: never = m;
        this.log.warn(`inspector: unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  /** shown: the run's shown state changed (the status bar and the notification change now): the header follows at once. */
  private onRun(run: InspectedRun | undefined, shown = false): void {
    if (run && run.id !== this.sent.run) this.check = null;
    if (!this.panel || !this.ready || !this.panel.visible) return;
    const series = this.series;
    if (!run || run.id !== this.sent.run || !series.of(run) || series.generation !== this.sent.generation)
      return this.sendSnapshot();
    const flow = this.flow;
    // One update in flight; a webview that has not answered for 2 s (hidden, reloading) gets the next one anyway, and a
    // change of what is shown (paused, stopped, finished; the step the status bar shows, a few times a second) never
    // waits: it is what the user just asked to see, and the header shows what the status bar shows.
    const state = `${run.shown.phase}:${run.shown.progress?.paused}:${run.result?.status}`;
    const stateChanged = state !== flow.state;
    // A new snapshot goes out with the first call that sees it (often the report that carries it); the change event
    // that follows has nothing new to send.
    const newShown = run.shown !== flow.shown;
    if (shown && !newShown && !stateChanged) return;
    // While a pause or resume waits for the worker (a few ms), plain progress waits too: the answer, what the user
    // asked to see, must not queue behind updates the page would not draw (it holds them) on the way to the webview.
    if (
      !newShown &&
      !stateChanged &&
      (run.awaiting || (flow.inFlight >= 0 && Date.now() - flow.since < 2000))
    ) {
      flow.pending = true;
      return;
    }
    if (stateChanged) trace(`host: inspector update posted (${state}, step ${run.shown.progress?.step})`);
    flow.state = state;
    flow.shown = run.shown;
    flow.inFlight = ++flow.seq;
    flow.since = Date.now();
    flow.pending = false;
    this.post(liveUpdate(flow.inFlight, run, series, this.sentArrays));
  }

  private sendSnapshot(): void {
    const run = this.runs.current;
    if (!run) {
      // No live run (e.g. after a window reload): the newest stored run, rebuilt from its last checkpoint.
      void this.actions.lastStored().then(
        (stored) => {
          if (!this.runs.current) this.post(stored ?? EMPTY_SNAPSHOT); // else a run started meanwhile: it sends its own
        },
        (e) => {
          this.log.warn(`inspector: could not read the stored runs: ${(e as Error).message}`);
          if (!this.runs.current) this.post(EMPTY_SNAPSHOT);
        },
      );
      return;
    }
    this.series.claim(run); // a run that has not reported yet: empty series
    this.sent = { run: run.id, generation: this.series.generation };
    this.series.markHeld();
    this.sentArrays.clear(); // the snapshot carries them all
    this.flow = { ...this.flow, inFlight: -1, pending: false };
    this.post(liveSnapshot(run, this.series, this.check));
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
