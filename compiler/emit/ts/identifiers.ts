/**
 * Identifiers and literals for generated code. Names from the source (layer paths and labels,
 * model and input names) reach the emitted module in two forms only: as sanitized identifiers
 * from an `IdentifierTable`, which cannot be keywords, shadow a module-level name or collide with
 * one another; and as string literals written by `stringLiteral`, which escapes everything
 * JSON escapes plus the two line terminators JSON leaves alone. Neither form can break out of its
 * place in the code, whatever the name holds.
 */

/** JavaScript's reserved words, strict-mode and contextual ones, and the globals code relies on. */
const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await async of get set as from type " +
    "declare namespace module abstract readonly keyof infer is asserts unique satisfies accessor any unknown never " +
    "object number string boolean symbol bigint undefined NaN Infinity eval arguments globalThis constructor " +
    "prototype __proto__ Object Array Math Number String JSON Error TypeError Promise Float32Array Uint8Array " +
    "Record Map Set URL fetch process require exports console"
  ).split(" "),
);

/** Hands out unique, safe identifiers for names, stable for equal input. */
export class IdentifierTable {
  private readonly taken: Set<string>;
  private readonly assigned = new Map<string, string>();

  /** `reserved`: the module-level names that generated locals must not shadow. */
  constructor(reserved: Iterable<string> = []) {
    this.taken = new Set([...RESERVED, ...reserved]);
  }

  /** Marks `identifier` as used (a module-level declaration). */
  reserve(identifier: string): void {
    this.taken.add(identifier);
  }

  /** The identifier for `name`, the same one every time it is asked for. */
  get(name: string): string {
    const known = this.assigned.get(name);
    if (known !== undefined) return known;
    const base = sanitize(name);
    let id = base;
    for (let k = 2; this.taken.has(id); k++) id = `${base}_${k}`;
    this.taken.add(id);
    this.assigned.set(name, id);
    return id;
  }
}

/** `name` made into an identifier: dots and every other character outside [A-Za-z0-9_] become `_`. */
export function sanitize(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (id === "") return "_";
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** A double-quoted string literal of `text`, safe anywhere an expression may stand. */
export function stringLiteral(text: string): string {
  return JSON.stringify(text).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** `text` made safe for a `//` comment: one line, no line terminators, at most `max` characters. */
export function commentText(text: string, max = 100): string {
  const line = text.replace(/[\r\n\u2028\u2029\s]+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The shortest decimal literal that reads back as the same float32 as `value`. */
export function float32Literal(value: number): string {
  const f = Math.fround(value);
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "Infinity" : "-Infinity";
  if (Object.is(f, -0)) return "-0";
  for (let digits = 1; digits <= 9; digits++) {
    const text = String(Number(f.toPrecision(digits)));
    if (Math.fround(Number(text)) === f) return text;
  }
  return String(f);
}
