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
  /**
   * Hidden units h; 0 asks for the automatic width (autoHidden), which resolveHidden fills in once the data's
   * classes are known: a trainer, a model file and everything shown have the concrete number.
   */
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
  hidden: 0,
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

/** The hidden width of the binary network's automatic choice, and the least one for K classes. */
export const AUTO_HIDDEN_MIN = 8;

/** The automatic rule in words, for the settings' descriptions and the CLI. */
export const AUTO_HIDDEN_RULE = `${AUTO_HIDDEN_MIN} for two classes, max(${AUTO_HIDDEN_MIN}, K + 2) for K ≥ 3 classes`;

/**
 * The automatic hidden width for a network with K outputs (1: the binary network; K ≥ 3: softmax over K classes):
 * 8 for the binary network, max(8, K + 2) for K classes. A hidden layer narrower than the classes is a bottleneck
 * in front of the softmax (digits, 10 classes: 8 units reach about 93% test accuracy, 12 about 96%).
 */
export function autoHidden(K: number): number {
  return K > 1 ? Math.max(AUTO_HIDDEN_MIN, K + 2) : AUTO_HIDDEN_MIN;
}

/**
 * The one place the hidden width is resolved: a configuration with hidden 0 (automatic) gets autoHidden(K) for the
 * data's K outputs (1: binary); an explicit width is kept as it is. Returns the same object when nothing changes.
 */
export function resolveHidden<C extends TrainConfig>(config: C, K: number): C {
  return config.hidden === 0 ? { ...config, hidden: autoHidden(K) } : config;
}
