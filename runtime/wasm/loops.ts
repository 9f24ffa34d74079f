/**
 * Loop shapes the generated kernels share (`pointwise-kernel.ts`, `pair-pool-kernel.ts`, `im2col-kernel.ts`).
 */
import type { FunctionBody } from "./instructions.js";

/**
 * While local `counter` < local `limit` (signed): `body`, then `counter += step`. The caller sets
 * `counter` first; it ends at the first value not below `limit`.
 */
export function countedLoop(f: FunctionBody, counter: number, limit: number, step: number, body: () => void): void {
  f.block();
  f.loop();
  f.localGet(counter).localGet(limit).i32GeS().brIf(1);
  body();
  f.localGet(counter).i32Const(step).i32Add().localSet(counter);
  f.br(0);
  f.end();
  f.end();
}

/** Adds `bytes` to each pointer local. */
export function advance(f: FunctionBody, pointers: readonly number[], bytes: number): void {
  for (const p of pointers) f.localGet(p).i32Const(bytes).i32Add().localSet(p);
}
