/**
 * The playground in Chromium: the site built once (`playground/build.ts`), served by `nnc
 * playground`'s server on a free port, one page. What the page shows is held to what nnc says in
 * this process about the same text: a mistake typed into the editor is marked where `nnc check`
 * locates it, with its message (and the panel under the editor reads as `nnc check`'s output);
 * the fix brings `nnc summary`'s table and the picture up to date; hover and completion come from
 * the language server's functions; the `--set` switch gives `nnc summary --set`'s table; the
 * TypeScript and ONNX tabs equal `nnc compile`'s files; Run (on one thread and on two) and the
 * digit pad equal Node's forward with the same weights and input within 1e-6; the examples menu
 * loads an example; Train takes the same steps as `nnc train`'s loop in Node.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { servePlayground } from "../../compiler/cli/playground.js";
import { summaryTable } from "../../compiler/cli/tables.js";
import { compileModel } from "../../compiler/emit/compile-model.js";
import { dumpOnnx } from "../../compiler/emit/onnx/text-dump.js";
import { initialWeightsFile } from "../../compiler/weights/init.js";
import { buildPlayground, PLAYGROUND_DIST } from "../../playground/build.js";
import type { Report, RunOutcome } from "../../playground/src/protocol.js";
import { runModel } from "../../playground/src/run-model.js";
import { trainModel } from "../../playground/src/training.js";
import { loadMnistSample } from "../../compiler/train/data.js";
import { PLAYGROUND_PATH, playgroundHost, Session } from "../../playground/src/session.js";
import { launchChromium, maxDifference, SKIP_CHROMIUM, warnChromiumSkipped, type LaunchedBrowser } from "../support/chromium.js";
import { runCli } from "../support/cli.js";

warnChromiumSkipped("test/playground/page.test.ts (the playground in a browser)");

const TOLERANCE = 1e-6;

/** The model the test starts from; the mistake and its fix are typed into the editor. */
const START = "model Tiny(x: [N, 1, 12, 12]) {\n  return x -> conv(4, 3) -> relu\n}\n";
const TYPED = " -> flaten -> dense(10)";

interface Hooks {
  checked(): Promise<Report>;
  editorText(): string;
  setText(text: string): Promise<Report>;
  selectTab(tab: string): void;
  run(threads?: number): Promise<RunOutcome>;
  emit(target: "ts" | "onnx" | "safetensors"): Promise<{ name: string; text: string; bytes: number[] }>;
  drawDigit(strokes: [number, number][][]): Promise<{ probabilities: number[]; predicted: number }>;
  digitImage(): number[];
  train(epochs: number, maxSteps?: number): Promise<{ losses: number[]; stopped: boolean; checkpoint: number[] }>;
}

/** Calls a `window.__nnc` hook in the page. */
function hook<K extends keyof Hooks>(page: Page, name: K, ...args: Parameters<Hooks[K]>): Promise<Awaited<ReturnType<Hooks[K]>>> {
  return page.evaluate(
    ([name, args]) => (window as unknown as { __nnc: Record<string, (...a: unknown[]) => unknown> }).__nnc[name as string](...(args as unknown[])),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<Hooks[K]>>>;
}

function model(text: string, set: string[] = []): CheckedModel {
  const result = checkSource(PLAYGROUND_PATH, text, playgroundHost, { set });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.models[0];
}

async function nncCheck(text: string): Promise<string> {
  const run = await runCli(["check", PLAYGROUND_PATH], { readFile: (path) => (path === PLAYGROUND_PATH ? text : undefined) });
  return run.stderr + run.stdout;
}

describe.skipIf(SKIP_CHROMIUM)("the playground in Chromium", () => {
  let server: Server;
  let browser: LaunchedBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await buildPlayground({ quiet: true });
    server = await servePlayground(PLAYGROUND_DIST, 0);
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => "__nnc" in window);
    await hook(page, "checked");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("is cross-origin isolated and starts with an example that checks", async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const report = await hook(page, "checked");
    expect(report.diagnostics).toEqual([]);
    expect(await page.textContent("#summary")).toBe(summaryTable(model(await hook(page, "editorText"))));
    expect(pageErrors).toEqual([]);
  });

  it("marks a typed mistake where nnc check does, with its message, and updates summary and picture after the fix", async () => {
    await hook(page, "setText", START);
    const before = await page.textContent("#graph");
    expect(before).not.toContain("dense");
    // Type the mistake at the end of the return line.
    await page.click(".cm-content");
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
    await page.keyboard.type(TYPED, { delay: 5 });
    await page.keyboard.press("Escape");
    const broken = await hook(page, "checked");
    const text = await hook(page, "editorText");
    expect(text).toContain("-> flaten -> dense(10)");

    const expected = checkSource(PLAYGROUND_PATH, text, playgroundHost, { allModels: true }).diagnostics;
    expect(expected.length).toBeGreaterThan(0);
    expect(broken.diagnostics.map((d) => [d.code, d.message, d.from, d.to])).toEqual(expected.map((d) => [d.code, d.message, d.span.start, d.span.end]));
    expect(text.slice(broken.diagnostics[0].from, broken.diagnostics[0].to)).toBe("flaten");
    // CodeMirror marks exactly that range, and the panel reads as nnc check's output.
    await page.waitForSelector(".cm-lintRange-error");
    expect(await page.textContent(".cm-lintRange-error")).toBe("flaten");
    expect(await page.textContent("#problems")).toBe(await nncCheck(text));
    expect(await page.getAttribute("#model-panel", "class")).toContain("stale");

    // The fix: the missing `t` of flatten, typed in place.
    await page.keyboard.press("End");
    for (let i = 0; i < " -> dense(10)".length + "ten".length; i++) await page.keyboard.press("ArrowLeft");
    await page.keyboard.type("t");
    await page.keyboard.press("Escape");
    const fixed = await hook(page, "checked");
    const fixedText = await hook(page, "editorText");
    expect(fixedText).toBe(START.replace("relu\n", `relu${TYPED.replace("flaten", "flatten")}\n`));
    expect(fixed.diagnostics).toEqual([]);
    expect(await page.locator(".cm-lintRange-error").count()).toBe(0);
    expect(await page.textContent("#problems")).toBe(await nncCheck(fixedText));
    expect(await page.textContent("#summary")).toBe(summaryTable(model(fixedText)));
    const picture = await page.textContent("#graph");
    for (const layer of model(fixedText).layers) expect(picture).toContain(layer.path);
    expect(picture).toContain("dense");
  });

  it("hovers and completes with the language server's answers", async () => {
    const text = await hook(page, "setText", START).then(() => hook(page, "editorText"));
    const session = new Session();
    session.update(1, text, { set: [] });
    const offset = text.indexOf("conv") + 1;
    const expected = session.hover(offset);
    expect(expected?.markdown).toContain("[N,1,12,12] → [N,4,10,10]");
    await page.mouse.move(0, 0);
    await page.locator(".cm-line span").filter({ hasText: /^conv$/ }).hover();
    const tooltip = page.locator(".cm-tooltip-hover");
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toContain("[N,1,12,12] → [N,4,10,10]");

    await page.keyboard.press("Escape");
    await page.click(".cm-content");
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
    await page.keyboard.type(" -> glob");
    const options = page.locator(".cm-tooltip-autocomplete li");
    await options.first().waitFor();
    expect(await options.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("global_avgpool")]));
    await page.keyboard.press("Escape");
  });

  it("gives nnc summary --set's table for the norm switch", async () => {
    await page.selectOption("#examples", "resnet20.nn");
    const text = await hook(page, "checked").then(() => hook(page, "editorText"));
    expect(text).toBe(readFileSync("examples/resnet20.nn", "utf8"));
    await page.selectOption('[data-switch="norm"]', "instance");
    await page.waitForFunction(() => document.querySelector("#command")?.textContent?.includes("norm=instance"));
    await hook(page, "checked");
    await page.waitForFunction((want) => document.querySelector("#summary")?.textContent === want, summaryTable(model(text, ["norm=instance"])));
    expect(await page.textContent("#summary")).not.toBe(summaryTable(model(text)));
  });

  it("shows the TypeScript module and the ONNX dump that nnc compile writes", async () => {
    await page.selectOption("#examples", "lenet.nn");
    const text = await hook(page, "checked").then(() => hook(page, "editorText"));
    expect(text).toBe(readFileSync("examples/lenet.nn", "utf8"));
    const ts = await compileModel({ path: PLAYGROUND_PATH, text, host: playgroundHost });
    const onnx = await compileModel({ path: PLAYGROUND_PATH, text, host: playgroundHost, target: "onnx" });
    await page.click("#tab-button-ts");
    await page.waitForFunction(() => (document.querySelector("#ts-text")?.textContent ?? "").length > 0, undefined, { timeout: 60_000 });
    expect(await page.textContent("#ts-text")).toBe(ts.files.find((f) => f.name === "model.ts")!.contents);
    await page.click("#tab-button-onnx");
    await page.waitForFunction(() => (document.querySelector("#onnx-text")?.textContent ?? "").length > 0);
    expect(await page.textContent("#onnx-text")).toBe(dumpOnnx(onnx.files[0].contents as Uint8Array));
    const weights = await hook(page, "emit", "safetensors");
    expect(weights.name).toBe("model.safetensors");
    expect(Uint8Array.from(weights.bytes)).toEqual(initialWeightsFile(model(text), 0));
  }, 90_000);

  it("runs the model as Node does, within 1e-6", async () => {
    await page.selectOption("#examples", "resnet20.nn");
    const text = await hook(page, "checked").then(() => hook(page, "editorText"));
    const outcome = await hook(page, "run");
    const node = runModel(model(text));
    expect(outcome.engine).toBe("wasm");
    expect(outcome.outputShape).toEqual([1, 10]);
    expect(maxDifference(Object.values(outcome.input), node.input)).toBe(0);
    expect(maxDifference(Object.values(outcome.output), node.output)).toBeLessThan(TOLERANCE);
    expect(await page.textContent("#run-output")).toContain("output [1, 10]");
    // Two threads: the page is cross-origin isolated, so the plan's workers share its memory.
    const threaded = await hook(page, "run", 2);
    expect(threaded.threads).toBe(2);
    expect(maxDifference(Object.values(threaded.output), node.output)).toBeLessThan(TOLERANCE);
    expect(await page.textContent("#run-output")).toContain("WebAssembly plan on 2 threads");
  }, 60_000);

  it("classifies a drawn digit with the trained LeNet as Node does", async () => {
    await page.click("#tab-button-digits");
    const digit = await hook(page, "drawDigit", [[[140, 40], [140, 240]]]);
    const image = Float32Array.from(await hook(page, "digitImage"));
    const node = runModel(model(readFileSync("examples/lenet.nn", "utf8")), { checkpoint: readFileSync(join("playground", "lenet.safetensors")), input: image });
    expect(maxDifference(digit.probabilities, [...node.output].map(Math.exp))).toBeLessThan(TOLERANCE);
    expect(digit.predicted).toBe(1);
    expect(await page.textContent("#prediction")).toBe("1");
    expect(pageErrors).toEqual([]);
  });

  it("trains LeNet in the page step for step as nnc train's loop does in Node", async () => {
    const steps = 12;
    const page_ = await hook(page, "train", 1, steps);
    const lenet = model(readFileSync("examples/lenet.nn", "utf8"));
    const losses: number[] = [];
    const node = await trainModel(lenet, loadMnistSample(), 1, { onStep: (p) => losses.push(p.loss), onEpoch: () => undefined, shouldStop: () => losses.length >= steps });
    expect(page_.stopped).toBe(true);
    expect(page_.losses).toHaveLength(steps);
    expect(maxDifference(page_.losses, losses)).toBeLessThan(1e-5);
    const a = new Float32Array(Uint8Array.from(page_.checkpoint).buffer.slice(-4 * 850));
    const b = new Float32Array(node.checkpoint.slice().buffer.slice(-4 * 850));
    expect(maxDifference(a, b)).toBeLessThan(1e-5);
    expect(await page.isChecked("#use-page-weights")).toBe(true);
  }, 60_000);
});
