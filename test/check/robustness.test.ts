/**
 * Mutated versions of real models go through the checker: none may throw or hit the last-line
 * guard with an internal error, and every span must lie inside the text. Seeded, so a failure
 * reproduces.
 */
import { describe, expect, it } from "vitest";
import { check, RESNET20 } from "./support.js";

const VARIANTS = [
  RESNET20,
  `block Join(a, b, k: int = 1) { return concat(a -> conv(4, k), b, axis: 1) }
let widths = [8, 16]
model M(x: [N, 3, H, 32], y: [N, 4, H, 32], p: float = 0.5, f: layer = gelu) {
  use act = f
  z = Join(x, y) -> for c in widths { [conv(c, 3, pad: same) -> norm -> act] * 2 -> maxpool(2) }
  return z -> global_avgpool -> flatten -> dropout(p) -> dense(channels(z)) -> log_softmax
}`,
];
const FRAGMENTS = ["->", "(", ")", "[", "]", ",", ":", "*", "+", "//", "x", "y", "norm", "conv(", "0", "-1", "99999", "3.5", "same", "if", "for", "use", "=", "\n"];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("checker robustness", () => {
  VARIANTS.forEach((source, n) => {
    it(`survives 300 mutations of variant ${n}`, () => {
      const random = rng(n + 1);
      const pick = (k: number) => Math.floor(random() * k);
      for (let i = 0; i < 300; i++) {
        let text = source;
        for (let e = 0; e < 1 + pick(3); e++) {
          const at = pick(text.length + 1);
          text = random() < 0.5 ? text.slice(0, at) + text.slice(at + pick(8)) : text.slice(0, at) + FRAGMENTS[pick(FRAGMENTS.length)] + text.slice(at);
        }
        const result = check(text, { allModels: true });
        for (const d of result.diagnostics) {
          expect(d.code === "E0409" && d.message.startsWith("internal"), `${d.message} for:\n${text}`).toBe(false);
          expect(d.span.start <= d.span.end && d.span.end <= text.length, `span of ${d.code} in:\n${text}`).toBe(true);
        }
      }
    });
  });
});
