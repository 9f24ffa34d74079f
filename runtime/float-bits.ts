/**
 * Float32 data seen as its int32 bit patterns, for kernels that select values without a branch:
 * a per-element branch on the sign or the order of trained values is a coin toss that the CPU
 * mispredicts about half the time, while a mask made of shifts and ANDs costs the same whatever
 * the data. Every selection copies the chosen value's bits unchanged.
 */

/** The float32 values of `data` as the int32 bit patterns they hold (a view of the same memory). */
export function bitsOf(data: Float32Array): Int32Array {
  return new Int32Array(data.buffer, data.byteOffset, data.length);
}
