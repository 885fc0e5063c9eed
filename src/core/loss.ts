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

/**
 * Cross-entropy of a softmax output for K classes, from the logits z = Z[off .. off+K)
 * and the class index y: L = log Σ_k e^{z_k} − z_y, with the maximum taken out first
 * (log-sum-exp) so that it is finite for any finite logits. Its gradient with respect
 * to z is softmax(z) − onehot(y).
 */
export function softmaxCrossEntropyFromLogits(Z: Float64Array, off: number, K: number, y: number): number {
  let mx = Z[off];
  for (let k = 1; k < K; k++) mx = Math.max(mx, Z[off + k]);
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(Z[off + k] - mx);
  return mx + Math.log(s) - Z[off + y];
}
