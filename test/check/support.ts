/**
 * Helpers for the checker's tests: check `.nn` text with an in-memory file system, and read
 * the results as compact strings.
 */
import { checkSource, type CheckOptions, type CheckResult } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";

/** Checks `text` as `main.nn`; `files` are the other files an import may read. */
export function check(text: string, options: CheckOptions = {}, files: Record<string, string> = {}): CheckResult {
  return checkSource("main.nn", text, { readFile: (path) => files[path] }, options);
}

/** The only model of a result that must have no diagnostics. */
export function model(text: string, options: CheckOptions = {}, files: Record<string, string> = {}): CheckedModel {
  const result = check(text, options, files);
  if (result.diagnostics.length > 0) {
    throw new Error(`unexpected diagnostics:\n${result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")}`);
  }
  return result.models[0];
}

/** `name [d0,d1,...]` per parameter, as `nnc params` lists them. */
export function paramLines(m: CheckedModel): string[] {
  return m.params.map((p) => `${p.name} [${p.shape.join(",")}]`);
}

/** Learnable parameter count (buffers excluded), as PyTorch's `parameters()` counts. */
export function learnable(m: CheckedModel): number {
  return m.params.filter((p) => !p.buffer).reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** The output shape of every layer, `path kind [shape]`. */
export function layerLines(m: CheckedModel): string[] {
  return m.layers.map((l) => `${l.path} ${l.kind} [${m.values[l.output].shape.join(",")}]`);
}

/** `code message` per diagnostic. */
export function codes(result: CheckResult): string[] {
  return result.diagnostics.map((d) => `${d.code} ${d.message}`);
}

/** The language guide's ResNet-20 (docs/language.md). */
export const RESNET20 = `
block Basic(x, c: int, stride: int = 1) {
  y = x -> conv(c, 3, stride: stride, pad: 1, bias: false) -> norm -> relu
        -> conv(c, 3, pad: 1, bias: false) -> norm
  s = if stride == 1 and channels(x) == c then x
      else x -> conv(c, 1, stride: stride, bias: false) -> norm
  return (y + s) -> relu
}

model ResNet20(x: [N, 3, 32, 32], width: int = 16) {
  use norm = batch(momentum: 0.1)
  return x -> stem: [conv(width, 3, pad: 1, bias: false) -> norm -> relu]
           -> Basic(width) * 3
           -> Basic(2 * width, stride: 2) -> Basic(2 * width) * 2
           -> Basic(4 * width, stride: 2) -> Basic(4 * width) * 2
           -> global_avgpool -> flatten -> dense(10)
}
`;
