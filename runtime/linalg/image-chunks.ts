/**
 * How the heap's conv kernels cut a batch into chunks of images (`heap-conv.ts`,
 * `heap-winograd.ts`, and the workers' loops in `product-threads.ts`): an even number of chunks,
 * as few as keep each within the images that fit the kernel's cache budget, their sizes differing
 * by at most one image, the larger first. So two threads taking chunks, or a weight gradient's
 * two lanes (chunk k summed by lane k mod 2), get the same number of images to within one: 32
 * images of at most 3 a chunk make 12 chunks of 3 and 2, 16 images a lane, where chunks of 3
 * would make 11, 18 images on one lane and 14 on the other. The cut depends on the sizes alone,
 * never on the threads, so one thread and two make the same sums.
 */

/** A batch's chunks: how many, and the images of the largest (the first). */
export interface ImageChunks {
  chunks: number;
  per: number;
}

/** The chunks of `n` images, each of at most `most` (at least 1). */
export function imageChunks(n: number, most: number): ImageChunks {
  const fewest = Math.ceil(n / Math.max(1, most));
  const chunks = Math.max(1, Math.min(n, fewest + (fewest % 2)));
  return { chunks, per: Math.ceil(n / chunks) };
}

/** The first image of chunk `k` of `chunks` over `n` images (`k = chunks` gives `n`). */
export function chunkFirst(k: number, n: number, chunks: number): number {
  return k * Math.floor(n / chunks) + Math.min(k, n % chunks);
}

/** {@link chunkFirst} as source text, for the workers' program. */
export const CHUNK_FIRST_SOURCE = `function chunkFirst(k, n, chunks) {
  return k * Math.floor(n / chunks) + Math.min(k, n % chunks);
}`;
