/**
 * Painting a grid of values as colours: one pixel per cell into the canvas's
 * own bitmap (one putImageData), scaled up by CSS with `image-rendering:
 * pixelated`. The cost is one colour per cell, whatever the size on screen.
 */
import { type Palette, divergingColor } from '../src/panel/format';

const images = new WeakMap<HTMLCanvasElement, ImageData>();

/** Paint rows×cols values (row-major) centred on `centre` with ±scale saturating; the canvas shows at cssWidth×cssHeight pixels. */
export function paintCells(
  c: HTMLCanvasElement,
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  scale: number,
  palette: Palette,
  cssWidth: number,
  cssHeight: number,
  centre = 0,
): void {
  if (c.width !== cols || c.height !== rows) {
    c.width = cols;
    c.height = rows;
  }
  const w = `${cssWidth}px`,
    h = `${cssHeight}px`;
  if (c.style.width !== w) c.style.width = w;
  if (c.style.height !== h) c.style.height = h;
  const ctx = c.getContext('2d');
  if (!ctx) return;
  let img = images.get(c);
  if (!img || img.width !== cols || img.height !== rows) {
    img = ctx.createImageData(cols, rows);
    images.set(c, img);
  }
  const d = img.data;
  for (let k = 0; k < rows * cols; k++) {
    const [r, g, b] = divergingColor(values[k] - centre, scale, palette);
    d[4 * k] = r;
    d[4 * k + 1] = g;
    d[4 * k + 2] = b;
    d[4 * k + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
