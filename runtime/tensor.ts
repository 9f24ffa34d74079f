/**
 * The one value type of the runtime: a dense, row-major float32 tensor.
 *
 * A tensor is any object with a `shape` and a `data` array whose length is the product of the
 * shape, so a caller may pass a plain literal; kernels never look for a class or a prototype.
 */

/** A dense row-major float32 tensor. Images are NCHW, feature batches `[N, F]`. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** The number of elements of a tensor with this shape (1 for a scalar's empty shape). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/**
 * Makes a tensor of `shape`, over `data` when given (not copied), else zero-filled.
 * Throws when a dimension is not a non-negative integer or the data has the wrong length.
 */
export function tensor(shape: readonly number[], data?: Float32Array): Tensor {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new Error(`invalid shape [${shape.join(", ")}]: dimensions must be non-negative integers`);
    }
  }
  const size = sizeOf(shape);
  if (data === undefined) return { shape: [...shape], data: new Float32Array(size) };
  if (data.length !== size) {
    throw new Error(`shape [${shape.join(", ")}] needs ${size} values, got ${data.length}`);
  }
  return { shape: [...shape], data };
}

/**
 * Checks that `t` has the expected rank and dimensions; `null` in `expected` accepts any size.
 * `what` names the tensor in the message, e.g. `conv: weight`.
 */
export function assertShape(t: Tensor, expected: readonly (number | null)[], what: string): void {
  const ok =
    t.shape.length === expected.length && expected.every((dim, i) => dim === null || dim === t.shape[i]);
  if (!ok) {
    const want = expected.map((dim) => (dim === null ? "?" : String(dim))).join(", ");
    throw new Error(`${what}: expected shape [${want}], got [${t.shape.join(", ")}]`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new Error(`${what}: shape [${t.shape.join(", ")}] does not match its ${t.data.length} values`);
  }
}

/** Checks that `t` has one of the given ranks, and that its data length matches its shape. */
export function assertRank(t: Tensor, ranks: readonly number[], what: string): void {
  if (!ranks.includes(t.shape.length)) {
    const want = ranks.join(" or ");
    throw new Error(`${what}: expected rank ${want}, got rank ${t.shape.length} [${t.shape.join(", ")}]`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new Error(`${what}: shape [${t.shape.join(", ")}] does not match its ${t.data.length} values`);
  }
}

/**
 * A zero-filled tensor of `shape`, or one over the caller's `out` buffer when given.
 *
 * Kernels take an optional `out` so that a memory planner can hand them a reused buffer. A
 * buffer longer than needed is used through its prefix (planners pool by capacity); a shorter
 * one is a planner bug, so it throws rather than reallocating silently. A reused buffer is not
 * cleared: every kernel writes each output element.
 */
export function outputTensor(shape: readonly number[], out: Float32Array | undefined, what: string): Tensor {
  const size = sizeOf(shape);
  if (out === undefined) return { shape: [...shape], data: new Float32Array(size) };
  if (out.length < size) {
    throw new Error(`${what}: output buffer holds ${out.length} values, needs ${size} for [${shape.join(", ")}]`);
  }
  return { shape: [...shape], data: out.length === size ? out : out.subarray(0, size) };
}
