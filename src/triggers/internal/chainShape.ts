/**
 * What a compiled trigger's chain looks like, for the combinators' arithmetic (`Combining.ts`).
 *
 * A trigger's chain from `p` is `p1 = next(p, p)`, `p2 = next(p1, p1)`, …
 * - `set`: memoryless — `next(t, t)` is the first element after `t` of one fixed set of instants,
 *   whatever `t` is (cron and date triggers; `or` and `and` of such triggers). Its chain from any
 *   `p` is that set after `p`.
 * - `step`: `next(t, t) = t + interval` while that is at most `end` (interval triggers): the chain
 *   re-anchors at wherever it is asked from.
 * Triggers without a registered shape (plugins, combinators over mixed kinds) are walked.
 *
 * @internal
 */

/** A trigger's chain shape. */
export type ChainShape =
  | { readonly kind: "set" }
  | { readonly kind: "step"; readonly intervalUs: number; readonly end: number | undefined }

/** The key of the shape on a trigger: a symbol property (a WeakMap entry per trigger slows the GC). */
export const SHAPE: unique symbol = Symbol.for("effect-apscheduler/chainShape")

/** Records `trigger`'s chain shape; returns the trigger. */
export const withShape = <T extends object>(trigger: T, shape: ChainShape): T => {
  ;(trigger as { [SHAPE]?: ChainShape })[SHAPE] = shape
  return trigger
}

/** The chain shape recorded for `trigger`, if any. */
export const shapeOf = (trigger: object): ChainShape | undefined => (trigger as { [SHAPE]?: ChainShape })[SHAPE]

/** The shape of every memoryless trigger. */
export const SET: ChainShape = { kind: "set" }
