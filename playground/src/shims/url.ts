/**
 * `node:url` in the browser: the two conversions the language server's positions use. The
 * playground's document is not a file, so they only ever see the page's own URIs.
 */

/** The path of a `file:` URL. */
export function fileURLToPath(url: string | URL): string {
  return decodeURIComponent(new URL(url).pathname);
}

/** The `file:` URL of a path. */
export function pathToFileURL(path: string): URL {
  return new URL(`file://${encodeURI(path)}`);
}
