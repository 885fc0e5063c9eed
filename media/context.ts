/** What every view of the inspector shares: the state, the user's view preferences, the theme and the way back to the host. */
import { type ParamName, layout } from '../src/core/network';
import type { Palette } from '../src/panel/format';
import type { FromWebview } from '../src/protocol';
import type { InspectorState, Section } from './state';

/** View preferences, kept by the webview's own state across reloads (never the run's data). */
export interface Ui {
  focus: ParamName;
  tables: Partial<Record<ParamName, boolean>>;
  zoom: Partial<Record<ParamName, number>>;
  logScale: boolean;
  /** Curve smoothing weight in [0, 1) (exponential moving average; 0: off). */
  smoothing: number;
}

export interface View {
  readonly state: InspectorState;
  readonly ui: Ui;
  saveUi(): void;
  post(m: FromWebview): void;
  palette(): Palette;
  /** Draw this section again at the next frame. */
  dirty(section: Section): void;
  /** Bring a parameter's card into view and focus it. */
  focusParam(p: ParamName): void;
  /**
   * A control that stops a running run was used (Pause, Step, Step One Epoch, Reset, Stop): until the host says the run
   * stopped (at most HOLD_MS), draw nothing newer — the next thing on screen is the state asked for, and the page stays
   * free to take the host's answer the moment it arrives.
   */
  hold(): void;
}

/** Rows and columns of a parameter, and where it starts in θ (from core's layout). */
export function blockOf(view: View, p: ParamName): { rows: number; cols: number; offset: number } {
  const run = view.state.run;
  const b = run ? layout(run.n, run.hidden, run.K).find((x) => x.name === p) : undefined;
  return b ? { rows: b.rows, cols: b.cols, offset: b.offset } : { rows: 0, cols: 0, offset: 0 };
}
