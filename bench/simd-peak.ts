/**
 * The most a WebAssembly SIMD128 kernel can compute on this core: twelve independent chains of
 * f32x4 multiply-adds with their operands in registers (no loads), fused with relaxed SIMD's
 * `f32x4.relaxed_madd` where the engine has it, else a multiply and an add. The figure bounds
 * any kernel built on 128-bit vectors, ours and tfjs-wasm's (XNNPACK) alike; a native engine
 * with 256- or 512-bit vectors (onnxruntime on AVX2 or AVX-512) has 2× or 4× more.
 */
import { FunctionBody, ValueType } from "../runtime/wasm/instructions.js";
import { encodeModule } from "../runtime/wasm/module.js";
import { relaxedMaddSupported } from "../runtime/wasm/relaxed-simd.js";

const CHAINS = 12;
const UNROLL = 4;

function peakBody(fused: boolean): FunctionBody {
  const f = new FunctionBody([ValueType.i32]);
  const chains = Array.from({ length: CHAINS }, () => f.local(ValueType.v128));
  const [a, b] = [f.local(ValueType.v128), f.local(ValueType.v128)];
  f.f32Const(1.0000001).f32x4Splat().localSet(a);
  f.f32Const(0.9999999).f32x4Splat().localSet(b);
  f.loop();
  for (let u = 0; u < UNROLL; u++) {
    for (const c of chains) {
      if (fused) f.localGet(a).localGet(b).localGet(c).f32x4RelaxedMadd().localSet(c);
      else f.localGet(c).localGet(a).f32x4Mul().localGet(b).f32x4Add().localSet(c);
    }
  }
  f.localGet(0).i32Const(1).i32Sub().localTee(0).brIf(0);
  f.end();
  // Stored, so that the engine cannot drop the chains as dead code.
  chains.forEach((c, i) => f.i32Const(16 * i).localGet(c).v128Store(0));
  return f;
}

/**
 * GFLOP/s (2 per lane per multiply-add) of each of `runs` timed calls, and whether it fused: a
 * caller takes the median of samples drawn around the measurement it compares with, since the
 * core's clock moves between minutes on a shared machine.
 */
export function simdPeakSamples(runs = 10): { samples: number[]; fused: boolean } {
  const fused = relaxedMaddSupported();
  const memory = new WebAssembly.Memory({ initial: 1 });
  const bytes = encodeModule({ minimumPages: 1 }, [{ name: "run", results: [], body: peakBody(fused) }]) as Uint8Array<ArrayBuffer>;
  const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.run as (iterations: number) => void;
  const iterations = 1_000_000;
  run(1000);
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    run(iterations);
    samples.push((iterations * UNROLL * CHAINS * 8) / (performance.now() - t) / 1e6);
  }
  return { samples, fused };
}
