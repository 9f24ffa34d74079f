/**
 * The checker's view of an operator: a layer of the operator registry (`runtime/ops/`), whose
 * arguments (name, type, default, allowed range, one-line doc) are checked generically from the
 * table (`arguments.ts`) and whose pure `infer` rule maps resolved attributes and input shapes to
 * the output shape, the parameters and the FLOPs — or to a failure with a code and a message.
 */
import type { Code } from "../diagnostics/catalogue.js";
import type { LayerOperator, RuleCode } from "../../runtime/ops/types.js";

export type { ArgSpec, ArgType, InputArity, LeafParam, RuleFailure, RuleResult } from "../../runtime/ops/types.js";
export { checkBatched, checkRank, fail, isFailure, pair, perChannel, staticDim } from "../../runtime/ops/rules.js";

/** One layer of the language, as the registry describes it. */
export type OperatorDef = LayerOperator;

/** Every code a shape rule may refuse with is a code of the catalogue (a compile-time check). */
const ruleCodesAreCatalogued = (code: RuleCode): Code => code;
void ruleCodesAreCatalogued;
