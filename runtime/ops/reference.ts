/**
 * Helpers for the registry's reference entries (`LayerOperator.reference`), which
 * `scripts/gen-operator-docs.ts` turns into the layer reference, `docs/operators.md`.
 */
import type { LayerReference } from "./types.js";

/**
 * A template tag for the reference's Markdown: backslashes stay as written, for TeX between
 * `$…$` (`\frac`, `\sigma`), and an escaped backtick is a backtick, for code spans.
 */
export function md(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  return String.raw({ raw: strings.raw.map((s) => s.replace(/\\`/g, "`")) }, ...values);
}

/** The reference of an element-wise layer: its formula and a one-layer example on an image. */
export function elementwise(formula: string, returns: string): LayerReference {
  return { shape: "Any shape of rank 2 or more, unchanged; element by element.", formula, example: { inputs: "x: [N, 8, 16, 16]", returns } };
}
