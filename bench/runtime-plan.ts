/**
 * nnc's plan executor (`compilePlan` of `runtime/fast`) on a benchmark model: the model's nodes
 * become the IR steps the code generator would hand over (`Conv` with its fused activation,
 * `Add` + `Relu`, pools, `Flatten`, `Gemm`, `LogSoftmax`), compiled once for batch `n`.
 */
import { logSoftmax, type Tensor } from "../runtime/index.js";
import { compilePlan, type Plan, type PlanStep } from "../runtime/fast/index.js";
import { randomWeights, type BenchModel } from "./runtime-models.js";

/** The model as plan steps over values `v0` (the input) … `vK`, with its weights by name. */
export function planSteps(model: BenchModel): { steps: PlanStep[]; weights: Map<string, Tensor> } {
  const random = randomWeights(model);
  const weights = new Map<string, Tensor>();
  const steps: PlanStep[] = [];
  const v = (i: number): string => `v${i}`;
  model.nodes.forEach((node, i) => {
    const activation: Record<string, string> =
      "activation" in node && node.activation !== undefined ? { activation: node.activation === "relu" ? "Relu" : "Tanh" } : {};
    const w = random.get(i);
    if (w !== undefined) {
      weights.set(`w${i}`, { shape: w.wshape, data: w.weight });
      weights.set(`b${i}`, { shape: [w.bias.length], data: w.bias });
    }
    switch (node.op) {
      case "input":
        return;
      case "conv": {
        const { kernel: k, stride: s, pad: p } = node;
        steps.push({ op: "Conv", inputs: [v(node.input), `w${i}`, `b${i}`], output: v(i), attrs: { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], ...activation } });
        return;
      }
      case "add_relu":
        steps.push({ op: "Add", inputs: [v(node.a), v(node.b)], output: `${v(i)}.sum`, attrs: {} });
        steps.push({ op: "Relu", inputs: [`${v(i)}.sum`], output: v(i), attrs: {} });
        return;
      case "avgpool":
        steps.push({ op: "AveragePool", inputs: [v(node.input)], output: v(i), attrs: { kernel_shape: [node.kernel, node.kernel], strides: [node.kernel, node.kernel] } });
        return;
      case "maxpool": {
        const { kernel: k, stride: s, pad: p } = node;
        steps.push({ op: "MaxPool", inputs: [v(node.input)], output: v(i), attrs: { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p] } });
        return;
      }
      case "global_avgpool":
        steps.push({ op: "GlobalAveragePool", inputs: [v(node.input)], output: v(i), attrs: {} });
        return;
      case "dense": {
        const flat = `${v(node.input)}.flat`;
        if (!steps.some((s) => s.output === flat)) steps.push({ op: "Flatten", inputs: [v(node.input)], output: flat, attrs: { axis: 1 } });
        steps.push({ op: "Gemm", inputs: [flat, `w${i}`, `b${i}`], output: v(i), attrs: { transB: 1, ...activation } });
        return;
      }
      case "log_softmax":
        steps.push({ op: "LogSoftmax", inputs: [v(node.input)], output: v(i), attrs: { axis: 1 } });
        return;
    }
  });
  return { steps, weights };
}

/** Compiles the model for batch `n` on `threads` threads; `LogSoftmax` runs the TypeScript kernel. */
export function nncPlan(model: BenchModel, n: number, threads: number): Plan {
  const { steps, weights } = planSteps(model);
  const [c, h, w] = model.shapes[0];
  return compilePlan(
    { inputs: [{ name: "v0", shape: [n, c, h, w] }], outputs: [steps[steps.length - 1].output], steps },
    weights,
    { threads, fallback: (step, inputs, out) => logSoftmax(inputs[0]!, out) },
  );
}
