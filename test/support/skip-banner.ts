/**
 * The banner a test file prints where it skips for want of an optional tool (Python with torch or
 * onnx, Chromium), so that the skip is seen in `npm test`'s output rather than only counted.
 */

/** Prints why `what` is skipped (`needs`: the tool and how its absence showed) and how to install it (`apt`: Debian's package). */
export function printSkipBanner(what: string, needs: string, apt: string): void {
  const banner = "=".repeat(78);
  console.warn(
    `\n${banner}\nSKIPPED: ${what} needs ${needs}.\n` +
      `Install it with \`apt-get install ${apt}\`; .ci/run does, and CI then requires it.\n${banner}\n`,
  );
}
