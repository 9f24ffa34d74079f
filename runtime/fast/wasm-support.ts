/**
 * Whether the plan's WebAssembly path can run here — WebAssembly with SIMD128, probed once by
 * compiling and instantiating the GEMM micro-kernel's module — and the switch that turns the
 * WebAssembly engine of generated modules off, for tests.
 */
import { gemmKernelModule } from "../wasm/gemm-kernel.js";

let available: boolean | undefined;
let enabled = true;

/** Whether this JavaScript engine compiles WebAssembly with SIMD128 (checked once). */
export function wasmAvailable(): boolean {
  if (available === undefined) {
    try {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const module = new WebAssembly.Module(gemmKernelModule({ minimumPages: 1 }) as Uint8Array<ArrayBuffer>);
      new WebAssembly.Instance(module, { env: { memory } });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * Turns the WebAssembly engine of generated modules off (`false`) or back on: while it is off,
 * or where WebAssembly SIMD is unavailable, `fastForward` (a module's `load`) picks the
 * TypeScript code for `engine: "auto"` and refuses `"wasm"`. `compilePlan` reads its own `wasm`
 * option instead. Tests use it to run both engines.
 */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

/** Whether WebAssembly SIMD is available and not switched off by {@link setWasmEnabled}. */
export function wasmEnabled(): boolean {
  return enabled && wasmAvailable();
}
