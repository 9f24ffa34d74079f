/**
 * Chromium for the browser tests, driven by playwright-core. Debian's `chromium`
 * (`/usr/bin/chromium`, override with NNC_CHROMIUM) must be installed; where it is not, the
 * tests skip with a banner, since `npm test` must work without a browser. `.ci/run` installs
 * Debian's chromium and sets NNC_REQUIRE_CHROMIUM=1, and then a missing browser fails the tests
 * instead of skipping them.
 */
import { existsSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { printSkipBanner } from "./skip-banner.js";

export const CHROMIUM = process.env.NNC_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_REQUIRED = process.env.NNC_REQUIRE_CHROMIUM === "1";
/** Whether the browser tests can run here. */
export const CHROMIUM_AVAILABLE = existsSync(CHROMIUM);
/** True where the browser tests skip (no Chromium, and CI did not ask for it). */
export const SKIP_CHROMIUM = !CHROMIUM_AVAILABLE && !CHROMIUM_REQUIRED;

let warned = false;
/** Prints, once per test file, why the browser tests are skipped. */
export function warnChromiumSkipped(what: string): void {
  if (!SKIP_CHROMIUM || warned) return;
  warned = true;
  printSkipBanner(what, `Chromium (${CHROMIUM} is not installed)`, "chromium");
}

/**
 * The flags a headless Chromium needs on a machine with a closed network and no GPU: without the
 * background-networking ones it keeps trying to reach Google's hosts.
 */
const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** A headless Chromium with its own empty profile, removed when the browser closes. */
export interface LaunchedBrowser {
  /** Open pages with `context.newPage()`. */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium; throws (with the reason) where it is required but missing. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!CHROMIUM_AVAILABLE) throw new Error(`Chromium is required here (NNC_REQUIRE_CHROMIUM=1), but ${CHROMIUM} does not exist`);
  const profile = mkdtempSync(join(tmpdir(), "nnc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The largest absolute difference between numbers a page computed and Node's (after checking
 * that there are as many).
 */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`${a.length} numbers against ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
