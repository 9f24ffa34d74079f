/**
 * Inlay hints: the output shape at the end of each line of a pipeline, after the last stage
 * that ends on that line. A stage inside a block body is elaborated once per call of the block;
 * its distinct shapes are shown separated by `|`.
 */
import { InlayHintKind, type InlayHint, type Range } from "vscode-languageserver";
import { formatShape } from "../../runtime/ops/dims.js";
import type { Analysis } from "./analysis.js";
import { offsetAt, positionAt } from "./positions.js";
import { shapeIndex } from "./shape-index.js";

/** How many distinct shapes a hint shows before `…`. */
const MAX_SHAPES = 3;

/** The hints whose position lies in `range`. */
export function inlayHints(analysis: Analysis, range: Range): InlayHint[] {
  const from = offsetAt(analysis.source, range.start);
  const to = offsetAt(analysis.source, range.end);
  const lastOnLine = new Map<number, { end: number; label: string }>();
  for (const { span, occurrences } of shapeIndex(analysis).stages(analysis.path)) {
    if (span.end < from || span.end > to || occurrences.length === 0) continue;
    const line = analysis.source.lineCol(span.end).line;
    const known = lastOnLine.get(line);
    if (known && known.end >= span.end) continue;
    const distinct = [...new Set(occurrences.map((o) => o.outputs.map(formatShape).join(", ")))];
    const shown = distinct.slice(0, MAX_SHAPES).join(" | ") + (distinct.length > MAX_SHAPES ? " | …" : "");
    lastOnLine.set(line, { end: span.end, label: shown });
  }
  return [...lastOnLine.values()]
    .sort((a, b) => a.end - b.end)
    .map(({ end, label }) => ({ position: positionAt(analysis.source, end), label, kind: InlayHintKind.Type, paddingLeft: true }));
}
