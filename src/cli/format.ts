/** Output helpers shared by the CLI commands. */

/** JSON with non-finite numbers spelled out as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers). */
export function toJson(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      typeof x === 'number' && !Number.isFinite(x)
        ? String(x)
        : x instanceof Float64Array
          ? Array.from(x)
          : x,
    2,
  );
}

export function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : String(x);
}

export function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(digits - 1) : x.toFixed(digits);
}

/** A table with columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows
    .map((r) =>
      r
        .map((c, j) => c.padEnd(w[j]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
