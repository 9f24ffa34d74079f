/**
 * A small seedable pseudo-random generator for dropout. The runtime keeps no generator of its
 * own: a caller creates one and passes it in, so a training run is reproducible from its seed and
 * two models never share a stream by accident.
 */

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * Creates an sfc32 generator (Chris Doty-Humphrey's Small Fast Counting generator: 128 bits of
 * state, period at least 2^32, and it passes PractRand) seeded from a 32-bit integer. The first
 * draws are discarded because sfc32's state starts correlated with a simple seed.
 */
export function createRandom(seed: number): RandomSource {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}
