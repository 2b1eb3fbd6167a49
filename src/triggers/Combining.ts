/**
 * Triggers made of other triggers. APScheduler 3.5+: `AndTrigger`, `OrTrigger`.
 *
 * - `and`: the earliest time at which every trigger fires (a bounded search: each round moves the
 *   candidate to the latest of the triggers' next fire times; it gives up, returning none, after
 *   10,000 rounds without agreement, where APScheduler may loop forever).
 * - `or`: the earliest next fire time of any trigger.
 *
 * @since 0.1.0
 */
import type { CompiledTrigger, FastForward, Instant } from "./Trigger.js"
import { applyJitter } from "./Trigger.js"

/**
 * How many rounds an `and` trigger searches for a time all its triggers agree on.
 *
 * @since 0.1.0
 * @category constants
 */
export const AND_MAX_ROUNDS = 10_000

/**
 * Walks a trigger's chain one fire at a time: the generic `fastForward` of triggers that cannot
 * count their fire times arithmetically (its cost grows with the count).
 *
 * @since 0.1.0
 * @category utils
 */
export const iterateFastForward = (
  next: (previousFire: Instant, now: Instant) => Instant | undefined,
  previousFire: Instant,
  target: Instant
): FastForward => {
  let count = 0
  let last: Instant | undefined
  let t = next(previousFire, previousFire)
  while (t !== undefined && t < target) {
    count++
    last = t
    t = next(t, t)
  }
  return { count, last, next: t }
}

/**
 * Builds an `and` trigger over compiled triggers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeAnd = (
  spec: { readonly type: string },
  triggers: ReadonlyArray<CompiledTrigger>,
  jitter: number | undefined,
  timezone: string
): CompiledTrigger => {
  const firstAtOrAfter = (t: CompiledTrigger, previousFire: Instant | undefined, at: Instant) =>
    previousFire === undefined ? t.next(undefined, at) : t.fastForward(previousFire, at).next
  const search = (previousFire: Instant | undefined, now: Instant): Instant | undefined => {
    let candidate: Instant | undefined
    for (let round = 0; round < AND_MAX_ROUNDS; round++) {
      let min = Infinity
      let max = -Infinity
      for (const t of triggers) {
        const f = candidate === undefined ? t.next(previousFire, now) : firstAtOrAfter(t, previousFire, candidate)
        if (f === undefined) return undefined
        if (f < min) min = f
        if (f > max) max = f
      }
      if (min === max) return min
      candidate = max
    }
    return undefined
  }
  const self: CompiledTrigger = {
    spec,
    timezone,
    jitter,
    next: (previousFire, now, jitterSample) => applyJitter(search(previousFire, now), jitter, jitterSample),
    fastForward: (previousFire, target) => iterateFastForward(search, previousFire, target),
    toString: () => `and[${triggers.map(String).join(", ")}]`
  }
  return self
}

/**
 * Builds an `or` trigger over compiled triggers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOr = (
  spec: { readonly type: string },
  triggers: ReadonlyArray<CompiledTrigger>,
  jitter: number | undefined,
  timezone: string
): CompiledTrigger => {
  const earliest = (previousFire: Instant | undefined, now: Instant): Instant | undefined => {
    let min: Instant | undefined
    for (const t of triggers) {
      const f = t.next(previousFire, now)
      if (f !== undefined && (min === undefined || f < min)) min = f
    }
    return min
  }
  return {
    spec,
    timezone,
    jitter,
    next: (previousFire, now, jitterSample) => applyJitter(earliest(previousFire, now), jitter, jitterSample),
    fastForward: (previousFire, target) => iterateFastForward(earliest, previousFire, target),
    toString: () => `or[${triggers.map(String).join(", ")}]`
  }
}
