/**
 * Conversions between the front end's offsets and paths and LSP's positions and URIs. Only the
 * language server knows about lines, columns (UTF-16 code units, as JavaScript strings count
 * them) and URIs; everything below it speaks offsets and paths.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Position, Range } from "vscode-languageserver";
import type { SourceFile, Span } from "../syntax/span.js";

/** The front end's path for a document URI: a file path for `file:` URIs, else the URI itself. */
export function uriToPath(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

/** The URI of a front-end path (the inverse of `uriToPath`). */
export function pathToUri(path: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path) ? path : pathToFileURL(path).href;
}

/** The LSP position of an offset in `source`. */
export function positionAt(source: SourceFile, offset: number): Position {
  const { line, col } = source.lineCol(offset);
  return { line, character: col };
}

/** The offset of an LSP position in `source`, clamped to the text (any position is accepted). */
export function offsetAt(source: SourceFile, position: Position): number {
  const line = Number.isFinite(position?.line) ? position.line : 0;
  const col = Number.isFinite(position?.character) ? position.character : 0;
  return source.offsetAt({ line, col });
}

/** The LSP range of a span in `source`. */
export function spanToRange(source: SourceFile, span: Span): Range {
  return { start: positionAt(source, span.start), end: positionAt(source, span.end) };
}
