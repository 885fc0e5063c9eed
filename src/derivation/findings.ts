/** What the derivation checker reports: findings with ranges, severities, codes and related locations. */
import type { Range } from './parser';

export type Severity = 'error' | 'warning' | 'information';

export type FindingCode =
  | 'syntax'
  | 'directive'
  | 'unknown-name'
  | 'unknown-function'
  | 'use-before-definition'
  | 'duplicate-definition'
  | 'redefines-input'
  | 'shape'
  | 'gradient-shape'
  | 'gradient-mismatch'
  | 'gradient-imprecise'
  | 'depends-on-wrong'
  | 'never-derived'
  | 'evaluation';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  message: string;
  range: Range;
  related: Array<{ range: Range; message: string }>;
}
