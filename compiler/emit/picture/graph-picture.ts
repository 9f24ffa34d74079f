/**
 * `nnc graph`: a picture of a model's layer graph, as SVG (drawn here, no dependency) or as
 * Graphviz DOT for people who prefer `dot`'s layout.
 *
 * The SVG layout is layered: a model input sits on layer 0 and every layer instance one layer
 * below the lowest of its inputs' producers, so a pipeline reads top to bottom and parallel
 * branches (a residual shortcut, Inception's towers) sit side by side. Within a layer, boxes
 * keep source order. Each box shows the instance path, its kind and its output shape; hovering
 * shows its parameter count. Edges run only through the empty bands between boxes (see
 * `graphLayout`), so none passes behind a box it does not connect.
 */
import type { CheckedModel, Shape } from "../../check/model.js";

/** One box of the picture. */
interface Box {
  readonly id: string;
  readonly title: string;
  readonly detail: string;
  readonly tooltip: string;
  readonly rank: number;
  readonly column: number;
  /** The boxes feeding this one. */
  readonly from: readonly string[];
  readonly kind: "input" | "layer" | "output";
}

const BOX_WIDTH = 270;
const BOX_HEIGHT = 40;
const COLUMN_GAP = 60;
const RANK_GAP = 34;
const MARGIN = 20;
/** How far a skip connection bulges right of its column. */
const SKIP_BULGE = 40;

function shapeText(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The boxes of `model`: inputs, layer instances, then one box per model output. */
function boxes(model: CheckedModel): Box[] {
  const result: Box[] = [];
  const producerBox = new Map<number, string>();
  const rankOf = new Map<string, number>();
  // A box takes the column of its first input when that cell is free, so a branch stays in
  // its column and a pipeline is one straight line; otherwise the next free column.
  const taken = new Map<number, Set<number>>();
  const columnOf = new Map<string, number>();
  const place = (rank: number, from: readonly string[] = []) => {
    const cells = taken.get(rank) ?? new Set<number>();
    taken.set(rank, cells);
    let column = from.length > 0 ? columnOf.get(from[0]) ?? 0 : 0;
    while (cells.has(column)) column++;
    cells.add(column);
    return column;
  };
  for (const input of model.inputs) {
    const id = `input:${input.name}`;
    result.push({
      id,
      title: input.name,
      detail: `input ${shapeText(model.values[input.value].shape)}`,
      tooltip: `model input ${input.name}`,
      rank: 0,
      column: place(0, []),
      from: [],
      kind: "input",
    });
    producerBox.set(input.value, id);
    columnOf.set(id, result[result.length - 1].column);
    rankOf.set(id, 0);
  }
  model.layers.forEach((layer, index) => {
    const id = `layer:${index}`;
    const from = layer.inputs.map((v) => producerBox.get(v)).filter((b): b is string => b !== undefined);
    const rank = 1 + Math.max(0, ...from.map((b) => rankOf.get(b) ?? 0));
    const params = layer.params.filter((p) => !p.buffer).reduce((sum, p) => sum + p.shape.reduce<number>((a, d) => a * Number(d), 1), 0);
    result.push({
      id,
      title: layer.path,
      detail: `${layer.kind} ${shapeText(model.values[layer.output].shape)}`,
      tooltip: `${layer.path}: ${layer.kind}, ${params.toLocaleString("en-US")} parameters`,
      rank,
      column: place(rank, from),
      from,
      kind: "layer",
    });
    producerBox.set(layer.output, id);
    columnOf.set(id, result[result.length - 1].column);
    rankOf.set(id, rank);
  });
  model.outputs.forEach((value, k) => {
    const source = producerBox.get(value);
    const rank = 1 + (source ? rankOf.get(source) ?? 0 : 0);
    result.push({
      id: `output:${k}`,
      title: model.outputs.length === 1 ? "output" : `output ${k}`,
      detail: shapeText(model.values[value].shape),
      tooltip: `model output ${k}`,
      rank,
      column: place(rank, source ? [source] : []),
      from: source ? [source] : [],
      kind: "output",
    });
  });
  return result;
}

type Point = readonly [number, number];

/** A piece of an edge's path, from where the previous one ends: a straight line or a cubic Bézier curve. */
export type PathPiece = { readonly kind: "line"; readonly to: Point } | { readonly kind: "curve"; readonly c1: Point; readonly c2: Point; readonly to: Point };

/** Where a box is drawn. */
export interface PlacedBox {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The path of the edge from box `from` to box `to`. */
export interface RoutedEdge {
  readonly from: string;
  readonly to: string;
  readonly start: Point;
  readonly pieces: readonly PathPiece[];
}

/** The geometry of a picture: its size, its boxes and its edges. */
export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly PlacedBox[];
  readonly edges: readonly RoutedEdge[];
}

/**
 * The picture's geometry. An edge never crosses a box other than its ends: boxes stand in a grid
 * of ranks (rows) and columns, and between them run empty bands, the gaps between ranks and the
 * corridors between columns. An edge between neighbouring ranks is one curve in the gap between
 * them. A longer one runs down its source's column when no box stands there in the ranks between
 * (turning toward the target in the last gap), else down the target's column (turning in the
 * first gap), else down the corridor beside the nearer of the two columns (turning in both). A
 * skip connection within one column bulges into the corridor on its right.
 */
export function graphLayout(model: CheckedModel): GraphLayout {
  const all = boxes(model);
  const widest = Math.max(1, ...all.map((b) => b.column + 1));
  const ranks = Math.max(0, ...all.map((b) => b.rank)) + 1;
  const width = 2 * MARGIN + SKIP_BULGE + widest * BOX_WIDTH + (widest - 1) * COLUMN_GAP;
  const height = 2 * MARGIN + 24 + ranks * BOX_HEIGHT + (ranks - 1) * RANK_GAP;
  const at = new Map(all.map((b) => [b.id, b]));
  const occupied = new Set(all.map((b) => `${b.rank}:${b.column}`));
  const x = (b: Box) => MARGIN + b.column * (BOX_WIDTH + COLUMN_GAP);
  const y = (b: Box) => MARGIN + 24 + b.rank * (BOX_HEIGHT + RANK_GAP);
  /** True when no box stands in `column` on the ranks strictly between `from` and `to`. */
  const clear = (column: number, from: number, to: number) => {
    for (let rank = from + 1; rank < to; rank++) if (occupied.has(`${rank}:${column}`)) return false;
    return true;
  };
  /**
   * A curve from `a` down to `b` that leaves and arrives vertically, so it stays in the band
   * between them; `bottom` is the band's lower edge (below `b` by the arrow head's length).
   */
  const curve = (a: Point, b: Point, bottom: number = b[1]): PathPiece => {
    const bend = (bottom - a[1]) / 2;
    return { kind: "curve", c1: [a[0], a[1] + bend], c2: [b[0], bottom - bend], to: b };
  };
  const edges: RoutedEdge[] = [];
  for (const box of all) {
    for (const from of box.from) {
      const source = at.get(from)!;
      const x1 = x(source) + BOX_WIDTH / 2;
      const y1 = y(source) + BOX_HEIGHT;
      const x2 = x(box) + BOX_WIDTH / 2;
      const y2 = y(box);
      const end: Point = [x2, y2 - 6];
      const route = (start: Point, ...pieces: PathPiece[]) => edges.push({ from, to: box.id, start, pieces });
      if (source.column === box.column && box.rank - source.rank > 1) {
        // A skip connection in the same column would run behind the boxes between: route it
        // around their right side.
        const right = x(box) + BOX_WIDTH;
        const ys = y(source) + BOX_HEIGHT / 2;
        const yt = y(box) + BOX_HEIGHT / 2;
        route([right, ys], { kind: "curve", c1: [right + SKIP_BULGE, ys], c2: [right + SKIP_BULGE, yt], to: [right + 6, yt] });
      } else if (box.rank - source.rank === 1 || clear(source.column, source.rank, box.rank)) {
        // Down the source's column, turning only in the last gap.
        const turn = y2 - RANK_GAP;
        if (turn > y1) route([x1, y1], { kind: "line", to: [x1, turn] }, curve([x1, turn], end, y2));
        else route([x1, y1], curve([x1, y1], end, y2));
      } else if (clear(box.column, source.rank, box.rank)) {
        // Into the target's column in the first gap, then down it.
        const below = y1 + RANK_GAP;
        route([x1, y1], curve([x1, y1], [x2, below]), { kind: "line", to: end });
      } else {
        // Down the corridor right of the nearer column, turning in the first and the last gap.
        const corridor = MARGIN + Math.min(source.column, box.column) * (BOX_WIDTH + COLUMN_GAP) + BOX_WIDTH + COLUMN_GAP / 2;
        const below = y1 + RANK_GAP;
        const turn = y2 - RANK_GAP;
        route([x1, y1], curve([x1, y1], [corridor, below]), { kind: "line", to: [corridor, turn] }, curve([corridor, turn], end, y2));
      }
    }
  }
  const placed = all.map((b) => ({ id: b.id, x: x(b), y: y(b), width: BOX_WIDTH, height: BOX_HEIGHT }));
  return { width, height, boxes: placed, edges };
}

/** An edge's path as SVG path data. */
function pathData(edge: RoutedEdge): string {
  const point = (p: Point) => `${p[0]},${p[1]}`;
  const pieces = edge.pieces.map((piece) => (piece.kind === "line" ? ` L${point(piece.to)}` : ` C${point(piece.c1)} ${point(piece.c2)} ${point(piece.to)}`));
  return `M${point(edge.start)}${pieces.join("")}`;
}

/** The model's graph as a standalone SVG document. */
export function graphSvg(model: CheckedModel): string {
  const all = boxes(model);
  const { width, height, boxes: placed, edges: routed } = graphLayout(model);
  const place = new Map(placed.map((b) => [b.id, b]));
  const x = (b: Box) => place.get(b.id)!.x;
  const y = (b: Box) => place.get(b.id)!.y;
  const edges = routed.map((edge) => `<path d="${pathData(edge)}" class="edge" marker-end="url(#arrow)"/>`);
  const nodes = all.map((b) => {
    const cls = b.kind === "layer" ? "layer" : "io";
    return (
      `<g class="${cls}"><title>${escapeXml(b.tooltip)}</title>` +
      `<rect x="${x(b)}" y="${y(b)}" width="${BOX_WIDTH}" height="${BOX_HEIGHT}" rx="6"/>` +
      `<text x="${x(b) + 10}" y="${y(b) + 16}" class="title">${escapeXml(b.title)}</text>` +
      `<text x="${x(b) + 10}" y="${y(b) + 32}" class="detail">${escapeXml(b.detail)}</text></g>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    "<style>",
    "  text { font-family: ui-monospace, Menlo, Consolas, monospace; }",
    "  .heading { font-size: 14px; font-weight: bold; fill: #222; }",
    "  .title { font-size: 12px; fill: #111; }",
    "  .detail { font-size: 11px; fill: #555; }",
    "  .layer rect { fill: #eef3fb; stroke: #5b7db1; }",
    "  .io rect { fill: #f4f4f4; stroke: #888; stroke-dasharray: 4 2; }",
    "  .edge { fill: none; stroke: #777; stroke-width: 1.2; }",
    "</style>",
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>',
    `<text x="${MARGIN}" y="${MARGIN + 10}" class="heading">${escapeXml(`model ${model.name} (${model.layers.length} layers)`)}</text>`,
    ...edges,
    ...nodes,
    "</svg>",
    "",
  ].join("\n");
}

/** The model's graph in Graphviz DOT. */
export function graphDot(model: CheckedModel): string {
  const escape = (text: string) => text.replace(/["\\]/g, (ch) => `\\${ch}`);
  const quote = (text: string) => `"${escape(text)}"`;
  const lines = [`digraph ${quote(model.name)} {`, "  node [shape=box, fontname=monospace];"];
  const all = boxes(model);
  for (const b of all) {
    const style = b.kind === "layer" ? "" : ", style=dashed";
    lines.push(`  ${quote(b.id)} [label="${escape(b.title)}\\n${escape(b.detail)}"${style}];`);
  }
  for (const b of all) for (const from of b.from) lines.push(`  ${quote(from)} -> ${quote(b.id)};`);
  lines.push("}", "");
  return lines.join("\n");
}
