/**
 * Relaxed SIMD's fused multiply-add (`f32x4.relaxed_madd`, one `vfmadd` on x64 with FMA3, each
 * step rounded once): whether this engine has it, turning it on in Node 20, and whether it pays
 * on this CPU.
 *
 * - V8 ships relaxed SIMD from 11.4 (Node 22+, Chromium 114+); Node 20's V8 11.3 has it behind
 *   `--experimental-wasm-relaxed-simd`, which {@link enableRelaxedSimd} sets from inside the
 *   process (`v8.setFlagsFromString`, for the modules compiled after it). `nnc train` and the
 *   training benchmarks call it; a library that imports the runtime is left as it is.
 * - An FMA does a multiply and an add in one instruction. Intel cores since Skylake issue
 *   multiplies, adds and FMAs on the same two ports, so fusing doubles the arithmetic a cycle
 *   can take (the training products' GEMM micro-kernel: 1.2–1.4× faster, a training step
 *   1.14–1.17×, on the Intel Xeon development machine). AMD's Zen cores multiply and add on
 *   separate pipes, two of each a cycle, so the unfused form already keeps four pipes busy and
 *   the FMA's longer latency makes the 8-accumulator tiles slower (the plan's conv: 4–7 % on
 *   ResNet-18). {@link fusedMultiplyAddPays} says which, from the CPU's model name.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { encodeModule } from "./module.js";

let relaxedMadd: boolean | undefined;

/**
 * Whether the engine validates relaxed SIMD's `f32x4.relaxed_madd` (checked once, and again after
 * {@link enableRelaxedSimd}).
 */
export function relaxedMaddSupported(): boolean {
  if (relaxedMadd === undefined) {
    const f = new FunctionBody([ValueType.v128, ValueType.v128, ValueType.v128]);
    f.localGet(0).localGet(1).localGet(2).f32x4RelaxedMadd().localSet(0);
    try {
      relaxedMadd = WebAssembly.validate(encodeModule({ minimumPages: 1 }, [{ name: "madd", results: [], body: f }]) as Uint8Array<ArrayBuffer>);
    } catch {
      relaxedMadd = false;
    }
  }
  return relaxedMadd;
}

/** The part of Node's `process` this module reads. */
interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

function nodeModule<T>(id: string): T | undefined {
  const process = (globalThis as { process?: NodeProcess }).process;
  return process?.getBuiltinModule?.(id) as T | undefined;
}

/**
 * Turns relaxed SIMD on where the engine has it behind a flag (Node 20), for the WebAssembly
 * modules compiled from now on; returns whether it is available. Elsewhere (a browser, Node 22+)
 * it only checks.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedMaddSupported()) return true;
  const v8 = nodeModule<{ setFlagsFromString(flags: string): void }>("node:v8");
  if (v8 === undefined) return false;
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  relaxedMadd = undefined;
  return relaxedMaddSupported();
}

/**
 * Whether fused multiply-adds make the GEMM micro-kernel faster on this CPU: on Intel cores
 * (`model`, by default the first CPU's model name in Node), not on others or where the model is
 * unknown (empty: a browser).
 */
export function fusedMultiplyAddPays(model = cpuModel()): boolean {
  return /\bIntel\b/i.test(model);
}

/**
 * Whether the kernels fuse their multiply-adds when nobody chose (the training products'
 * `setTrainingFma`, the plan's `fma` option): where the engine has relaxed SIMD and
 * {@link fusedMultiplyAddPays}.
 */
export function fusedMultiplyAddsByDefault(): boolean {
  return relaxedMaddSupported() && fusedMultiplyAddPays();
}

let model: string | undefined;

/** The first CPU's model name in Node (read once), or empty where it is unknown. */
function cpuModel(): string {
  model ??= nodeModule<{ cpus(): { model: string }[] }>("node:os")?.cpus()[0]?.model ?? "";
  return model;
}
