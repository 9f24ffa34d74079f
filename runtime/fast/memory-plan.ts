/**
 * A static memory plan: given each intermediate tensor's size and the steps during which it is
 * live, assigns offsets (in floats) in one arena so that tensors live at the same time never
 * overlap, and the arena is as small as a greedy placement finds.
 *
 * The placement is TensorFlow Lite's "greedy by size": the largest tensor first, each at the
 * lowest offset that does not overlap an already placed tensor whose live range intersects its
 * own. With the plan, a forward pass reuses one arena on every call and allocates nothing.
 */

/** One tensor to place: its length in floats and the first and last step (inclusive) it is live. */
export interface LiveRange {
  size: number;
  first: number;
  last: number;
}

/** Offsets in floats, one per live range in the order given, and the arena length they need. */
export interface BufferPlan {
  offsets: number[];
  total: number;
}

/** Plans offsets for `ranges`; the result never overlaps two tensors that are live together. */
export function planBuffers(ranges: readonly LiveRange[]): BufferPlan {
  ranges.forEach((r, i) => {
    if (!Number.isInteger(r.size) || r.size < 0 || !(r.first <= r.last)) {
      throw new Error(`planBuffers: range ${i} needs an integer size >= 0 and first <= last, got ${JSON.stringify(r)}`);
    }
  });
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[b].size - ranges[a].size || a - b);
  const offsets = new Array<number>(ranges.length).fill(0);
  const placed: number[] = [];
  let total = 0;
  for (const index of order) {
    const range = ranges[index];
    // The blocks already placed that are live at the same time, by offset.
    const conflicts = placed
      .filter((other) => ranges[other].first <= range.last && range.first <= ranges[other].last)
      .sort((a, b) => offsets[a] - offsets[b]);
    let offset = 0;
    for (const other of conflicts) {
      if (offset + range.size <= offsets[other]) break;
      offset = Math.max(offset, offsets[other] + ranges[other].size);
    }
    offsets[index] = offset;
    placed.push(index);
    total = Math.max(total, offset + range.size);
  }
  return { offsets, total };
}
