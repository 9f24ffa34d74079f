/**
 * What two threads can gain on this machine at the moment, for `bench:train`'s two-thread rows:
 * the GEMM micro-kernel of the training products (`runtime/wasm/gemm-kernel.ts`) multiplying a
 * 64 × 384 × 288 product (MNIST's second conv, a chunk of images) in each worker's own memory,
 * its operands in that core's cache, nothing shared and nothing to wait for. One worker's run is
 * timed alone, then both workers' runs at once, in alternating rounds; the ratio of the rounds'
 * throughput is the most a perfectly split step could gain at that moment. On a shared virtual
 * machine whose second core also serves other guests, it falls below 2×, by minutes.
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

/**
 * Two workers ready to measure the ceiling: `sample(rounds)` times `rounds` alternating rounds
 * (one worker alone, then both) and returns their throughput ratios; `close` stops the workers.
 */
export class CeilingProbe {
  private readonly workers = [0, 1].map(() => new Worker(new URL(import.meta.url)));

  private run(worker: Worker): Promise<number> {
    return new Promise((resolve) => {
      worker.once("message", resolve);
      worker.postMessage(0);
    });
  }

  /** Warms both workers up (their kernels compiled and optimized). */
  async start(): Promise<this> {
    for (let i = 0; i < 3; i++) await Promise.all(this.workers.map((w) => this.run(w)));
    return this;
  }

  async sample(rounds: number): Promise<number[]> {
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let start = performance.now();
      await this.run(this.workers[0]);
      const one = performance.now() - start;
      start = performance.now();
      await Promise.all(this.workers.map((w) => this.run(w)));
      ratios.push((2 * one) / (performance.now() - start));
    }
    return ratios;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** The median, lower and upper quartile of `ratios`. */
export function quartiles(ratios: readonly number[]): { median: number; low: number; high: number } {
  const sorted = [...ratios].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), low: at(0.25), high: at(0.75) };
}

if (!isMainThread) serve();
