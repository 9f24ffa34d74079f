/**
 * How long the front end takes on a large file: a generated 1,000-line model with more than
 * 1,000 layer instances, parsed and checked cold (the first time in this process) and warm
 * (the median of repeated runs, as the language server re-checks on every keystroke).
 *
 * Each warm run checks a slightly different text (a comment changes), as after a keystroke.
 * The benchmark runs the compiled JavaScript (`npm run bench` builds it into `.build/`), as
 * `nnc` and the language server do; tsx's on-the-fly transform would add its own overhead.
 *
 * `npm run bench` runs it twice: with node's default heap settings, and with the larger young
 * generation that `nnc lsp` runs with (`--max-semi-space-size=128`, see `bin/nnc.js`), which is
 * the figure that matters for re-checking on every keystroke.
 *
 *   npm run bench
 */
import { performance } from "node:perf_hooks";
import { parse } from "../compiler/syntax/parse.js";
import { checkSource } from "../compiler/check/check.js";
import { generateLargeModel } from "./large-model.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const text = generateLargeModel(1000);
const host = { readFile: () => undefined };
let layers = 0;
const coldParse = time(() => parse(text, "large.nn"));
const coldCheck = time(() => {
  const result = checkSource("large.nn", text, host);
  layers = result.models[0]?.layers.length ?? 0;
  if (result.diagnostics.length > 0) throw new Error(`the generated model has diagnostics: ${result.diagnostics[0].message}`);
});
const parses: number[] = [];
const checks: number[] = [];
for (let i = 0; i < 30; i++) {
  const edited = `${text}# edit ${i}\n`;
  parses.push(time(() => parse(edited, "large.nn")));
  checks.push(time(() => checkSource("large.nn", edited, host)));
}
const rows = [
  ["step", "cold ms", "warm ms (median of 30)", "warm min ms"],
  ["parse", coldParse.toFixed(1), median(parses).toFixed(1), Math.min(...parses).toFixed(1)],
  ["parse + check", coldCheck.toFixed(1), median(checks).toFixed(1), Math.min(...checks).toFixed(1)],
];
const heap = process.execArgv.find((a) => a.startsWith("--max-semi-space-size")) ?? "node's default heap settings";
console.log(`file: ${text.split("\n").length - 1} lines, ${layers} layer instances; ${heap}`);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
