/**
 * Arithmetic on dimensions that may be symbolic. A static dimension is a number; a symbolic
 * one is a string: a model input's name (`"N"`) or a form derived from one by a layer, written
 * in the language's own arithmetic so that a reader can follow it (`"(H-1)//2+1"`,
 * `"ceil(H/2)"`, `"64*H*W"`). Derived forms are kept readable rather than simplified: two
 * symbolic dimensions are equal only when their texts are.
 */
import type { Dim, Shape } from "./types.js";

/** `[N,16,32,32]`, the notation of `nnc summary` and of diagnostics. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** True when both shapes have the same rank and equal dimensions. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Wraps a symbolic form in parentheses unless it is a bare name or number. */
function atom(d: string): string {
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    const isWord = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!isWord) return `(${d})`;
  }
  return d;
}

/** `d + c` for a constant c. */
export function addDim(d: Dim, c: number): Dim {
  if (typeof d === "number") return d + c;
  if (c === 0) return d;
  return c > 0 ? `${d}+${c}` : `${d}-${-c}`;
}

/** `d // s` (floor division by a positive constant). */
export function floorDivDim(d: Dim, s: number): Dim {
  if (typeof d === "number") return Math.floor(d / s);
  return s === 1 ? d : `${atom(d)}//${s}`;
}

/** `ceil(d / s)`, the output size of `pad: same`. */
export function ceilDivDim(d: Dim, s: number): Dim {
  if (typeof d === "number") return Math.ceil(d / s);
  return s === 1 ? d : `ceil(${atom(d)}/${s})`;
}

/** The sum of several dimensions (concatenation). */
export function sumDims(dims: readonly Dim[]): Dim {
  let total = 0;
  const symbolic: string[] = [];
  for (const d of dims) {
    if (typeof d === "number") total += d;
    else symbolic.push(atom(d));
  }
  if (symbolic.length === 0) return total;
  if (total !== 0) symbolic.push(String(total));
  return symbolic.join("+");
}

/** The product of several dimensions (flatten): static factors first, then the symbolic ones. */
export function productDims(dims: readonly Dim[]): Dim {
  let total = 1;
  const symbolic: string[] = [];
  for (const d of dims) {
    if (typeof d === "number") total *= d;
    else symbolic.push(atom(d));
  }
  if (symbolic.length === 0) return total;
  if (total !== 1) symbolic.unshift(String(total));
  return symbolic.join("*");
}

/** Elements per sample (every dimension but the batch), or NaN when one is symbolic. */
export function perSample(shape: Shape): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== "number") return NaN;
    n *= d;
  }
  return n;
}
