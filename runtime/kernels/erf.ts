/** The error function, which JavaScript lacks (`Math` has no `erf`): GELU's, in TypeScript and in the WebAssembly kernels. */

/**
 * Odd numerator and even denominator coefficients (highest power first) of the rational
 * approximation `erf(x) ≈ x·P(x²)/Q(x²)` on [-4, 4] that Eigen and XLA use for float32. Evaluated
 * in double, its error is below 6.5e-8 both absolute and relative, that is within one float32
 * ulp everywhere (checked against a double-precision erf in the tests).
 */
export const ERF_NUMERATOR = [
  -2.72614225801306e-10, 2.77068142495902e-8, -2.10102402082508e-6, -5.69250639462346e-5,
  -7.34990630326855e-4, -2.95459980854025e-3, -1.60960333262415e-2,
] as const;
export const ERF_DENOMINATOR = [
  -1.45660718464996e-5, -2.13374055278905e-4, -1.68282697438203e-3, -7.37332916720468e-3,
  -1.42647390514189e-2,
] as const;

/**
 * The error function, accurate to float32 precision. Beyond |x| = 4, erf(x) rounds to ±1 in
 * float32 (1 - erf(4) ≈ 1.5e-8), so the argument is clamped there.
 */
export function erf(x: number): number {
  const v = x > 4 ? 4 : x < -4 ? -4 : x;
  const v2 = v * v;
  // Horner's rule written out (the same operations as a loop from 0, without its iterator,
  // which made GELU the slowest step of a whole NF-Net forward).
  const [p0, p1, p2, p3, p4, p5, p6] = ERF_NUMERATOR;
  const [q0, q1, q2, q3, q4] = ERF_DENOMINATOR;
  const p = (((((p0 * v2 + p1) * v2 + p2) * v2 + p3) * v2 + p4) * v2 + p5) * v2 + p6;
  const q = (((q0 * v2 + q1) * v2 + q2) * v2 + q3) * v2 + q4;
  return (v * p) / q;
}
