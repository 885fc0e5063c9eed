/**
 * Every backpropLens.<verb> command, by area. activate() registers COMMANDS;
 * handlers take optional arguments so that scripts and tests can drive them
 * without dialogs (documented in the README under "Commands").
 */
import type * as vscode from 'vscode';
import type { StartOptions } from '../runController';
import type { HistoryCommands } from './history';
import type { ModelCommands } from './models';
import type { RaceCommands, RaceOptions } from './race';
import type { TrainOptions, TrainingCommands } from './training';
import type { WorkspaceCommands } from './workspace';

export interface CommandAreas {
  training: TrainingCommands;
  history: HistoryCommands;
  models: ModelCommands;
  workspace: WorkspaceCommands;
  race: RaceCommands;
}

type Handler = (c: CommandAreas, ...args: unknown[]) => unknown;

/** Command id (after "backpropLens.") → handler. */
export const COMMANDS: Record<string, Handler> = {
  train: ({ training }, ...a) => training.train(a[0] as vscode.Uri, a[1] as TrainOptions),
  trainFile: ({ training }, ...a) => training.trainFile(a[0] as vscode.Uri, a[1] as TrainOptions),
  trainExample: ({ training }, ...a) => training.trainExample(a[0] as TrainOptions),
  runExperiment: ({ training }, ...a) => training.runExperiment(a[0] as vscode.Uri, a[1] as TrainOptions),
  trainWithDerivation: ({ training }, ...a) =>
    training.trainWithDerivation(a[0] as vscode.Uri, a[1] as vscode.Uri, a[2] as TrainOptions),
  pause: ({ training }) => training.pause(),
  resume: ({ training }) => training.resume(),
  stepOnce: ({ training }) => training.stepOnce(),
  stop: ({ training }) => training.stop(),
  resetParameters: ({ training }) => training.reset(),
  checkGradients: ({ training }) => training.checkGradients(),
  showInspector: ({ training }) => training.showInspector(),
  exportModel: ({ models }, ...a) => models.exportModel(a[0] as vscode.Uri),
  exportTorch: ({ models }, ...a) => models.exportTorch(a[0] as vscode.Uri),
  raceOptimizers: ({ race }, ...a) => race.race(a[0] as vscode.Uri, a[1] as RaceOptions),
  importModel: ({ models }, ...a) => models.importModel(a[0] as vscode.Uri, a[1] as vscode.Uri),
  openExamples: ({ workspace }, ...a) =>
    workspace.openExamples(a[0] as vscode.Uri, a[1] as { open?: boolean }),
  newDerivation: ({ workspace }, ...a) => workspace.newDerivation(a[0] as vscode.Uri),
  resumeRun: ({ history }, ...a) => history.resumeRun(a[0], a[1] as StartOptions),
  deleteRun: ({ history }, ...a) => history.deleteRun(a[0], a[1] as { confirm?: boolean }),
  exportRun: ({ history }, ...a) => history.exportRun(a[0], a[1] as vscode.Uri),
  openRun: ({ history }, ...a) => history.openRun(a[0]),
  compareRuns: ({ history }, ...a) => history.compareRuns(a[0], a[1] as unknown[]),
};
