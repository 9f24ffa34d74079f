/**
 * The training products' GEMM micro-kernel alone, on one thread, at the shapes the MNIST and
 * ResNet-20 training steps give it (a forward chunk of a conv `M × K` by `K × N`, a weight
 * gradient's slab, a dense layer), against a conv forward of the same layer run whole: what the
 * kernel reaches on this machine, and how much of a conv is the product. Shapes alternate
 * round by round, so a disturbance of the machine falls on all of them alike.
 *
 *   npx tsc -p bench/tsconfig.json && node .build/bench/train-gemm.js
 */
import { performance } from "node:perf_hooks";
import { conv } from "../runtime/kernels/conv.js";
import { productHeap } from "../runtime/linalg/wasm-products.js";
import { BufferPool, withBufferPool, type Tensor } from "../runtime/tensor.js";

/** A product `m × k` by `k × n`, and where a training step meets it. */
interface Shape {
  m: number;
  n: number;
  k: number;
  what: string;
}

const SHAPES: Shape[] = [
  { m: 64, n: 392, k: 288, what: "MNIST conv 2 forward, a chunk of 2 images" },
  { m: 288, n: 64, k: 384, what: "MNIST conv 2 weight gradient, one slab" },
  { m: 32, n: 392, k: 576, what: "MNIST conv 2 input gradient (a conv of dY)" },
  { m: 16, n: 1024, k: 144, what: "ResNet-20 stage 1 forward, one image" },
  { m: 64, n: 448, k: 576, what: "ResNet-20 stage 3 forward, 7 images" },
  { m: 32, n: 128, k: 3136, what: "MNIST dense 3136 → 128 forward" },
];

const ROUNDS = 30;
const REPEATS = 5;

function random(length: number): Float32Array {
  return Float32Array.from({ length }, () => Math.random() - 0.5);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const times = SHAPES.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  SHAPES.forEach(({ m, n, k }, s) => {
    const heap = productHeap(m, n, k);
    if (heap === undefined) throw new Error("train-gemm: WebAssembly SIMD is unavailable");
    const l = heap.layout(m, n, k);
    heap.packA(l, random(m * k), 0, k, false);
    heap.floats.set(random(k * l.ld), l.b);
    heap.setBias(l);
    heap.run(l);
    const start = performance.now();
    for (let r = 0; r < REPEATS; r++) heap.run(l);
    times[s].push((performance.now() - start) / REPEATS);
  });
}

console.log(`The GEMM micro-kernel on one thread: median of ${ROUNDS} rounds of ${REPEATS} products\n`);
console.log("| product m × n × k | where | ms | GFLOP/s |\n|---|---|---|---|");
SHAPES.forEach(({ m, n, k, what }, s) => {
  const ms = median(times[s]);
  console.log(`| ${m} × ${n} × ${k} | ${what} | ${ms.toFixed(3)} | ${((2 * m * n * k) / ms / 1e6).toFixed(1)} |`);
});

// MNIST's second conv whole (32 images): im2col, 16 chunk products, copies, against its products alone.
const pool = new BufferPool();
const x: Tensor = { shape: [32, 32, 14, 14], data: random(32 * 32 * 14 * 14) };
const w: Tensor = { shape: [64, 32, 3, 3], data: random(64 * 32 * 9) };
const b: Tensor = { shape: [64], data: random(64) };
const whole: number[] = [];
const products: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let start = performance.now();
  withBufferPool(pool, () => conv(x, w, b, { pads: 1 }));
  pool.endRun([]);
  whole.push(performance.now() - start);
  const heap = productHeap(64, 392, 288)!;
  const l = heap.layout(64, 392, 288);
  start = performance.now();
  for (let chunk = 0; chunk < 16; chunk++) heap.run(l);
  products.push(performance.now() - start);
}
const [all, alone] = [median(whole), median(products)];
console.log(`\nMNIST conv 2 forward at batch 32: ${all.toFixed(2)} ms whole, ${alone.toFixed(2)} ms of it its 16 chunk products (${((100 * alone) / all).toFixed(0)} %), ${((2 * 64 * 288 * 6272) / all / 1e6).toFixed(1)} GFLOP/s overall`);
