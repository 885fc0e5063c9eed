/**
 * The fast engine behind the formulas' names: batched kernels (batch.ts), WebAssembly SIMD
 * where it is available (wasm.ts), worker threads for large batches (pool.ts).
 */
import type { BatchKernel, BatchShape, KernelData } from './batch';
import { JsBatchKernel } from './batch';
import { resolveThreads } from './pool';
import { WasmBatchKernel, kernelsModule } from './wasm';

export { type BatchKernel, type BatchShape, type KernelData, chunkCount, rowSums } from './batch';
export { defaultThreads, resolveThreads } from './pool';

export type KernelKind = 'wasm' | 'js';

/** Whether the WebAssembly SIMD kernels run here. */
export function wasmAvailable(): boolean {
  return kernelsModule() !== null;
}

/**
 * A batched kernel over the given data sets: WebAssembly SIMD unless kind says 'js' or it
 * is not available; threads: 0 or undefined for the default (the machine's cores, at most 4);
 * cacheFullBatch: keep the hidden layer of a forward pass over all of data set 0 for the
 * next loss and gradient over all of it at the same θ (full-batch training; same bits).
 */
export function createBatchKernel(
  shape: BatchShape,
  data: readonly KernelData[],
  opts: { kind?: KernelKind; threads?: number; cacheFullBatch?: boolean } = {},
): BatchKernel {
  const module = opts.kind === 'js' ? null : kernelsModule();
  if (!module) {
    if (opts.kind === 'wasm') throw new Error('WebAssembly SIMD is not available here');
    return new JsBatchKernel(shape, data);
  }
  try {
    return new WasmBatchKernel(
      module,
      shape,
      data,
      resolveThreads(opts.threads),
      opts.cacheFullBatch ?? false,
    );
  } catch (e) {
    // More data than one WebAssembly memory holds (4 GB), or no memory to be had: the JavaScript kernel reads the rows in place.
    if (opts.kind === 'wasm' || !(e instanceof RangeError)) throw e;
    return new JsBatchKernel(shape, data);
  }
}
