/**
 * The inference pipeline: the passes in the order they run. The first drops the running
 * statistics' update outputs, which only training computes. `--no-fuse` keeps the
 * normalization nodes (and everything downstream of them that would fold); `--dump-ir=PASS`
 * prints the graph after any of them. Train mode runs no pass.
 */
import type { Graph } from "../ir/graph.js";
import type { Pass } from "./rewrite.js";
import { freezeRunningStatistics } from "./freeze-running-statistics.js";
import { removeDropout } from "./remove-dropout.js";
import { removeIdentity } from "./remove-identity.js";
import { normalizationToAffine } from "./normalization-to-affine.js";
import { foldAffineIntoConv } from "./fold-affine-into-conv.js";
import { fuseActivation } from "./fuse-activation.js";
import { deadCode } from "./dead-code.js";

/** Every inference pass, in order. */
export const INFERENCE_PASSES: readonly Pass[] = [
  freezeRunningStatistics,
  removeDropout,
  removeIdentity,
  normalizationToAffine,
  foldAffineIntoConv,
  fuseActivation,
  deadCode,
];

/** The passes that still run with `--no-fuse`. */
export const UNFUSED_PASSES: readonly Pass[] = [freezeRunningStatistics, removeDropout, removeIdentity, deadCode];

/** One step of a pipeline run: the pass and the graph after it. */
export interface PipelineStep {
  readonly pass: string;
  readonly graph: Graph;
  readonly changed: boolean;
}

/** Runs `passes` in order; the steps let `--dump-ir` print the graph after any of them. */
export function runPipeline(graph: Graph, passes: readonly Pass[]): { graph: Graph; steps: PipelineStep[] } {
  const steps: PipelineStep[] = [];
  let current = graph;
  for (const pass of passes) {
    const result = pass.run(current);
    current = result.graph;
    steps.push({ pass: pass.name, graph: current, changed: result.changed });
  }
  return { graph: current, steps };
}
