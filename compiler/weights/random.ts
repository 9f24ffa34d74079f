/**
 * A small seeded pseudo-random generator for initial weights: xoshiro128** (Blackman and Vigna,
 * 2018), whose four words of state are filled by splitmix32 from a 32-bit key.
 *
 * Values are reproducible by seed on every platform (only 32-bit integer arithmetic is used), but
 * they are not PyTorch's random stream: `nnc init --seed 0` and `torch.manual_seed(0)` give
 * different numbers from the same distributions.
 */

/** A xoshiro128** generator. */
export class Random {
  private readonly state = new Uint32Array(4);

  /** Seeds the generator from a 32-bit key (any integer; only its low 32 bits count). */
  constructor(key: number) {
    let weyl = key >>> 0;
    for (let i = 0; i < 4; i++) {
      weyl = (weyl + 0x9e3779b9) >>> 0;
      this.state[i] = mix32(weyl);
    }
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform number in [0, 1) with 24 random bits, exactly representable in float32. */
  nextUnit(): number {
    return (this.nextUint32() >>> 8) / 0x1000000;
  }
}

/**
 * A 32-bit key for one named stream of one seed. Each parameter draws from its own stream, so a
 * parameter's initial values depend only on the seed and its name, not on the layers before it.
 */
export function streamKey(seed: number, name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${seed}/${name}`)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

/** The splitmix32 finalizer (Murmur3's), a bijection on 32-bit words. */
function mix32(x: number): number {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
