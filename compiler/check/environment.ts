/**
 * The two kinds of name scope of the language.
 *
 * `Locals` is lexical: a block's or model's parameters and bindings, and the variable of a
 * `for`. Each body has its own frame; a `for` body adds a frame on top of the one it was
 * written in. Bindings are immutable, so a frame refuses a second binding of a name.
 *
 * `DynamicEnv` holds the `use` aliases: a persistent linked list, so that a `use` extends the
 * list for the rest of its body and every block called from there sees the caller's list
 * (dynamic scope) — without copying anything.
 */
import type { Site, Value } from "./values.js";

/** One name bound in a frame, with where it was bound (for "first bound here" notes). */
export interface Binding {
  readonly value: Value;
  readonly site: Site;
}

/** A frame of lexical bindings over an optional enclosing frame. */
export class Locals {
  private readonly names = new Map<string, Binding>();

  constructor(private readonly parent?: Locals) {}

  /** The binding of `name` in this frame or an enclosing one. */
  lookup(name: string): Binding | undefined {
    for (let frame: Locals | undefined = this; frame; frame = frame.parent) {
      const found = frame.names.get(name);
      if (found) return found;
    }
    return undefined;
  }

  /** The binding of `name` in this frame only (a rebinding check). */
  own(name: string): Binding | undefined {
    return this.names.get(name);
  }

  /** Binds `name` in this frame (the caller has checked `own` first). */
  define(name: string, binding: Binding): void {
    this.names.set(name, binding);
  }

  /** A new frame over this one. */
  child(): Locals {
    return new Locals(this);
  }

  /** Every name visible from this frame (for suggestions). */
  *visibleNames(): Iterable<string> {
    for (let frame: Locals | undefined = this; frame; frame = frame.parent) yield* frame.names.keys();
  }
}

/** One `use` alias, over the aliases in force before it. */
export interface DynamicEnv {
  readonly name: string;
  readonly value: Value;
  /** Where the alias was bound (`use` statement), absent for a `--set` override. */
  readonly site?: Site;
  readonly parent: DynamicEnv | undefined;
}

/** The innermost alias named `name`, if any. */
export function lookupAlias(env: DynamicEnv | undefined, name: string): DynamicEnv | undefined {
  for (let e = env; e; e = e.parent) if (e.name === name) return e;
  return undefined;
}

/** Every alias name in force (for suggestions). */
export function* aliasNames(env: DynamicEnv | undefined): Iterable<string> {
  for (let e = env; e; e = e.parent) yield e.name;
}
