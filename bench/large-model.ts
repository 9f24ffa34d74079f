/**
 * A generated large model for the front-end benchmarks: a residual block, then one pipeline
 * statement per line, more than one layer instance per line.
 */
/** A model of `lines` lines: a residual block, then one pipeline statement per line. */
export function generateLargeModel(lines: number): string {
  const out = [
    "# generated: a long chain of residual blocks and pipelines",
    "block Res(x, c: int) {",
    "  y = x -> conv(c, 3, pad: 1, bias: false) -> norm -> relu -> conv(c, 3, pad: 1, bias: false) -> norm",
    "  return (x + y) -> relu",
    "}",
    "model Large(x: [N, 16, 8, 8]) {",
    "  use norm = batch(momentum: 0.1)",
    "  h0 = x -> conv(16, 3, pad: 1) -> norm -> relu",
  ];
  let i = 0;
  while (out.length < lines - 2) {
    i++;
    const stage = i % 2 === 0 ? "Res(16)" : "conv(16, 3, pad: 1) -> norm -> relu";
    out.push(`  h${i} = h${i - 1} -> ${stage}`);
  }
  out.push(`  return h${i} -> global_avgpool -> flatten -> dense(10)`, "}");
  return out.join("\n") + "\n";
}
