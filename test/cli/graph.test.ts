/**
 * `nnc graph`: the picture of a model's layer graph as SVG (golden, layered layout) or DOT
 * (golden), written to stdout or to `-o` (the extension picks the format), and a clean error
 * for a file that does not check.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectBaseline } from "../support/baseline.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../emit/support.js";

/** Every box and edge of an SVG picture, counted by its element. */
function countOf(svg: string, element: string): number {
  return svg.split(`<${element} `).length - 1;
}

describe("nnc graph", () => {
  it("draws the MLP as SVG: one box per input, layer and output, one edge per tensor read", async () => {
    const run = await runCli(["graph", "examples/mlp.nn"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(run.stdout.trimEnd()).toMatch(/<\/svg>$/);
    // 1 input + 14 layers + 1 output boxes; 15 edges in a straight pipeline.
    expect(countOf(run.stdout, "rect")).toBe(16);
    expect(countOf(run.stdout, "path") - 1).toBe(15); // less the arrow head's path
    expectBaseline("test/baselines/graph/mlp.svg", run.stdout);
  });

  it("lays Inception's parallel branches side by side (DOT golden)", async () => {
    const run = await runCli(["graph", "examples/inception.nn", "--format", "dot"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"layer:2" -> "layer:3";');
    expectBaseline("test/baselines/graph/inception.dot", run.stdout);
    const svg = (await runCli(["graph", "examples/inception.nn"])).stdout;
    const columns = new Set([...svg.matchAll(/<rect x="(\d+)"/g)].map((m) => m[1]));
    expect(columns.size).toBe(3);
  });

  it("writes -o, choosing DOT for a .dot file", async () => {
    const dir = tempDir("graph");
    expect((await runCli(["graph", "examples/lenet.nn", "-o", join(dir, "lenet.svg")])).code).toBe(0);
    expect(readFileSync(join(dir, "lenet.svg"), "utf8")).toContain("model LeNet (13 layers)");
    expect((await runCli(["graph", "examples/lenet.nn", "-o", join(dir, "lenet.dot")])).code).toBe(0);
    expect(readFileSync(join(dir, "lenet.dot"), "utf8")).toMatch(/^digraph "LeNet" \{/);
  });

  it("reports a file that does not check, and an unwritable output, without a picture", async () => {
    const bad = await runCli(["graph", "test/cases/errors/E0202.nn"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("error[E0202]");
    const unwritable = await runCli(["graph", "examples/lenet.nn", "-o", "/nonexistent/dir/x.svg"]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/^nnc: error: cannot write '\/nonexistent\/dir\/x.svg'/);
  });
});
