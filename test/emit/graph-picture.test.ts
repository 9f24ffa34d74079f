/**
 * `nnc graph`'s picture never draws an edge through a box it does not connect: every edge of
 * every example's picture (and of the two-input case whose edge once ran through another
 * branch's column) is sampled along its lines and curves, and no sample may fall inside another
 * box. The two-input case is also a golden picture.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { graphLayout, graphSvg, type GraphLayout, type PathPiece } from "../../compiler/emit/picture/graph-picture.js";
import { expectBaseline } from "../support/baseline.js";
import { host } from "./support.js";

const CASE = "test/cases/graph/two-inputs.nn";

function models(path: string): CheckedModel[] {
  const result = checkSource(path, readFileSync(path, "utf8"), host);
  expect(result.diagnostics.filter((d) => d.severity === "error"), path).toEqual([]);
  return result.models as CheckedModel[];
}

/** Points along a piece starting at `from`: 64 per curve, every 4 units along a line. */
function samples(from: readonly [number, number], piece: PathPiece): [number, number][] {
  const points: [number, number][] = [];
  if (piece.kind === "line") {
    const steps = Math.max(1, Math.ceil(Math.hypot(piece.to[0] - from[0], piece.to[1] - from[1]) / 4));
    for (let i = 0; i <= steps; i++) points.push([from[0] + ((piece.to[0] - from[0]) * i) / steps, from[1] + ((piece.to[1] - from[1]) * i) / steps]);
    return points;
  }
  for (let i = 0; i <= 64; i++) {
    const t = i / 64;
    const u = 1 - t;
    const at = (k: 0 | 1) => u * u * u * from[k] + 3 * u * u * t * piece.c1[k] + 3 * u * t * t * piece.c2[k] + t * t * t * piece.to[k];
    points.push([at(0), at(1)]);
  }
  return points;
}

/** Each edge that passes inside a box other than its two ends: "from -> to crosses box". */
function crossings(layout: GraphLayout): string[] {
  const found: string[] = [];
  for (const edge of layout.edges) {
    const points: [number, number][] = [];
    let from = edge.start;
    for (const piece of edge.pieces) {
      points.push(...samples(from, piece));
      from = piece.to;
    }
    for (const box of layout.boxes) {
      if (box.id === edge.from || box.id === edge.to) continue;
      const inside = points.some(([x, y]) => x > box.x + 0.5 && x < box.x + box.width - 0.5 && y > box.y + 0.5 && y < box.y + box.height - 0.5);
      if (inside) found.push(`${edge.from} -> ${edge.to} crosses ${box.id}`);
    }
  }
  return found;
}

describe("nnc graph's edges", () => {
  const files = [CASE, ...readdirSync("examples").filter((f) => f.endsWith(".nn")).sort().map((f) => `examples/${f}`)];
  it.each(files)("cross no box but their ends: %s", (path) => {
    for (const model of models(path)) {
      const layout = graphLayout(model);
      expect(layout.edges.length, model.name).toBeGreaterThan(0);
      expect(crossings(layout), model.name).toEqual([]);
    }
  });

  it("the check finds an edge drawn through a box", () => {
    // The edge the picture once drew for the case: straight down relu1's column, through z's boxes.
    const layout = graphLayout(models(CASE)[0]!);
    const box = (id: string) => layout.boxes.find((b) => b.id === id)!;
    const relu = box("layer:3");
    const concat = box("layer:7");
    const x = relu.x + relu.width / 2;
    const straight = { from: "layer:3", to: "layer:7", start: [x, relu.y + relu.height] as const, pieces: [{ kind: "line", to: [x, concat.y] } as const] };
    expect(crossings({ ...layout, edges: [straight] })).toEqual(["layer:3 -> layer:7 crosses layer:4", "layer:3 -> layer:7 crosses layer:5", "layer:3 -> layer:7 crosses layer:6"]);
  });

  it("draw the two-input case as its golden picture", () => {
    expectBaseline("test/baselines/graph/two-inputs.svg", graphSvg(models(CASE)[0]!));
  });
});
