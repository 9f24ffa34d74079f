/**
 * The attributes object of a backward kernel call: the backward node's attributes, which are the
 * forward node's (a `Conv`'s strides, a batch norm's momentum) plus `wants`. A kernel names the
 * ones it reads; the rest pass through, so a generated module's call type-checks whatever the
 * forward carried.
 */
export type BackwardAttributes<T extends object = object> = T & { readonly [attribute: string]: unknown };
