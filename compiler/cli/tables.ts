/**
 * The text outputs of `nnc params` and `nnc summary`. Both read only the checked model, so
 * they agree with each other and with every other consumer of it.
 */
import type { CheckedModel, Shape } from "../check/model.js";

/** `[N,16,32,32]`: the shape notation of `nnc params`, without spaces. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** `nnc params`: one `name<TAB>shape` line per parameter and buffer, in declaration order. */
export function paramsListing(model: CheckedModel): string {
  return model.params.map((p) => `${p.name}\t${formatShape(p.shape)}\n`).join("");
}

/** Learnable and buffer element counts of a model (PyTorch's `parameters()` and buffers). */
export function parameterCounts(model: CheckedModel): { learnable: number; buffers: number } {
  let learnable = 0;
  let buffers = 0;
  for (const p of model.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.buffer) buffers += n;
    else learnable += n;
  }
  return { learnable, buffers };
}

/** `1,234,567` */
export function groupThousands(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "?";
}

/** FLOPs in engineering units: `884.7K`, `40.55M`, `1.82G`. */
export function formatFlops(n: number): string {
  if (!Number.isFinite(n)) return "?";
  const units: [number, string][] = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]];
  for (const [scale, unit] of units) {
    if (n >= scale) return `${(n / scale).toFixed(2)}${unit}`;
  }
  return String(Math.round(n));
}

/**
 * `nnc summary`: one row per layer instance (path, kind, output shape, learnable
 * parameters, FLOPs per sample), then the totals.
 */
export function summaryTable(model: CheckedModel): string {
  const header = ["layer", "kind", "output", "params", "FLOPs"];
  const rows = model.layers.map((layer) => {
    const learnable = layer.params.filter((p) => !p.buffer).reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
    return [layer.path, layer.kind, formatShape(model.values[layer.output].shape), groupThousands(learnable), formatFlops(layer.flops)];
  });
  const counts = parameterCounts(model);
  const totalFlops = model.layers.reduce((sum, l) => sum + l.flops, 0);
  const footer = ["total", `${model.layers.length} layers`, "", groupThousands(counts.learnable), formatFlops(totalFlops)];
  const all = [header, ...rows, footer];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  // Text columns align left, numbers right, as in a spreadsheet.
  const line = (r: string[]) =>
    r.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ").trimEnd() + "\n";
  const rule = widths.map((w) => "-".repeat(w)).join("  ") + "\n";
  const inputs = model.inputs.map((i) => `${i.name}: ${formatShape(model.values[i.value].shape)}`).join(", ");
  return (
    `model ${model.name}(${inputs})\n` +
    line(header) +
    rule +
    rows.map(line).join("") +
    rule +
    line(footer) +
    `buffers (running statistics): ${groupThousands(counts.buffers)} values\n` +
    `FLOPs are per sample: a multiply-accumulate counts as 2.\n`
  );
}
