/** DOM helpers of the webview: elements are built with textContent only (never HTML from data), and the theme's colours. */
import { type Rgb, parseColor } from '../src/panel/format';

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | number | boolean> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else if (typeof v === 'boolean') {
      if (v) e.setAttribute(k, '');
    } else e.setAttribute(k, String(v));
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false)
      e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/**
 * An element's clientWidth, read when the layout changes (a ResizeObserver) rather than while drawing: a layout read
 * after a DOM write forces the browser to lay the whole page out again, once per read — a dozen times a frame with
 * every Numbers table open. The first read of an element measures it; onWidthChange hears of every change after.
 */
const widths = new WeakMap<Element, number>();
let widthObserver: ResizeObserver | null = null;
let widthListener: (() => void) | null = null;

export function widthOf(e: HTMLElement): number {
  let w = widths.get(e);
  if (w === undefined) {
    w = e.clientWidth;
    widths.set(e, w);
    widthObserver ??= new ResizeObserver((entries) => {
      let changed = false;
      for (const x of entries) {
        const now = (x.target as HTMLElement).clientWidth; // laid out already: no extra layout
        if (widths.get(x.target) !== now) changed = true;
        widths.set(x.target, now);
      }
      if (changed) widthListener?.();
    });
    widthObserver.observe(e);
  }
  return w;
}

/** Called when an element measured by widthOf changes width (to redraw what depends on it). */
export function onWidthChange(listener: () => void): void {
  widthListener = listener;
}

export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export function themeRgb(name: string, fallback: Rgb): Rgb {
  return parseColor(cssVar(name, '')) ?? fallback;
}

export function tip(text: string, x: number, y: number): void {
  const t = byId('tooltip');
  if (!t) return;
  t.textContent = text;
  t.hidden = false;
  // Inside the panel: to the left of the pointer when it would cross the right edge (its width measured, not assumed).
  const w = t.offsetWidth;
  const left = x + 12 + w > window.innerWidth - 4 ? Math.max(4, x - 12 - w) : x + 12;
  t.style.left = `${left + window.scrollX}px`;
  t.style.top = `${y + 12 + window.scrollY}px`;
}

export function hideTip(): void {
  const t = byId('tooltip');
  if (t) t.hidden = true;
}

/** Unicode's first-strong isolate around a user's name, where text cannot hold a <bdi> (tooltips, options). */
export function isolate(name: string): string {
  return `\u2068${name}\u2069`;
}
