/**
 * Screenshots of the playground for docs/playground.md (`npm run playground:screenshots`): the
 * site is built, served by `nnc playground`'s server and driven in headless Chromium
 * (`/usr/bin/chromium`, or NNC_CHROMIUM), and four views are written to
 * `docs/images/playground-*.png`: a mistake with its diagnostic, the summary and graph, the
 * generated TypeScript, and a drawn digit classified by LeNet after an epoch of training in the
 * page.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { servePlayground } from "../compiler/cli/playground.js";
import { buildPlayground, PLAYGROUND_DIST } from "../playground/build.js";
import { launchChromium } from "../test/support/chromium.js";

const OUT = "docs/images";

type Hooks = Record<string, (...args: unknown[]) => unknown>;

function call(page: Page, name: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(([name, args]) => (window as unknown as { __nnc: Hooks }).__nnc[name as string](...(args as unknown[])), [name, args] as const);
}

async function shoot(page: Page, name: string): Promise<void> {
  const path = join(OUT, `playground-${name}.png`);
  await page.screenshot({ path });
  console.log(`wrote ${path}`);
}

await buildPlayground({ quiet: true });
const server = await servePlayground(PLAYGROUND_DIST, 0);
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
const browser = await launchChromium();
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 860 });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => "__nnc" in window);
  await call(page, "checked");

  // The summary table and the picture of ResNet-20.
  await shoot(page, "summary");

  // A mistake typed into ResNet-20: flatten misspelt, marked where nnc check puts it.
  const lines = String(await call(page, "editorText")).split("\n");
  const line = lines.findIndex((l) => l.includes("-> flatten"));
  await page.click(".cm-content");
  await page.keyboard.press("Control+Home");
  for (let i = 0; i < line; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("End");
  for (let i = lines[line].indexOf("flatten") + "flat".length; i < lines[line].length; i++) await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Escape");
  await call(page, "checked");
  await page.waitForSelector(".cm-lintRange-error");
  await page.locator(".cm-lintRange-error").first().hover();
  await page.waitForSelector(".cm-tooltip-lint, .cm-tooltip-hover");
  await page.waitForTimeout(300);
  await shoot(page, "diagnostic");

  // The generated TypeScript of LeNet.
  await page.mouse.move(0, 0);
  await page.selectOption("#examples", "lenet.nn");
  await call(page, "checked");
  await page.click("#tab-button-ts");
  await page.waitForFunction(() => (document.querySelector("#ts-text")?.textContent ?? "").length > 0, undefined, { timeout: 120_000 });
  await shoot(page, "typescript");

  // LeNet trained for one epoch in the page, then a 7 drawn on the digit pad.
  await page.click("#tab-button-digits");
  await call(page, "train", 1);
  await call(page, "drawDigit", [
    [
      [70, 60],
      [200, 60],
      [180, 110],
      [130, 240],
    ],
    [
      [110, 150],
      [190, 150],
    ],
  ]);
  await shoot(page, "digits");
} finally {
  await browser.close();
  server.close();
}
