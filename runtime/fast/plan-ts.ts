/**
 * The plan's TypeScript path: the analysed actions over plain buffers with the kernels of
 * `nnc/runtime`, where WebAssembly is unavailable or turned off (`wasm: false`). The WebAssembly
 * path runs {@link plainStep} too, for the actions it has no kernel for (plain values, copies
 * and the fallback).
 */
import { applyActivation, type FusedActivation } from "../linalg/epilogue.js";
import { add } from "../kernels/add.js";
import { averagePool } from "../kernels/average-pool.js";
import { concat } from "../kernels/concat.js";
import { conv } from "../kernels/conv.js";
import { gemm } from "../kernels/gemm.js";
import { groupNormalization } from "../kernels/group-normalization.js";
import { batchNormalization } from "../kernels/batch-normalization.js";
import { channelNormalization } from "../kernels/channel-normalization.js";
import { filterResponseNormalization } from "../kernels/filter-response-normalization.js";
import { maxPool } from "../kernels/max-pool.js";
import { mul } from "../kernels/mul.js";
import { relu } from "../kernels/relu.js";
import type { Tensor } from "../tensor.js";
import { arena, liveRanges, PlainTensors } from "./plan-arenas.js";
import type { FallbackKernel, PlanAction, PlanLayout } from "./plan-graph.js";
import type { CompiledSteps, PlanOptions } from "./plan.js";

/**
 * The TypeScript kernels the plan runs where it has no WebAssembly kernel, imported by name from
 * their files (not from `../index.js`, which re-exports this file's users) so that `--standalone`
 * can inline them.
 */
const tsKernels = {
  add, averagePool, batchNormalization, channelNormalization, concat, conv, filterResponseNormalization, gemm, groupNormalization, maxPool, mul, relu,
};

/** The TypeScript path for `layout`: every action on plain buffers in one arena. */
export function compileTs(layout: PlanLayout, options: PlanOptions): CompiledSteps {
  const ranges = liveRanges(layout);
  const plain = arena(layout, ranges, "plain");
  const tensors = new PlainTensors(layout, plain.offsets, plain.total);
  const t = (b: number): Tensor => tensors.tensor(layout, b);
  const weightBytes = layout.actions.reduce(
    (sum, a) => sum + (a.kind === "conv" || a.kind === "gemm" ? a.weight.data.byteLength + (a.bias?.data.byteLength ?? 0) : 0),
    0,
  );
  return {
    engine: "ts",
    threads: 1,
    tensors,
    steps: layout.actions.map((action) => plainStep(action, t, layout, options.fallback)),
    memory: { weights: weightBytes, activations: plain.total * 4, heap: 0, total: plain.total * 4 },
    close() {},
  };
}

/** An action on plain buffers with the TypeScript kernels of `nnc/runtime`. */
export function plainStep(action: PlanAction, t: (b: number) => Tensor, layout: PlanLayout, fallback: FallbackKernel | undefined): () => void {
  switch (action.kind) {
    case "conv": {
      const { window: w, residual, relu, after } = action;
      const attributes = {
        strides: [w.sh, w.sw] as [number, number],
        pads: [w.padTop, w.padLeft, w.padBottom, w.padRight] as [number, number, number, number],
        dilations: [w.dh, w.dw] as [number, number],
        group: action.group,
      };
      const activation: FusedActivation | undefined = relu ? { kind: "relu" } : after;
      if (residual === undefined)
        return () => void tsKernels.conv(t(action.input), action.weight, action.bias, { ...attributes, activation }, t(action.output).data);
      return () => {
        const y = tsKernels.conv(t(action.input), action.weight, action.bias, attributes, t(action.output).data);
        tsKernels.add(y, t(residual), y.data);
        if (relu) tsKernels.relu(y, y.data);
      };
    }
    case "pool": {
      const { window: w } = action;
      const attributes = {
        kernelShape: [w.kh, w.kw] as [number, number],
        strides: [w.sh, w.sw] as [number, number],
        pads: [w.padTop, w.padLeft, w.padBottom, w.padRight] as [number, number, number, number],
        ceilMode: action.ceilMode,
      };
      const kernel = action.average ? tsKernels.averagePool : tsKernels.maxPool;
      return () => void kernel(t(action.input), attributes, t(action.output).data);
    }
    case "add":
      return () => {
        const y = tsKernels.add(t(action.a), t(action.b), t(action.output).data);
        if (action.relu) tsKernels.relu(y, y.data);
      };
    case "scale": {
      const scale = action.scale;
      return () => void tsKernels.mul(t(action.input), typeof scale === "number" ? t(scale) : scale, t(action.output).data);
    }
    case "relu":
      return () => void tsKernels.relu(t(action.input), t(action.output).data);
    case "activation":
      return () => {
        const out = t(action.output).data;
        out.set(t(action.input).data.subarray(0, out.length));
        applyActivation(out, 0, 1, out.length, out.length, action.activation);
      };
    case "concat":
      return () => void tsKernels.concat(action.parts.map(t), { axis: 1 }, t(action.output).data);
    case "gather": {
      // Whole channel planes of NCHW, copied in the output's channel order.
      const [n, c, h, w] = layout.buffers[action.input].shape;
      const [plane, k] = [h * w, action.channels.length];
      return () => {
        const [x, y] = [t(action.input).data, t(action.output).data];
        for (let s = 0; s < n; s++)
          action.channels.forEach((ch, j) => y.set(x.subarray((s * c + ch) * plane, (s * c + ch + 1) * plane), (s * k + j) * plane));
      };
    }
    case "gemm":
      return () => void tsKernels.gemm(t(action.input), action.weight, action.bias, { activation: action.activation }, t(action.output).data);
    case "copy":
      return () => t(action.to).data.set(t(action.from).data.subarray(0, layout.buffers[action.to].size));
    case "norm": {
      const norm = action.norm;
      const [x, y] = [(): Tensor => t(action.input), (): Float32Array => t(action.output).data];
      const { epsilon } = norm;
      if (norm.form === "group") return () => void tsKernels.groupNormalization(x(), norm.scale, norm.bias, { groups: norm.groups, epsilon }, y());
      if (norm.form === "frn") return () => void tsKernels.filterResponseNormalization(x(), norm.scale, norm.bias, norm.tau, { epsilon }, y());
      if (norm.form === "pixel") return () => void tsKernels.channelNormalization(x(), norm.scale, norm.bias, { epsilon }, y());
      return () => void tsKernels.batchNormalization(x(), norm.scale, norm.bias, norm.mean, norm.variance, { epsilon }, y());
    }
    case "fallback": {
      const arg = (i: number | Tensor | undefined): Tensor | undefined => (typeof i === "number" ? t(i) : i);
      return () => {
        const out = t(action.output).data;
        const result = fallback!(action.step, action.inputs.map(arg), out);
        if (result.data !== out) out.set(result.data.subarray(0, out.length));
      };
    }
    case "toBlocked":
    case "toPlain":
      throw new Error("plan: a conversion on the TypeScript path");
  }
}
