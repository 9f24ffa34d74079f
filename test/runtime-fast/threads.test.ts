/**
 * The row splitter of `plan-threads.ts` on its own: a call split into chunks that the caller and
 * a worker take from one counter. The numeric tests of the plan run every example on two threads;
 * this one checks that the worker really takes part, and that calls in quick succession (a worker
 * may still be finishing one when the next is posted) each produce the whole result; and that a
 * pool over an unshared memory (a page that is not cross-origin isolated) runs on the caller alone.
 */
import { afterAll, expect, it } from "vitest";
import { instantiatePlanKernels, planModuleBytes } from "../../runtime/fast/plan-module.js";
import { ChunkPool, HEADER_WORDS } from "../../runtime/fast/chunk-pool.js";
import { RowSplitter } from "../../runtime/fast/plan-threads.js";
import { PoolDesc, POOL_DESC_WORDS } from "../../runtime/wasm/window-kernels.js";

// A 1×1 max pool is a copy: rows × width pixels of 64 channels, ≥ 2²⁰ values so it is split.
const [rows, width, channels] = [256, 64, 64];
const pixels = rows * width;
const desc = 64;
const input = desc + 4 * POOL_DESC_WORDS;
const output = input + pixels * channels * 4;
const pages = Math.ceil((output + pixels * channels * 4) / 65536);
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
const module = new WebAssembly.Module(planModuleBytes(pages, true) as Uint8Array<ArrayBuffer>);
const splitter = new RowSplitter(instantiatePlanKernels(module, memory), 2, module, memory);
afterAll(() => splitter.close());

const words = new Int32Array(memory.buffer);
const fields: [keyof typeof PoolDesc, number][] = [
  ["input", input], ["inImage", pixels * channels * 4], ["height", rows], ["width", width], ["inPixel", channels * 4],
  ["output", output], ["outImage", pixels * channels * 4], ["outPixel", channels * 4], ["oh", rows], ["ow", width],
  ["kh", 1], ["kw", 1], ["sh", 1], ["sw", 1], ["padTop", 0], ["padLeft", 0], ["quads", channels / 4], ["average", 0], ["dh", 1], ["dw", 1],
];
for (const [name, value] of fields) words[desc / 4 + PoolDesc[name]] = value;

it("splits a call between the caller and a worker, and every call writes the whole output", () => {
  expect(splitter.threads).toBe(2);
  const heap = new Float32Array(memory.buffer);
  const x = heap.subarray(input / 4, input / 4 + pixels * channels);
  const y = heap.subarray(output / 4, output / 4 + pixels * channels);
  for (let call = 0; call < 200; call++) {
    x.fill(call + 1);
    splitter.pool(desc, rows, pixels * channels);
    // Every value written by this call (not an earlier one), wherever its chunk ran.
    expect(y.every((v) => v === call + 1)).toBe(true);
  }
  expect(splitter.workerChunks).toBeGreaterThan(0);
});

it("runs on the caller's thread alone, without a shared block, where the memory is not shared", () => {
  // What a page that is not cross-origin isolated gets: an unshared memory (it has no SharedArrayBuffer).
  const unshared = new WebAssembly.Memory({ initial: 1 });
  const ran: number[] = [];
  const pool = new ChunkPool(1, 2, module, unshared, "function runChunk(e, c, f, k, thread) { e.record(k, thread); }", {
    record: (k: number, thread: number) => ran.push(k * 10 + thread),
  });
  expect(pool.threads).toBe(1);
  expect(pool.control.buffer).toBeInstanceOf(ArrayBuffer);
  pool.run(5, (c) => void (c[HEADER_WORDS] = 7));
  expect(ran).toEqual([0, 10, 20, 30, 40]);
  expect(pool.workerChunks).toBe(0);
  pool.close();
});
