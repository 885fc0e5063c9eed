/** The header: file, state badge, statistics, notices and the training controls. */
import { ACTIVATIONS } from '../../src/core/activations';
import { OPTIMIZERS } from '../../src/core/trainer';
import type { PanelRun, PanelSettings } from '../../src/protocol';
import type { View } from '../context';
import { byId, el } from '../dom';

export function headerBar(v: View): HTMLElement {
  return el(
    'header',
    { class: 'bar' },
    el(
      'div',
      { class: 'title' },
      el('span', { id: 'file', class: 'file' }),
      el('span', { id: 'badge', class: 'badge' }),
    ),
    el('div', { id: 'stats', class: 'stats' }),
    controls(v),
  );
}

function controls(v: View): HTMLElement {
  const play = el('button', { id: 'play', type: 'button', 'aria-label': 'Play or pause training' });
  play.addEventListener('click', () => {
    const run = v.state.run;
    const pause = run?.phase === 'running';
    if (pause) v.hold();
    v.post({ type: 'control', action: pause ? 'pause' : 'play' });
  });
  const btn = (id: string, text: string, action: 'step' | 'stepEpoch' | 'reset' | 'stop', title: string) => {
    const b = el('button', { id, type: 'button', text, title, 'aria-label': title });
    b.addEventListener('click', () => {
      v.hold();
      v.post({ type: 'control', action });
    });
    return b;
  };
  const lr = el('input', {
    id: 'lr',
    type: 'number',
    step: 'any',
    min: '0',
    'aria-label': 'Learning rate',
    title: 'Learning rate α (applies from the next step)',
  });
  lr.addEventListener('change', () => {
    const x = Number(lr.value);
    if (x > 0 && Number.isFinite(x)) v.post({ type: 'setLearningRate', lr: x });
  });
  const speed = el('select', {
    id: 'speed',
    'aria-label': 'Training speed (steps per second)',
    title: 'Training speed: optimizer steps per second (does not change the trajectory)',
  });
  for (const [value, text] of SPEEDS) speed.append(el('option', { value, text }));
  speed.addEventListener('change', () => v.post({ type: 'setSpeed', stepsPerSecond: Number(speed.value) }));
  return el(
    'div',
    { class: 'controls', role: 'toolbar', 'aria-label': 'Training controls' },
    play,
    btn('step', 'Step', 'step', 'Step once: exactly one optimizer step'),
    btn('step-epoch', 'Epoch', 'stepEpoch', 'Step one epoch'),
    btn('reset', 'Reset', 'reset', 'Reset parameters to the seeded initial values'),
    btn('stop', 'Stop', 'stop', 'Stop the run (it ends as cancelled; its parameters and history are kept)'),
    el('label', { class: 'lr' }, 'α ', lr),
    el('label', { class: 'speed' }, 'speed ', speed),
  );
}

/**
 * The run's settings, editable: each change starts the same request again (same dataset, derivation or
 * experiment) with that setting changed. The learning rate and the speed (above) change the live run instead.
 */
export function settingsBar(v: View): HTMLElement {
  const restart = (settings: PanelSettings) => v.post({ type: 'restart', settings });
  const number = (
    id: string,
    label: string,
    key: 'hidden' | 'batchSize' | 'epochs',
    min: number,
    max?: number,
  ) => {
    const input = el('input', {
      id,
      type: 'number',
      min,
      ...(max ? { max } : {}),
      step: 1,
      'aria-label': `${label} (restarts training)`,
    });
    input.addEventListener('change', () => {
      const x = Number(input.value);
      if (input.value.trim() !== '' && Number.isInteger(x) && x >= min && (!max || x <= max)) {
        input.setCustomValidity('');
        return restart({ [key]: x });
      }
      // Not a value this setting takes: say so, and show the run's value again (nothing restarts).
      const run = v.state.run;
      input.setCustomValidity(`${label}: a whole number from ${min}${max ? ` to ${max}` : ''}`);
      input.reportValidity();
      if (run)
        input.value = String(
          key === 'hidden' ? run.hidden : key === 'batchSize' ? run.batchSize : run.epochs,
        );
    });
    input.addEventListener('input', () => input.setCustomValidity(''));
    return el('label', {}, `${label} `, input);
  };
  const select = <T extends string>(
    id: string,
    label: string,
    options: readonly T[],
    apply: (x: T) => void,
  ) => {
    const s = el('select', { id, 'aria-label': `${label} (restarts training)` });
    for (const o of options) s.append(el('option', { value: o, text: o }));
    s.addEventListener('change', () => {
      const o = options.find((x) => x === s.value);
      if (o) apply(o);
    });
    return el('label', {}, `${label} `, s);
  };
  return el(
    'div',
    {
      class: 'settings',
      role: 'group',
      'aria-label': 'Run settings (a change restarts the run)',
      title: 'A change starts the same run again with that setting',
    },
    number('hidden', 'hidden units', 'hidden', 1, 4096),
    select('activation', 'activation', ACTIVATIONS, (activation) => restart({ activation })),
    select('optimizer', 'optimizer', OPTIMIZERS, (optimizer) => restart({ optimizer })),
    number('batch', 'batch', 'batchSize', 1),
    number('epochs', 'epochs', 'epochs', 1),
  );
}

/** The speed control's choices, Playground-like: from one step at a time to full speed (0). */
const SPEEDS: ReadonlyArray<[value: number, text: string]> = [
  [1, '1 step/s'],
  [2, '2 steps/s'],
  [5, '5 steps/s'],
  [10, '10 steps/s'],
  [30, '30 steps/s'],
  [100, '100 steps/s'],
  [1000, '1,000 steps/s'],
  [10000, '10,000 steps/s'],
  [0, 'full speed'],
];

/** The choice closest to a pace (on a log scale), so any setting shows as one of the options. */
function nearestSpeed(x: number): number {
  if (!(x > 0)) return 0;
  let best = SPEEDS[0][0];
  for (const [value] of SPEEDS)
    if (value > 0 && Math.abs(Math.log(value / x)) < Math.abs(Math.log(best / x))) best = value;
  return best;
}

/** The badge: what the run is doing (a finished run shows how it ended: completed, converged, cancelled, diverged…). */
const PHASE_TEXT: Partial<Record<PanelRun['phase'], string>> = {
  starting: 'starting',
  running: 'training',
  paused: 'paused',
  failed: 'failed',
};

export function drawHeader(v: View): void {
  const { run, restored } = v.state;
  if (!run) return;
  byId('file')!.textContent = run.file;
  const badge = byId('badge')!;
  badge.textContent = run.live ? (PHASE_TEXT[run.phase] ?? run.status) : `${run.status} (restored)`;
  badge.dataset.state = run.phase;
  const rate =
    run.phase === 'running' && run.stepsPerSecond > 0
      ? ` · ${Math.round(run.stepsPerSecond).toLocaleString()} steps/s`
      : '';
  byId('stats')!.textContent =
    `step ${run.step} · epoch ${run.epoch}/${run.epochs} · ${run.optimizer}, α ${Number(run.lr.toPrecision(4))} · ${run.hidden || 'auto'} ${run.activation} units · ${run.trainRows} train / ${run.testRows} test${rate}`;
  const play = byId<HTMLButtonElement>('play')!;
  const running = run.phase === 'running';
  play.textContent = running ? 'Pause' : 'Play';
  play.setAttribute('aria-pressed', String(running));
  const live = run.live && (run.phase === 'running' || run.phase === 'paused');
  const had = document.activeElement;
  for (const id of ['play', 'step', 'step-epoch', 'stop']) byId<HTMLButtonElement>(id)!.disabled = !live;
  const reset = byId<HTMLButtonElement>('reset')!;
  reset.disabled = !run.live || run.phase === 'failed';
  // The button that had the keyboard focus was disabled (Stop, once the run stopped): the focus goes to Reset, not to the page.
  if (had instanceof HTMLButtonElement && had.disabled && had.closest('.controls') && !reset.disabled)
    reset.focus();
  const lr = byId<HTMLInputElement>('lr')!;
  if (document.activeElement !== lr) lr.value = String(run.lr);
  const shown: Array<[string, string]> = [
    ['hidden', run.hidden ? String(run.hidden) : ''], // 0: automatic, until the data is read
    ['activation', run.activation],
    ['optimizer', run.optimizer],
    ['batch', String(run.batchSize)],
    ['epochs', String(run.epochs)],
  ];
  for (const [id, value] of shown) {
    const e = byId<HTMLInputElement | HTMLSelectElement>(id)!;
    if (document.activeElement !== e) e.value = value;
    e.disabled = !run.live;
  }
  // One example per step (sgd, misclassified-sgd) or every row (batch): the batch size does not apply.
  const batch = byId<HTMLInputElement>('batch')!;
  const noBatch =
    run.optimizer === 'sgd' || run.optimizer === 'misclassified-sgd' || run.optimizer === 'batch';
  batch.disabled ||= noBatch;
  batch.title = noBatch ? `${run.optimizer} does not use a batch size` : '';
  const speed = byId<HTMLSelectElement>('speed')!;
  if (document.activeElement !== speed) {
    // A pace that is not one of the choices (a short run paced to be watched, a setting) shows as itself.
    const custom = speed.querySelector<HTMLOptionElement>('option[data-custom]');
    const exact = SPEEDS.some(([value]) => value === run.speed);
    if (!exact && run.speed > 0) {
      const text = `${Math.round(run.speed).toLocaleString('en-US')} steps/s`;
      const option = custom ?? el('option', { 'data-custom': '' });
      option.value = String(run.speed);
      option.textContent = text;
      if (!custom) speed.insertBefore(option, speed.querySelector('option[value="0"]'));
    } else custom?.remove();
    speed.value = String(run.speed > 0 && !exact ? run.speed : nearestSpeed(run.speed));
  }
  speed.disabled = !live;
  const notes = [
    restored ? 'Restored from before the window reload: the run is not live.' : '',
    run.notice ?? '',
    run.derivation
      ? `Gradients come from ${run.derivation}; “true” shows the network's own gradient beside them.`
      : '',
    run.reason && run.phase === 'finished'
      ? run.reason.startsWith(run.status)
        ? run.reason
        : `${run.status}: ${run.reason}`
      : '',
    run.phase === 'failed' ? `The run failed: ${run.reason || 'see the Backprop Lens output'}` : '',
  ].filter(Boolean);
  byId('notice')!.textContent = notes.join(' ');
}
