/**
 * Folds a per-channel affine `y = conv(x)·s + t` into the convolution (or dense layer) before it:
 *
 *   W' = W·s   (s broadcast over each output filter)
 *   b' = b·s + t   (b' = t when the layer has no bias)
 *
 * It applies across `groups` and depthwise convolutions alike, since `s` scales output filters.
 * `W'` and `b'` are the two outputs of one constant `FoldAffine` node (the runtime's
 * `foldAffine`, run once at load). When `s` and `t` come from a normalization
 * (`normalization-to-affine`'s `NormalizationAffine`, read by nothing else), the fold takes that
 * normalization's parameters and statistics instead, and computes `s = γ/σ`, `t = β − μ·s` itself:
 * one node per folded layer, and one rounding to float32 at the end.
 *
 * It refuses, with the reason noted on the affine's `Mul` node, when
 * - the affine does not directly follow a `Conv` or `Gemm` (something sits between them, or the
 *   affine comes first: folding into a later convolution would also scale its zero padding);
 * - the convolution's output has another reader, which needs the unscaled value.
 */
import type { Graph, IrAttr, IrNode } from "../ir/graph.js";
import { GraphBuilder, pruneValues, type Pass } from "./rewrite.js";

const FOLDABLE = new Set(["Conv", "Gemm"]);

/**
 * An affine `Add(Mul(y, s), t)` with constant `s` and `t` of one value per channel, shaped
 * `[1, C, 1, ...]` as `normalization-to-affine` makes them (a number, as in `y * 0.5 + 1`, is
 * left alone).
 */
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
  const shape = graph.value(mul.outputs[0]).shape;
  const perChannel = shape.map((d, axis) => (axis === 1 ? d : 1)).join();
  if (graph.value(mul.inputs[1]).shape.join() !== perChannel || graph.value(add.inputs[1]).shape.join() !== perChannel) return undefined;
  return { mul, add, scale: mul.inputs[1], shift: add.inputs[1] };
}

/**
 * Why a per-channel affine of `input` cannot fold into what produces it, or undefined when it
 * can; `normalization-to-affine` asks before it turns a normalization into an affine.
 */
export function foldRefusal(graph: Graph, input: string): string | undefined {
  const before = graph.producer(input);
  if (!before || !FOLDABLE.has(before.op)) {
    const what = before ? `${before.op} ${before.name}` : `the input ${input}`;
    return `not folded: the affine follows ${what}, not a Conv or Gemm`;
  }
  const uses = graph.useCount(before.outputs[0]);
  if (uses !== 1) return `not folded: the output of ${before.name} has ${uses} readers and one needs it unscaled`;
  return undefined;
}

/**
 * The `NormalizationAffine` node that computes exactly the affine's `s` and `t` and nothing else
 * reads, whose inputs the fold can take instead.
 */
function normalizationOf(graph: Graph, affine: Affine): IrNode | undefined {
  const source = graph.producer(affine.scale);
  if (source?.op !== "NormalizationAffine" || source.outputs[0] !== affine.scale || source.outputs[1] !== affine.shift) return undefined;
  return graph.useCount(affine.scale) === 1 && graph.useCount(affine.shift) === 1 ? source : undefined;
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
      const why = foldRefusal(graph, affine.mul.inputs[0]);
      if (why) {
        notes.set(affine.mul.name, `${foldAffineIntoConv.name}: ${why}`);
        continue;
      }
      const conv = graph.producer(affine.mul.inputs[0]) as IrNode;
      const [x, weight, bias] = conv.inputs;
      const wShape = graph.value(weight).shape;
      const normalization = normalizationOf(graph, affine);
      const statistics = normalization ? normalization.inputs : [affine.scale, affine.shift, "", ""];
      const epsilon = normalization?.attrs.epsilon;
      const attrs: Record<string, IrAttr> = epsilon === undefined ? {} : { epsilon };
      const parts = [
        { suffix: "folded_weight", shape: wShape },
        { suffix: "folded_bias", shape: [wShape[0]] },
      ];
      const origins = { name: conv.name, origins: [...conv.origins, ...affine.add.origins] };
      const fold = b.multiNode(origins, "fold", "FoldAffine", [weight, bias ?? "", ...statistics], parts, attrs);
      const folded: IrNode = {
        ...conv,
        inputs: [x, ...fold.outputs],
        outputs: affine.add.outputs,
        origins: [...conv.origins, ...affine.add.origins],
        notes: [...conv.notes, `${foldAffineIntoConv.name}: folded ${affine.add.name}`],
      };
      // The folded layer takes the affine's place: everything it reads is defined by then.
      replaced.set(affine.add.name, [fold, folded]);
      removed.add(conv.name).add(affine.mul.name);
      if (normalization) removed.add(normalization.name);
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
