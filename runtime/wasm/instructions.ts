/**
 * A function body under construction: typed helpers that append WebAssembly instructions, the
 * scalar ones the kernels need and the SIMD128 subset (`0xfd` prefix) they are built from.
 *
 * Operands go on the stack in the order the instruction takes them, so a body reads as postfix:
 * `f.localGet(a).localGet(b).f32x4Add()`. Memory access takes an alignment exponent and a
 * constant byte offset, which the kernels use to address rows of a register tile without adding
 * to the base pointer.
 */
import { ByteWriter } from "./encoding.js";

/** A WebAssembly value type, by its binary code. */
export const ValueType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
/** One of {@link ValueType}'s codes. */
export type ValueTypeCode = (typeof ValueType)[keyof typeof ValueType];

const SIMD_PREFIX = 0xfd;

/** Appends the instructions of one function body; locals are declared on the builder. */
export class FunctionBody {
  readonly code = new ByteWriter();
  private readonly extraLocals: ValueTypeCode[] = [];

  /** @param params the parameter types; their locals come first, numbered from 0 */
  constructor(readonly params: readonly ValueTypeCode[]) {}

  /** Declares a new local of `type` and returns its index. */
  local(type: ValueTypeCode): number {
    this.extraLocals.push(type);
    return this.params.length + this.extraLocals.length - 1;
  }

  /** The declared locals, run-length grouped as the code section stores them. */
  localGroups(): [count: number, type: ValueTypeCode][] {
    const groups: [number, ValueTypeCode][] = [];
    for (const type of this.extraLocals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    return groups;
  }

  // Control flow. Blocks here take and return nothing (block type 0x40).
  block(): this { this.code.byte(0x02).byte(0x40); return this; }
  loop(): this { this.code.byte(0x03).byte(0x40); return this; }
  if(): this { this.code.byte(0x04).byte(0x40); return this; }
  else(): this { this.code.byte(0x05); return this; }
  end(): this { this.code.byte(0x0b); return this; }
  br(depth: number): this { this.code.byte(0x0c).u32(depth); return this; }
  brIf(depth: number): this { this.code.byte(0x0d).u32(depth); return this; }
  return(): this { this.code.byte(0x0f); return this; }
  call(functionIndex: number): this { this.code.byte(0x10).u32(functionIndex); return this; }
  drop(): this { this.code.byte(0x1a); return this; }
  /** Pops a condition, then the second and the first operand; keeps the first when it is non-zero. */
  select(): this { this.code.byte(0x1b); return this; }

  // Locals and constants.
  localGet(index: number): this { this.code.byte(0x20).u32(index); return this; }
  localSet(index: number): this { this.code.byte(0x21).u32(index); return this; }
  localTee(index: number): this { this.code.byte(0x22).u32(index); return this; }
  i32Const(value: number): this { this.code.byte(0x41).i32(value); return this; }
  f32Const(value: number): this { this.code.byte(0x43).f32(value); return this; }
  f64Const(value: number): this { this.code.byte(0x44).f64(value); return this; }

  // Scalar memory access: `align` is log2 of the alignment, `offset` a constant byte offset.
  f32Load(offset = 0, align = 2): this { this.code.byte(0x2a).u32(align).u32(offset); return this; }
  f32Store(offset = 0, align = 2): this { this.code.byte(0x38).u32(align).u32(offset); return this; }
  f64Load(offset = 0, align = 3): this { this.code.byte(0x2b).u32(align).u32(offset); return this; }
  /** a ≠ b (true where either is NaN). */
  f32Ne(): this { this.code.byte(0x5c); return this; }
  f32Gt(): this { this.code.byte(0x5e); return this; }
  f64Add(): this { this.code.byte(0xa0); return this; }
  f64Sub(): this { this.code.byte(0xa1); return this; }
  f64Mul(): this { this.code.byte(0xa2); return this; }
  /** float64 → float32, rounded to nearest (as a JavaScript store into a Float32Array). */
  f32DemoteF64(): this { this.code.byte(0xb6); return this; }
  f64PromoteF32(): this { this.code.byte(0xbb); return this; }
  i32Load(offset = 0, align = 2): this { this.code.byte(0x28).u32(align).u32(offset); return this; }
  i32Store(offset = 0, align = 2): this { this.code.byte(0x36).u32(align).u32(offset); return this; }
  /** Bulk memory's `memory.fill` (destination, byte value, length in bytes: all i32). */
  memoryFill(): this { this.code.byte(0xfc).u32(11).byte(0); return this; }

  // i32 arithmetic and comparisons.
  i32Eqz(): this { this.code.byte(0x45); return this; }
  i32Eq(): this { this.code.byte(0x46); return this; }
  i32Ne(): this { this.code.byte(0x47); return this; }
  i32LtS(): this { this.code.byte(0x48); return this; }
  i32LtU(): this { this.code.byte(0x49); return this; }
  i32GtS(): this { this.code.byte(0x4a); return this; }
  i32GeS(): this { this.code.byte(0x4e); return this; }
  i32GeU(): this { this.code.byte(0x4f); return this; }
  i32Add(): this { this.code.byte(0x6a); return this; }
  i32Sub(): this { this.code.byte(0x6b); return this; }
  i32Mul(): this { this.code.byte(0x6c); return this; }
  i32DivS(): this { this.code.byte(0x6d); return this; }
  i32DivU(): this { this.code.byte(0x6e); return this; }
  i32RemU(): this { this.code.byte(0x70); return this; }
  i32And(): this { this.code.byte(0x71); return this; }
  i32Or(): this { this.code.byte(0x72); return this; }
  i32Shl(): this { this.code.byte(0x74); return this; }

  // f32 arithmetic and conversion.
  f32Sqrt(): this { this.code.byte(0x91); return this; }
  f32Add(): this { this.code.byte(0x92); return this; }
  f32Div(): this { this.code.byte(0x95); return this; }
  f32ConvertI32S(): this { this.code.byte(0xb2); return this; }

  // SIMD128.
  v128Load(offset = 0, align = 0): this { return this.simd(0x00).memarg(align, offset); }
  v128Load32Splat(offset = 0, align = 2): this { return this.simd(0x09).memarg(align, offset); }
  v128Store(offset = 0, align = 0): this { return this.simd(0x0b).memarg(align, offset); }
  /** Two float32 (8 bytes) into the low lanes, zeros above. */
  v128Load64Zero(offset = 0, align = 2): this { return this.simd(0x5d).memarg(align, offset); }
  /** The 64-bit lane `lane` (two float32) stored to memory. */
  v128Store64Lane(lane: number, offset = 0, align = 2): this { this.simd(0x5b).memarg(align, offset); this.code.byte(lane); return this; }
  /** One float32 from memory into lane `lane`, the other lanes kept. */
  v128Load32Lane(lane: number, offset = 0, align = 2): this { this.simd(0x56).memarg(align, offset); this.code.byte(lane); return this; }
  f32x4Splat(): this { return this.simd(0x13); }
  f64x2Splat(): this { return this.simd(0x14); }
  /** The two low float32 lanes as float64 lanes. */
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  /** Two float64 lanes rounded to float32 in the low lanes, zeros above. */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  /** Replaces lane `lane` of a float64x2 with a float64. */
  f64x2ReplaceLane(lane: number): this { this.simd(0x22).code.byte(lane); return this; }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Div(): this { return this.simd(0xf3); }
  f64x2Sqrt(): this { return this.simd(0xef); }
  /** Lanes of two vectors by index (0–15 the first's bytes, 16–31 the second's), as f32 lanes: 0–3 the first's, 4–7 the second's. */
  f32x4Shuffle(lanes: readonly [number, number, number, number]): this {
    this.simd(0x0d);
    for (const lane of lanes) for (let b = 0; b < 4; b++) this.code.byte(lane * 4 + b);
    return this;
  }
  f32x4ExtractLane(lane: number): this { this.simd(0x1f).code.byte(lane); return this; }
  /** Lane-wise a ≠ b as a mask (all ones where true: a NaN lane is ≠ itself). */
  f32x4Ne(): this { return this.simd(0x42); }
  /** Lane-wise a > b as a mask (false where either is NaN). */
  f32x4Gt(): this { return this.simd(0x44); }
  /** Lane-wise a ≤ b as a mask (false where either is NaN). */
  f32x4Le(): this { return this.simd(0x45); }
  /** Lane-wise a ≥ b as a mask (false where either is NaN). */
  f32x4Ge(): this { return this.simd(0x46); }
  /** Lane-wise |a| (the sign bit cleared). */
  f32x4Abs(): this { return this.simd(0xe0); }
  v128And(): this { return this.simd(0x4e); }
  /** Each 32-bit lane shifted left by the i32 on top of the stack (mod 32). */
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4Add(): this { return this.simd(0xae); }
  /** Bits of the first where the mask (third) is set, of the second elsewhere. */
  v128Bitselect(): this { return this.simd(0x52); }
  /** 1 when any bit is set, else 0. */
  v128AnyTrue(): this { return this.simd(0x53); }
  /** a & ~b. */
  v128Andnot(): this { return this.simd(0x4f); }
  v128Or(): this { return this.simd(0x50); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  /** Pseudo-min, b < a ? b : a: one `minps` on x64 (a NaN first operand stays). */
  f32x4Pmin(): this { return this.simd(0xea); }
  /** Pseudo-max, a < b ? b : a: one `maxps` on x64, where `f32x4.max` takes a sequence for NaN and signed zeros. */
  f32x4Pmax(): this { return this.simd(0xeb); }
  /** Relaxed SIMD `f32x4.relaxed_madd` (a·b + c, fused or not): only where the engine validates it. */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }

  /** Ends the body and returns it framed as a code-section entry (locals, instructions, `end`). */
  encode(): Uint8Array {
    const entry = new ByteWriter();
    const groups = this.localGroups();
    entry.u32(groups.length);
    for (const [count, type] of groups) entry.u32(count).byte(type);
    entry.raw(this.code.finish()).byte(0x0b);
    return entry.finish();
  }

  private simd(op: number): this {
    this.code.byte(SIMD_PREFIX).u32(op);
    return this;
  }

  private memarg(align: number, offset: number): this {
    this.code.u32(align).u32(offset);
    return this;
  }
}
