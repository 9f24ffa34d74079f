/**
 * A small pretty-printing document algebra in the style of Wadler's "prettier printer" (and of
 * Prettier's own `doc` module), and the printer that lays a document out within a line width.
 *
 * A `Group` is printed flat (every `line` a space, every `softline` nothing) when all of it fits
 * in the rest of the current line, and broken (every direct `line` a newline) otherwise; groups
 * nested inside a broken group decide again for themselves. A `hardline` or a `breakParent`
 * anywhere inside a group forces it, and every group around it, to break; that is how a comment
 * in the middle of an expression keeps the line break that ends it.
 *
 * Trailing comments are `LineSuffix` parts: they take no width when fitting and are written at
 * the end of the line they were emitted on, just before its newline.
 */

/** A document: text, a sequence of documents, or one of the layout nodes below. */
export type Doc = string | readonly Doc[] | Line | Indent | Align | Group | LineSuffix | BreakParent;

/**
 * A possible line break; `flat` is what it prints as when its group stays on one line. A `hard`
 * one always breaks; unless it is `kept`, it also forces the groups around it to break.
 */
export interface Line {
  readonly kind: "line";
  readonly flat: string;
  readonly hard: boolean;
  readonly kept?: boolean;
}

/** Contents whose line breaks are indented `by` more columns than the enclosing ones. */
export interface Indent {
  readonly kind: "indent";
  readonly by: number;
  readonly contents: Doc;
}

/** Contents whose line breaks are indented to the column where they begin, plus `by`. */
export interface Align {
  readonly kind: "align";
  readonly by: number;
  readonly contents: Doc;
}

/** A unit that is printed flat if it fits and broken otherwise; `broken` when forced. */
export interface Group {
  readonly kind: "group";
  readonly contents: Doc;
  readonly broken: boolean;
}

/** Text written at the end of the current line (a trailing comment). */
export interface LineSuffix {
  readonly kind: "suffix";
  readonly text: string;
}

/** Forces the groups around it to break, printing nothing itself. */
export interface BreakParent {
  readonly kind: "breakParent";
}

/** A space when flat, a newline when broken. */
export const line: Line = { kind: "line", flat: " ", hard: false };
/** Nothing when flat, a newline when broken. */
export const softline: Line = { kind: "line", flat: "", hard: false };
/** Always a newline. */
export const hardline: Line = { kind: "line", flat: "", hard: true };
/**
 * Always a newline, but one the groups around it take as the end of their line rather than as
 * a reason to break: an author's line break that the layout keeps inside a line that may stay
 * flat (`y = x -> a -> b` + newline + `-> c`).
 */
export const keptLine: Line = { kind: "line", flat: "", hard: true, kept: true };
/** See `BreakParent`. */
export const breakParent: BreakParent = { kind: "breakParent" };

/** Indents the line breaks of `contents` by `by` columns. */
export function indent(by: number, contents: Doc): Indent {
  return { kind: "indent", by, contents };
}

/** Indents the line breaks of `contents` to the column where it begins, plus `by`. */
export function align(by: number, contents: Doc): Align {
  return { kind: "align", by, contents };
}

/** Makes `contents` one group; it starts out broken when it holds a forced break. */
export function group(contents: Doc): Group {
  return { kind: "group", contents, broken: forcesBreak(contents) };
}

/** A trailing comment (or other text) for the end of the current line. */
export function lineSuffix(text: string): LineSuffix {
  return { kind: "suffix", text };
}

/**
 * True when `doc` holds a hard line or a `breakParent` outside any group of its own. Nested
 * groups have already computed this, so each part of a document is visited once in all.
 */
function forcesBreak(doc: Doc): boolean {
  if (typeof doc === "string") return false;
  if (Array.isArray(doc)) return (doc as readonly Doc[]).some(forcesBreak);
  const node = doc as Line | Indent | Align | Group | LineSuffix | BreakParent;
  switch (node.kind) {
    case "line":
      return node.hard && !node.kept;
    case "indent":
    case "align":
      return forcesBreak(node.contents);
    case "group":
      return node.broken;
    case "breakParent":
      return true;
    case "suffix":
      return false;
  }
}

type Mode = "flat" | "break";

interface Command {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
}

/** Lays `doc` out in lines of at most `width` columns where it can; lines carry no trailing blanks. */
export function printDoc(doc: Doc, width: number): string {
  const out: string[] = [];
  const suffixes: string[] = [];
  const commands: Command[] = [{ indent: 0, mode: "break", doc }];
  let column = 0;
  const newline = (indentation: number): void => {
    flushSuffixes(out, suffixes, indentation);
    trimTrailingBlanks(out);
    out.push("\n" + " ".repeat(indentation));
    column = indentation;
  };
  while (commands.length > 0) {
    const { indent: ind, mode, doc: d } = commands.pop()!;
    if (typeof d === "string") {
      out.push(d);
      column += d.length;
    } else if (Array.isArray(d)) {
      const parts = d as readonly Doc[];
      for (let i = parts.length - 1; i >= 0; i--) commands.push({ indent: ind, mode, doc: parts[i] });
    } else {
      const node = d as Line | Indent | Align | Group | LineSuffix | BreakParent;
      switch (node.kind) {
        case "line":
          if (mode === "flat" && !node.hard) {
            out.push(node.flat);
            column += node.flat.length;
          } else newline(ind);
          break;
        case "indent":
          commands.push({ indent: ind + node.by, mode, doc: node.contents });
          break;
        case "align":
          commands.push({ indent: column + node.by, mode, doc: node.contents });
          break;
        case "group": {
          const flat = !node.broken && (mode === "flat" || fits(node.contents, commands, width - column));
          commands.push({ indent: ind, mode: flat ? "flat" : "break", doc: node.contents });
          break;
        }
        case "suffix":
          suffixes.push(node.text);
          break;
        case "breakParent":
          break;
      }
    }
  }
  flushSuffixes(out, suffixes, 0);
  trimTrailingBlanks(out);
  return out.join("");
}

/**
 * Whether `next`, printed flat, and what follows it up to the next newline fit in `room`
 * columns. What follows is read in the modes it already has, so a broken group after `next`
 * ends the measured line at its first break.
 */
function fits(next: Doc, rest: readonly Command[], room: number): boolean {
  const stack: { mode: Mode; doc: Doc }[] = [{ mode: "flat", doc: next }];
  let restIndex = rest.length;
  while (room >= 0) {
    const item = stack.pop() ?? (restIndex > 0 ? rest[--restIndex] : undefined);
    if (!item) return true;
    const { mode, doc } = item;
    if (typeof doc === "string") {
      room -= doc.length;
    } else if (Array.isArray(doc)) {
      const parts = doc as readonly Doc[];
      for (let i = parts.length - 1; i >= 0; i--) stack.push({ mode, doc: parts[i] });
    } else {
      const node = doc as Line | Indent | Align | Group | LineSuffix | BreakParent;
      switch (node.kind) {
        case "line":
          if (mode === "break" || node.hard) return true;
          room -= node.flat.length;
          break;
        case "indent":
        case "align":
          stack.push({ mode, doc: node.contents });
          break;
        case "group":
          stack.push({ mode: node.broken ? "break" : mode, doc: node.contents });
          break;
        case "suffix":
        case "breakParent":
          break;
      }
    }
  }
  return false;
}

/**
 * Writes the pending trailing comments before a newline: the first after two spaces, any
 * further ones (which only an unusual comment position produces) on lines of their own, so
 * that two comments never merge into one.
 */
function flushSuffixes(out: string[], suffixes: string[], indentation: number): void {
  suffixes.forEach((text, i) => {
    if (i === 0) {
      trimTrailingBlanks(out);
      out.push("  " + text);
    } else out.push("\n" + " ".repeat(indentation) + text);
  });
  suffixes.length = 0;
}

function trimTrailingBlanks(out: string[]): void {
  while (out.length > 0) {
    const trimmed = out[out.length - 1].replace(/[ \t]+$/, "");
    if (trimmed.length > 0) {
      out[out.length - 1] = trimmed;
      return;
    }
    out.pop();
  }
}
