/**
 * The settings of a training run (TrainConfig), their defaults and the optimizer names: defined once here, used by
 * the trainer, the settings spec (settings.ts, which also validates them) and everything above core.
 */
import type { Activation } from './activations';
import type { InitScheme } from './init';
import { DEFAULT_HYPER } from './optimizers';

export type OptimizerName =
  | 'misclassified-sgd'
  | 'sgd'
  | 'batch'
  | 'minibatch'
  | 'momentum'
  | 'rmsprop'
  | 'adam';
export const OPTIMIZERS: readonly OptimizerName[] = [
  'misclassified-sgd',
  'sgd',
  'batch',
  'minibatch',
  'momentum',
  'rmsprop',
  'adam',
];

export interface TrainConfig {
  hidden: number;
  activation: Activation;
  init: InitScheme;
  optimizer: OptimizerName;
  lr: number;
  momentum: number;
  rho: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Mini-batch size B for minibatch, momentum, rmsprop and adam. */
  batchSize: number;
  /** Stop after this many epochs. */
  epochs: number;
  /** Stop after this many optimizer steps (0: no step limit). */
  maxSteps: number;
  seed: number;
  /** Plateau: stop when the training loss fell by less than plateauTol over the last plateauEpochs epochs (0 disables). */
  plateauEpochs: number;
  plateauTol: number;
  /**
   * Threads a large batched step is spread over (0: the machine's cores, at most 4). Any
   * value gives the same bits; older saved configurations without it mean 0.
   */
  threads: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  hidden: 8,
  activation: 'sigmoid',
  init: 'xavier',
  optimizer: 'sgd',
  lr: 0.1,
  ...DEFAULT_HYPER,
  batchSize: 32,
  epochs: 100,
  maxSteps: 0,
  seed: 1,
  plateauEpochs: 0,
  plateauTol: 1e-6,
  threads: 0,
};
