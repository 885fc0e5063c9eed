// Draws the extension icon (media/icon.png, 128×128): a 2-3-1 network whose
// edges carry a backward (right-to-left) gradient arrow. Plain Node (zlib), no
// image library: a few circles and line segments, 4×4 supersampled.
// Usage: node scripts/make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const S = 128,
  SS = 4;
const bg = [30, 58, 95],
  edge = [150, 180, 210],
  node = [235, 242, 250],
  grad = [255, 112, 67];
const layers = [[44, 84], [30, 64, 98], [64]];
const xs = [26, 64, 102];
const nodes = layers.flatMap((ys, l) => ys.map((y) => [xs[l], y]));
const segs = [];
for (let l = 0; l < 2; l++)
  for (const a of layers[l]) for (const b of layers[l + 1]) segs.push([xs[l], a, xs[l + 1], b]);

function distSeg(px, py, [x1, y1, x2, y2]) {
  const dx = x2 - x1,
    dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - x1 - t * dx, py - y1 - t * dy);
}
function roundedInside(x, y) {
  const r = 22,
    c = (v) => Math.max(r, Math.min(S - r, v));
  return Math.hypot(x - c(x), y - c(y)) <= r;
}
function colour(x, y) {
  if (!roundedInside(x, y)) return null;
  // The backward arrow along the bottom: a shaft from right to left and a head at the left.
  if (y > 110 && y < 116 && x > 34 && x < 100) return grad;
  if (x >= 22 && x <= 36 && Math.abs(y - 113) <= (x - 22) * 0.75) return grad;
  for (const [nx, ny] of nodes) if (Math.hypot(x - nx, y - ny) <= 9) return node;
  for (const s of segs) if (distSeg(x, y, s) <= 1.6) return edge;
  return bg;
}

const raw = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) {
  raw[y * (S * 4 + 1)] = 0;
  for (let x = 0; x < S; x++) {
    const acc = [0, 0, 0, 0];
    for (let i = 0; i < SS; i++)
      for (let j = 0; j < SS; j++) {
        const c = colour(x + (i + 0.5) / SS, y + (j + 0.5) / SS);
        if (!c) continue;
        acc[0] += c[0];
        acc[1] += c[1];
        acc[2] += c[2];
        acc[3] += 255;
      }
    const n = SS * SS,
      a = acc[3] / n,
      o = y * (S * 4 + 1) + 1 + x * 4;
    const cov = acc[3] / 255 || 1;
    raw[o] = Math.round(acc[0] / cov);
    raw[o + 1] = Math.round(acc[1] / cov);
    raw[o + 2] = Math.round(acc[2] / cov);
    raw[o + 3] = Math.round(a);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (b) => {
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(S, 0);
ihdr.writeUInt32BE(S, 4);
ihdr[8] = 8;
ihdr[9] = 6;
ihdr[10] = 0;
ihdr[11] = 0;
ihdr[12] = 0;
const png = Buffer.concat([
  Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw)),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../media/icon.png', import.meta.url), png);
console.log(`media/icon.png: ${png.length} bytes`);
