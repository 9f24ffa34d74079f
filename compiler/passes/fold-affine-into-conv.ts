/**
 * Folds a per-channel affine `y = conv(x)·s + t` into the convolution (or dense layer) before it:
 *
 *   W' = W·s   (s broadcast over each output filter)
 *   b' = b·s + t   (b' = t when the layer has no bias)
 *
 * It applies across `groups` and depthwise convolutions alike, since `s` scales output filters.
 * It refuses, with the reason noted on the affine's `Mul` node, when
 * - the affine does not directly follow a `Conv` or `Gemm` (something sits between them, or the
 *   affine comes first: folding into a later convolution would also scale its zero padding);
 * - the convolution's output has another reader, which needs the unscaled value.
 */
import type { Graph, IrNode } from "../ir/graph.js";
import { GraphBuilder, pruneValues, type Pass } from "./rewrite.js";

const FOLDABLE = new Set(["Conv", "Gemm"]);

/** An affine `Add(Mul(y, s), t)` with constant `s` and `t`, as `normalization-to-affine` makes. */
interface Affine {
  mul: IrNode;
  add: IrNode;
  scale: string;
  shift: string;
}

function affineAt(graph: Graph, add: IrNode): Affine | undefined {
  if (add.op !== "Add" || !graph.isConstant(add.inputs[1])) return undefined;
  const mul = graph.producer(add.inputs[0]);
  if (!mul || mul.op !== "Mul" || !graph.isConstant(mul.inputs[1]) || graph.isConstant(mul.inputs[0])) return undefined;
  if (graph.useCount(mul.outputs[0]) !== 1) return undefined;
  return { mul, add, scale: mul.inputs[1], shift: add.inputs[1] };
}

/** Why the affine cannot fold into what precedes it, or undefined when it can. */
function refusal(graph: Graph, affine: Affine): string | undefined {
  const before = graph.producer(affine.mul.inputs[0]);
  if (!before || !FOLDABLE.has(before.op)) {
    const what = before ? `${before.op} ${before.name}` : `the input ${affine.mul.inputs[0]}`;
    return `not folded: the affine follows ${what}, not a Conv or Gemm`;
  }
  const uses = graph.useCount(before.outputs[0]);
  if (uses !== 1) return `not folded: the output of ${before.name} has ${uses} readers and one needs it unscaled`;
  return undefined;
}

export const foldAffineIntoConv: Pass = {
  name: "fold-affine-into-conv",
  run(graph) {
    const b = new GraphBuilder(graph);
    const replaced = new Map<string, IrNode[]>();
    const removed = new Set<string>();
    const notes = new Map<string, string>();
    for (const node of graph.nodes) {
      const affine = affineAt(graph, node);
      if (!affine) continue;
      const why = refusal(graph, affine);
      if (why) {
        notes.set(affine.mul.name, `${foldAffineIntoConv.name}: ${why}`);
        continue;
      }
      const conv = graph.producer(affine.mul.inputs[0]) as IrNode;
      const [x, weight, bias] = conv.inputs;
      const wShape = graph.value(weight).shape;
      const channels = [wShape[0]] as number[];
      const filterShape = wShape.map((d, axis) => (axis === 0 ? d : 1)) as number[];
      const sFilter = b.node(conv, "fold_scale", "Reshape", [affine.scale], filterShape, { shape: filterShape });
      const w2 = b.node(conv, "weight_folded", "Mul", [weight, sFilter.outputs[0]], wShape);
      const sFlat = b.node(conv, "fold_scale_flat", "Reshape", [affine.scale], channels, { shape: channels });
      const tFlat = b.node(conv, "fold_shift_flat", "Reshape", [affine.shift], channels, { shape: channels });
      const constants = [sFilter, w2, sFlat, tFlat];
      let b2 = tFlat.outputs[0];
      if (bias) {
        const scaled = b.node(conv, "bias_scaled", "Mul", [bias, sFlat.outputs[0]], channels);
        const shifted = b.node(conv, "bias_folded", "Add", [scaled.outputs[0], tFlat.outputs[0]], channels);
        constants.push(scaled, shifted);
        b2 = shifted.outputs[0];
      }
      const folded: IrNode = {
        ...conv,
        inputs: [x, w2.outputs[0], b2],
        outputs: affine.add.outputs,
        origins: [...conv.origins, ...affine.add.origins],
        notes: [...conv.notes, `${foldAffineIntoConv.name}: folded ${affine.add.name}`],
      };
      // The folded layer takes the affine's place: everything it reads is defined by then.
      replaced.set(affine.add.name, [...constants, folded]);
      removed.add(conv.name).add(affine.mul.name);
    }
    if (replaced.size === 0 && notes.size === 0) return { graph, changed: false };
    const nodes = graph.nodes.flatMap((n) => {
      if (removed.has(n.name)) return [];
      const note = notes.get(n.name);
      const current = note && !n.notes.includes(note) ? { ...n, notes: [...n.notes, note] } : n;
      return replaced.get(n.name) ?? [current];
    });
    return { graph: pruneValues(graph.with({ nodes, values: b.values })), changed: replaced.size > 0 };
  },
};
