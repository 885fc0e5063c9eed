/**
 * Latency traces for the browser tests: with BPL_TRACE=1 in the extension host's environment, a console line per
 * event on the way from a control click to the screen (the development host forwards them to the page's console);
 * otherwise nothing.
 */
const on = typeof process !== 'undefined' && process.env.BPL_TRACE === '1';

export function trace(what: string): void {
  if (on) console.log(`[bpl-trace] ${Date.now()} ${what}`);
}
