/**
 * Binary cross-entropy L = −(y·log ŷ + (1−y)·log(1−ŷ)) with ŷ = σ(z2), computed
 * from the logit z2 so that it is finite for any finite z2:
 *   L = max(z2, 0) − z2·y + log(1 + e^{−|z2|})
 * (the same identity as PyTorch's BCEWithLogitsLoss). Its derivative with
 * respect to z2 is σ(z2) − y = a2 − y, the textbook dz2.
 */
export function bceFromLogit(z2: number, y: number): number {
  return Math.max(z2, 0) - z2 * y + Math.log1p(Math.exp(-Math.abs(z2)));
}
