/**
 * Turns a {@link PlanGraph} into a {@link PlanLayout}: infers every activation's shape, fuses
 * residual adds into convs, picks each value's form (blocked where a WebAssembly kernel consumes
 * or produces it, plain otherwise) and lists the actions, conversions included, in order.
 */
import { fusedActivation } from "../ops/fused.js";
import { KERNELS } from "../ops/kernel-table.js";
import { sizeOf, type Tensor } from "../tensor.js";
import { channelStride, unfoldConvWeight } from "./layout.js";
import {
  windowOf,
  type FallbackKernel,
  type PlanAction,
  type PlanBuffer,
  type PlanGraph,
  type PlanLayout,
  type PlanStep,
  type WindowGeometry,
} from "./plan-graph.js";
import { groupedConvFits } from "./steps/grouped-conv.js";

/** What `analysePlan` needs besides the graph. */
export interface AnalysisOptions {
  /** Use the blocked form and the WebAssembly kernels (false: every buffer plain). */
  blocked: boolean;
  fallback?: FallbackKernel;
}

/** Analyses `graph` with its weights (folded constants included) by value name. */
export function analysePlan(graph: PlanGraph, weights: ReadonlyMap<string, Tensor>, options: AnalysisOptions): PlanLayout {
  const shapes = new Map<string, readonly number[]>();
  const producer = new Map<string, number>();
  graph.inputs.forEach((input) => shapes.set(input.name, input.shape));
  graph.steps.forEach((step, i) => producer.set(step.output, i));
  const isActivation = (name: string): boolean => shapes.has(name) || producer.has(name);
  const weight = (step: PlanStep, index: number): Tensor | undefined => {
    const name = step.inputs[index];
    if (name === undefined || name === "") return undefined;
    const t = weights.get(name);
    if (t === undefined) throw new Error(`plan: ${step.name ?? step.op} reads ${name}, which is neither computed nor a weight`);
    return t;
  };
  const uses = new Map<string, number>();
  for (const step of graph.steps) for (const name of step.inputs) uses.set(name, (uses.get(name) ?? 0) + 1);
  for (const name of graph.outputs) uses.set(name, (uses.get(name) ?? 0) + 2);

  // Convs with a WebAssembly kernel: ungrouped ones with more than 4 outputs, depthwise ones
  // (one filter per channel: group = C_in = C_out), and grouped ones whose groups suit the
  // direct conv (steps/grouped-conv.ts).
  const convBlocked = (step: PlanStep): boolean => {
    const w = weights.get(step.inputs[1]);
    if (!options.blocked || w === undefined || w.shape.length !== 4) return false;
    const group = typeof step.attrs.group === "number" ? step.attrs.group : 1;
    return group === 1 ? w.shape[0] > 4 : (w.shape[1] === 1 && w.shape[0] === group) || groupedConvFits(w.shape, group);
  };

  // Residual fusion: conv index → the add (and relu) it absorbs, by their step indices. Shapes are
  // known only as the actions are listed; a broadcasting add (a residual of another shape than
  // the conv's output) is given back its steps then.
  const fused = new Map<number, { residual: string; relu: boolean; output: string; steps: readonly number[] }>();
  const skipped = new Set<number>();
  graph.steps.forEach((step, i) => {
    if (step.op !== "Add" || step.inputs.length !== 2) return;
    const [a, b] = step.inputs;
    const ia = producer.get(a) ?? -1;
    const ib = producer.get(b) ?? -1;
    const [conv, residual] = ia > ib ? [ia, b] : [ib, a];
    if (conv < 0 || !isActivation(residual)) return;
    const c = graph.steps[conv];
    if (c.op !== "Conv" || c.attrs.activation !== undefined || !convBlocked(c) || uses.get(c.output) !== 1 || fused.has(conv)) return;
    let output = step.output;
    let relu = false;
    const steps = [i];
    const next = graph.steps.findIndex((s, j) => j > i && s.inputs.includes(step.output));
    if (next >= 0 && graph.steps[next].op === "Relu" && uses.get(step.output) === 1) {
      relu = true;
      output = graph.steps[next].output;
      steps.push(next);
    }
    fused.set(conv, { residual, relu, output, steps });
    for (const k of steps) skipped.add(k);
  });

  const buffers: PlanBuffer[] = [];
  const actions: PlanAction[] = [];
  const byValue = new Map<string, { blocked?: number; plain?: number }>();
  const newBuffer = (value: string, form: "blocked" | "plain", shape: readonly number[], input?: number): number => {
    const size = form === "blocked" ? shape[0] * shape[2] * shape[3] * channelStride(shape[1]) : sizeOf(shape);
    buffers.push({ value, form, shape, size, input });
    const entry = byValue.get(value) ?? {};
    entry[form] = buffers.length - 1;
    byValue.set(value, entry);
    return buffers.length - 1;
  };
  graph.inputs.forEach((input, k) => newBuffer(input.name, "plain", input.shape, k));
  /** The buffer of `value` in `form`, converting (an action now) when it exists only in the other. */
  const read = (value: string, form: "blocked" | "plain"): number => {
    const entry = byValue.get(value);
    if (entry === undefined) throw new Error(`plan: ${value} is read before it is computed`);
    const have = entry[form];
    if (have !== undefined) return have;
    const shape = shapes.get(value)!;
    const to = newBuffer(value, form, shape);
    actions.push(form === "blocked" ? { kind: "toBlocked", from: entry.plain!, to } : { kind: "toPlain", from: entry.blocked!, to });
    return to;
  };
  const write = (value: string, form: "blocked" | "plain", shape: readonly number[]): number => {
    shapes.set(value, shape);
    return newBuffer(value, form, shape);
  };
  /**
   * A conv over a plain value with at most 4 channels (a stem over an image) and several taps
   * across reads it unfolded (`toBlockedUnfolded`): `kw·c` channels and one tap, so the kernel
   * runs one tap with a few quads of channels instead of `kw` taps of one padded quad each.
   */
  const unfold = (value: string, xs: readonly number[], w: Tensor, window: WindowGeometry) => {
    const entry = byValue.get(value);
    const [m, c, kh, kw] = w.shape;
    if (entry?.plain === undefined || entry.blocked !== undefined || c > 4 || kw < 2 || kw * c > 32) return undefined;
    const to = buffers.length;
    const [n, , h] = xs;
    buffers.push({ value, form: "blocked", shape: [n, kw * c, h, window.ow], size: n * h * window.ow * channelStride(kw * c) });
    const { sw, dw, padLeft, ow } = window;
    actions.push({ kind: "toBlocked", from: entry.plain, to, unfold: { kw, sw, dw, padLeft, ow } });
    return {
      input: to,
      weight: { shape: [m, kw * c, kh, 1], data: unfoldConvWeight(w.data, m, c, kh, kw) },
      window: { ...window, kw: 1, sw: 1, dw: 1, padLeft: 0, padRight: 0 },
    };
  };
  const formOf = (value: string): "blocked" | "plain" => (byValue.get(value)?.blocked !== undefined ? "blocked" : "plain");

  graph.steps.forEach((step, i) => {
    if (skipped.has(i)) return;
    const x = step.inputs[0];
    const xs = shapes.get(x);
    // The plan kernel the operator's registry entry names; an activation with a write-back form runs as one.
    const entry = KERNELS.get(step.op);
    const planKernel = entry?.plan;
    const kind = planKernel?.kind ?? (entry?.activation !== undefined ? "activation" : undefined);
    switch (kind) {
      case "conv": {
        const w = weight(step, 1)!;
        if (xs === undefined || xs.length !== 4 || w.shape.length !== 4) break;
        const window = windowOf(step, xs[2], xs[3], [w.shape[2], w.shape[3]]);
        const shape = [xs[0], w.shape[0], window.oh, window.ow];
        const form = convBlocked(step) ? "blocked" : "plain";
        let f = fused.get(i);
        if (f !== undefined && shapes.get(f.residual)?.join() !== shape.join()) {
          for (const k of f.steps) skipped.delete(k);
          f = undefined;
        }
        const activation = fusedActivation(step);
        const group = typeof step.attrs.group === "number" ? step.attrs.group : 1;
        const unfolded = form === "blocked" && group === 1 ? unfold(x, xs, w, window) : undefined;
        const input = unfolded?.input ?? read(x, form);
        const residual = f === undefined ? undefined : read(f.residual, form);
        const output = write(f?.output ?? step.output, form, shape);
        actions.push({
          kind: "conv",
          input,
          residual,
          output,
          weight: unfolded?.weight ?? w,
          bias: weight(step, 2),
          window: unfolded?.window ?? window,
          relu: f?.relu === true || activation?.kind === "relu",
          after: activation?.kind === "relu" ? undefined : activation,
          group,
        });
        return;
      }
      case "pool": {
        if (xs === undefined || xs.length !== 4) break;
        if (step.attrs.count_include_pad === 1) break;
        if (Array.isArray(step.attrs.dilations) && (step.attrs.dilations as number[]).some((d) => d !== 1)) break;
        const global = step.op.startsWith("Global");
        const kernel = global ? [xs[2], xs[3]] : ((step.attrs.kernel_shape as readonly number[] | undefined) ?? []);
        if (kernel.length !== 2) break;
        const window = global
          ? windowOf({ ...step, op: "Pool", attrs: { strides: [1, 1] } }, xs[2], xs[3], kernel)
          : windowOf(step, xs[2], xs[3], kernel);
        const form = options.blocked ? "blocked" : "plain";
        const input = read(x, form);
        const output = write(step.output, form, [xs[0], xs[1], window.oh, window.ow]);
        actions.push({ kind: "pool", input, output, window, average: step.op.includes("Average"), global, ceilMode: step.attrs.ceil_mode === 1 });
        return;
      }
      case "add": {
        const b = step.inputs[1];
        const bs = shapes.get(b);
        if (xs === undefined || bs === undefined || xs.join() !== bs.join()) break;
        const form = options.blocked && xs.length === 4 ? "blocked" : "plain";
        const a = read(x, form);
        const other = read(b, form);
        actions.push({ kind: "add", a, b: other, output: write(step.output, form, xs), relu: false });
        return;
      }
      case "scale": {
        // x · s, s one factor per (sample, channel) or per sample, either operand first.
        if (step.inputs.length !== 2) break;
        const shapeOf = (k: number): readonly number[] | undefined => {
          if (isActivation(step.inputs[k])) return shapes.get(step.inputs[k]);
          // A constant broadcasts from the right: `[C, 1, 1]` (ConvNeXt's layer scale) is `[1, C, 1, 1]`.
          const s = weight(step, k)?.shape;
          return s !== undefined && s.length < 4 ? [...new Array<number>(4 - s.length).fill(1), ...s] : s;
        };
        const [s0, s1] = [shapeOf(0), shapeOf(1)];
        // Operand `k` is the image (an activation) and the other its factor.
        const gates = (k: number): boolean => {
          const [image, s] = k === 0 ? [s0, s1] : [s1, s0];
          return image !== undefined && s !== undefined && image.length === 4 && s.length === 4 && isActivation(step.inputs[k]) &&
            (s[0] === 1 || s[0] === image[0]) && (s[1] === 1 || s[1] === image[1]) && s[2] === 1 && s[3] === 1;
        };
        const k = gates(0) ? 0 : gates(1) ? 1 : -1;
        if (k < 0) break;
        const [image, factor] = [step.inputs[k], step.inputs[1 - k]];
        const form = formOf(image);
        const input = read(image, form);
        const scale = isActivation(factor) ? read(factor, "plain") : { shape: [...shapeOf(1 - k)!], data: weight(step, 1 - k)!.data };
        actions.push({ kind: "scale", input, scale, output: write(step.output, form, (k === 0 ? s0 : s1)!) });
        return;
      }
      case "activation": {
        if (xs === undefined || entry?.activation === undefined) break;
        const activation = entry.activation.form(step);
        const form = formOf(x);
        const input = read(x, form);
        const output = write(step.output, form, xs);
        actions.push(activation.kind === "relu" ? { kind: "relu", input, output } : { kind: "activation", input, output, activation });
        return;
      }
      case "norm": {
        // On a blocked rank-4 value: statistics (or constants) and the affine in WebAssembly.
        if (planKernel?.kind !== "norm" || xs === undefined || xs.length !== 4 || formOf(x) !== "blocked") break;
        const norm = planKernel.norm(step, xs[1], (index) => weight(step, index));
        if (norm === undefined) break;
        actions.push({ kind: "norm", input: read(x, "blocked"), output: write(step.output, "blocked", xs), norm });
        return;
      }
      case "gather": {
        // A channel slice or shuffle, in the form its input has.
        if (planKernel?.kind !== "gather" || xs === undefined || xs.length !== 4) break;
        const channels = planKernel.channels(step, xs);
        if (channels === undefined) break;
        const form = formOf(x);
        const input = read(x, form);
        actions.push({ kind: "gather", input, output: write(step.output, form, [xs[0], channels.length, xs[2], xs[3]]), channels });
        return;
      }
      case "alias": {
        // Inference: the output is the input; share its buffers.
        if (xs === undefined) break;
        shapes.set(step.output, xs);
        byValue.set(step.output, { ...byValue.get(x) });
        return;
      }
      case "concat": {
        const parts = step.inputs.map((p) => shapes.get(p));
        const axis = typeof step.attrs.axis === "number" ? step.attrs.axis : 1;
        if (parts.some((p) => p === undefined || p.length !== 4) || axis !== 1) break;
        const channels = parts.reduce((sum, p) => sum + p![1], 0);
        const form = options.blocked && parts.every((p) => p![1] % 4 === 0) ? "blocked" : "plain";
        const inputs = step.inputs.map((p) => read(p, form));
        const s0 = parts[0]!;
        actions.push({ kind: "concat", parts: inputs, output: write(step.output, form, [s0[0], channels, s0[2], s0[3]]) });
        return;
      }
      case "flatten": {
        if (xs === undefined || (typeof step.attrs.axis === "number" && step.attrs.axis !== 1)) break;
        const shape = [xs[0], sizeOf(xs.slice(1))];
        const from = byValue.get(x)!;
        const output = write(step.output, "plain", shape);
        actions.push(
          from.plain !== undefined ? { kind: "copy", from: from.plain, to: output } : { kind: "toPlain", from: from.blocked!, to: output },
        );
        return;
      }
      case "gemm": {
        const w = weight(step, 1);
        const plainGemm = (step.attrs.transB === undefined || step.attrs.transB === 1) && step.attrs.transA !== 1;
        if (!plainGemm || xs === undefined || xs.length !== 2 || w === undefined || w.shape.length !== 2) break;
        const input = read(x, "plain");
        actions.push({
          kind: "gemm",
          input,
          output: write(step.output, "plain", [xs[0], w.shape[0]]),
          weight: w,
          bias: weight(step, 2),
          activation: fusedActivation(step),
        });
        return;
      }
    }
    // Everything else: the caller's TypeScript kernels, on plain tensors.
    if (options.fallback === undefined)
      throw new Error(`plan: no kernel for ${step.op} (${step.name ?? step.output}) and no fallback given`);
    const inputs = step.inputs.map((name, k) => (name !== "" && isActivation(name) ? read(name, "plain") : weight(step, k)));
    const probe = options.fallback(
      step,
      inputs.map((v) => (typeof v === "number" ? { shape: [...buffers[v].shape], data: new Float32Array(buffers[v].size) } : v)),
      undefined,
    );
    actions.push({ kind: "fallback", step, inputs, output: write(step.output, "plain", probe.shape) });
  });
  const outputs = graph.outputs.map((name) => read(name, "plain"));
  return { buffers, actions, outputs };
}
