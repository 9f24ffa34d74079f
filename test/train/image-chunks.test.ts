/**
 * How the heap's conv kernels cut a batch into chunks of images (`runtime/linalg/image-chunks.ts`):
 * an even number of chunks, each within the cache bound, their sizes within one image of each
 * other and the larger first, every image in exactly one; and the workers' copy of the rule
 * (source text) gives the same first images as the caller's.
 */
import { describe, expect, it } from "vitest";
import { CHUNK_FIRST_SOURCE, chunkFirst, imageChunks } from "../../runtime/linalg/image-chunks.js";

const workersChunkFirst = new Function(`${CHUNK_FIRST_SOURCE}\nreturn chunkFirst;`)() as typeof chunkFirst;

describe("image chunks", () => {
  it("cuts 32 images of at most 3 a chunk into 12 chunks (8 of 3, then 4 of 2), 16 images on each of two lanes", () => {
    const { chunks, per } = imageChunks(32, 3);
    expect([chunks, per]).toEqual([12, 3]);
    const sizes = Array.from({ length: chunks }, (_, k) => chunkFirst(k + 1, 32, chunks) - chunkFirst(k, 32, chunks));
    expect(sizes).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2]);
    const lane = (j: number): number => sizes.filter((_, k) => k % 2 === j).reduce((a, b) => a + b, 0);
    expect([lane(0), lane(1)]).toEqual([16, 16]);
  });

  it("gives one chunk to one image, two to two images even when the bound would take both in one, and chunks of one image where the bound is below one", () => {
    expect(imageChunks(1, 8)).toEqual({ chunks: 1, per: 1 });
    expect(imageChunks(2, 8)).toEqual({ chunks: 2, per: 1 });
    expect(imageChunks(32, 64)).toEqual({ chunks: 2, per: 16 });
    expect(imageChunks(7, 0)).toEqual({ chunks: 7, per: 1 });
  });

  it.each([1, 2, 3, 5, 7, 16, 31, 32, 50, 100, 257])("covers %i images in order, for every bound, as the workers' copy does", (n) => {
    for (let most = 0; most <= n + 2; most++) {
      const { chunks, per } = imageChunks(n, most);
      expect(chunks % 2 === 0 || chunks === n).toBe(true);
      expect(per).toBeLessThanOrEqual(Math.max(1, most));
      expect(chunkFirst(0, n, chunks)).toBe(0);
      expect(chunkFirst(chunks, n, chunks)).toBe(n);
      let previous = per;
      for (let k = 0; k < chunks; k++) {
        const size = chunkFirst(k + 1, n, chunks) - chunkFirst(k, n, chunks);
        expect(size).toBeGreaterThanOrEqual(per - 1);
        expect(size).toBeLessThanOrEqual(previous);
        previous = size;
        expect(workersChunkFirst(k, n, chunks)).toBe(chunkFirst(k, n, chunks));
      }
    }
  });
});
