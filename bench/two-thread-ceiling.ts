/**
 * What two threads can gain on this machine at the moment, for `bench:train`'s two-thread rows:
 * the GEMM micro-kernel of the training products (`runtime/wasm/gemm-kernel.ts`) multiplying a
 * 64 × 384 × 288 product (MNIST's second conv, a chunk of images) in each worker's own memory,
 * its operands in that core's cache, nothing shared and nothing to wait for. One worker's run is
 * timed alone, then both workers' runs at once, in alternating rounds; the median ratio of the
 * rounds' throughput is the most a perfectly split step could gain now. On a shared virtual
 * machine whose second core also serves other guests, it falls below 2×.
 */
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { gemmKernelBody } from "../runtime/wasm/gemm-kernel.js";
import { encodeModule } from "../runtime/wasm/module.js";
import { enableRelaxedSimd, relaxedMaddSupported } from "../runtime/wasm/relaxed-simd.js";

const [M, N, K] = [64, 384, 288];
const REPEATS = 40;

/** A worker's program: on each message, `REPEATS` products; replies with the milliseconds they took. */
function serve(): void {
  enableRelaxedSimd();
  const fused = relaxedMaddSupported();
  const bytes = (4 * (M * K + K * N + M * N + M) + 0xffff) & ~0xffff;
  const pages = bytes / 0x10000;
  const memory = new WebAssembly.Memory({ initial: pages });
  const module = new WebAssembly.Module(encodeModule({ minimumPages: pages }, [{ name: "gemm", results: [], body: gemmKernelBody(4, 8, fused) }]) as Uint8Array<ArrayBuffer>);
  const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm as (...args: number[]) => void;
  const floats = new Float32Array(memory.buffer);
  for (let i = 0; i < floats.length; i++) floats[i] = ((i % 13) - 6) * 0.01;
  const [b, c] = [4 * M * K, 4 * (M * K + K * N)];
  const bias = c + 4 * M * N;
  parentPort!.on("message", () => {
    const start = performance.now();
    for (let r = 0; r < REPEATS; r++) gemm(0, 4 * K * 4, b, N * 4, c, N * 4, bias, M, N, K, 0, 0);
    parentPort!.postMessage(performance.now() - start);
  });
}

/** The median ratio of two workers' throughput to one's, over `rounds` alternating rounds, and the rounds' spread. */
export async function twoThreadCeiling(rounds = 15): Promise<{ median: number; low: number; high: number }> {
  const workers = [0, 1].map(() => new Worker(new URL(import.meta.url)));
  const run = (worker: Worker): Promise<number> =>
    new Promise((resolve) => {
      worker.once("message", resolve);
      worker.postMessage(0);
    });
  try {
    for (let i = 0; i < 3; i++) await Promise.all(workers.map(run));
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let start = performance.now();
      await run(workers[0]);
      const one = performance.now() - start;
      start = performance.now();
      await Promise.all(workers.map(run));
      ratios.push((2 * one) / (performance.now() - start));
    }
    ratios.sort((a, b) => a - b);
    return { median: ratios[ratios.length >> 1], low: ratios[Math.floor(rounds / 4)], high: ratios[Math.floor((3 * rounds) / 4)] };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

if (!isMainThread) serve();
