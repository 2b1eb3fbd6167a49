/**
 * Triggers made of other triggers. APScheduler 3.5+: `AndTrigger`, `OrTrigger`.
 *
 * - `and`: the earliest time at which every trigger fires (a bounded search: each round moves the
 *   candidate to the latest of the triggers' next fire times; it gives up, returning none, after
 *   10,000 rounds without agreement, where APScheduler may loop forever).
 * - `or`: the earliest next fire time of any trigger (each trigger continues from the previous
 *   fire, as in APScheduler: an `or` of 2 h and 3 h intervals fires every 2 h).
 *
 * `fastForward` (misfire backlogs) does not walk the backlog: an `and` is the intersection of its
 * triggers' chains, searched backwards and forwards from the target in at most 10,000 rounds; an
 * `or` of cron and date triggers is the union of their chains (the latest `last`, the earliest
 * `next`), and interval triggers in an `or` step from the union's last fire by arithmetic. Its
 * `count` is exact; where that needs a walk (a union of several chains may overlap) it is computed
 * only when read — `planRuns` reads it only when it lists or summarises misses without coalescing.
 * An `or` with a trigger of unknown shape (a plugin, an `and` of interval triggers) and an `and`
 * with one (a plugin, an `or` with interval triggers) walk their chains; an `and` or `or` of one
 * trigger is that trigger.
 *
 * @since 0.1.0
 */
import { type ChainShape, SET, shapeOf, withShape } from "./internal/chainShape.js"
import { addMul, toMicros, toMillis } from "./internal/micros.js"
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

/** A fast-forward whose count is computed when first read. */
const lazyCount = (count: () => number, last: Instant | undefined, next: Instant | undefined): FastForward => {
  let memo: number | undefined
  return {
    get count() {
      return (memo ??= count())
    },
    last,
    next
  }
}

const UNREAD: unique symbol = Symbol("unread")

const isSet = (t: CompiledTrigger): boolean => shapeOf(t)?.kind === "set"

/**
 * The first fire at or after `candidate` of `trigger`'s chain from `previousFire`, given `at`, a
 * fire of that chain found earlier (or `undefined`): the chain is walked on from `at`.
 */
const firstOfChainAtOrAfter = (
  trigger: CompiledTrigger,
  previousFire: Instant,
  at: Instant | undefined,
  candidate: Instant
): Instant | undefined =>
  at === undefined ? trigger.fastForward(previousFire, candidate).next : at >= candidate ? at : trigger.fastForward(at, candidate).next


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
  // Each trigger's position is kept between rounds: the first fire at or after a candidate of the
  // chain from `previousFire` is the first one of the chain from the trigger's last fire before the
  // candidate (a chain continues from any of its fires exactly as from its start), so a trigger
  // that walks its chain walks it once per search, not once per round.
  const search = (previousFire: Instant | undefined, now: Instant): Instant | undefined => {
    let candidate: Instant | undefined
    const at: Array<Instant | undefined> = []
    for (let round = 0; round < AND_MAX_ROUNDS; round++) {
      let min = Infinity
      let max = -Infinity
      for (let i = 0; i < triggers.length; i++) {
        const t = triggers[i]!
        let f: Instant | undefined
        if (candidate === undefined) f = t.next(previousFire, now)
        else if (previousFire === undefined) f = t.next(undefined, candidate)
        else f = at[i] = firstOfChainAtOrAfter(t, previousFire, at[i], candidate)
        if (f === undefined) return undefined
        if (f < min) min = f
        if (f > max) max = f
      }
      if (min === max) return min
      candidate = max
    }
    return undefined
  }
  // The chain from `p` is the intersection of the triggers' chains from `p` (each continues from
  // a common fire exactly as from `p`): found from `target` without visiting the fires before it.
  /** The first common fire at or after `from` of the chains from `p`. */
  const commonAtOrAfter = (p: Instant, from: Instant): Instant | undefined => {
    let candidate = from
    const at: Array<Instant | undefined> = []
    for (let round = 0; round < AND_MAX_ROUNDS; round++) {
      let min = Infinity
      let max = -Infinity
      for (let i = 0; i < triggers.length; i++) {
        const f = at[i] = firstOfChainAtOrAfter(triggers[i]!, p, at[i], candidate)
        if (f === undefined) return undefined
        if (f < min) min = f
        if (f > max) max = f
      }
      if (min === max) return min
      candidate = max
    }
    return undefined
  }
  /** The last common fire before `before` of the chains from `p`; `null` when the search gave up. */
  const commonBefore = (p: Instant, before: Instant): Instant | undefined | null => {
    let bound = before
    const lasts: Array<Instant> = []
    for (let round = 0; round < AND_MAX_ROUNDS; round++) {
      let min = Infinity
      for (let i = 0; i < triggers.length; i++) {
        const l = triggers[i]!.fastForward(p, bound).last
        if (l === undefined) return undefined
        lasts[i] = l
        if (l < min) min = l
      }
      let common = true
      for (let i = 0; common && i < triggers.length; i++) {
        if (lasts[i] !== min && triggers[i]!.fastForward(p, min).next !== min) common = false
      }
      if (common) return min
      bound = min
    }
    return null
  }
  // a trigger of unknown shape (a plugin, an `or` with interval triggers) may have to walk its
  // chain to answer each `last` the backwards search asks for: the chain of the `and` is walked
  const walkOnly = triggers.some((t) => shapeOf(t) === undefined)
  const self: CompiledTrigger = {
    spec,
    timezone,
    jitter,
    next: (previousFire, now, jitterSample) => applyJitter(search(previousFire, now), jitter, jitterSample),
    fastForward: (previousFire, target) => {
      if (walkOnly || !Number.isFinite(previousFire) || Number.isNaN(target)) return iterateFastForward(search, previousFire, target)
      // each part is searched when first read (an enclosing `and` reads only `next`)
      let walked: FastForward | undefined
      const walk = () => (walked ??= iterateFastForward(search, previousFire, target))
      let before: Instant | undefined | null | typeof UNREAD = UNREAD
      let next: Instant | undefined | typeof UNREAD = UNREAD
      let count: number | undefined
      const last = (): Instant | undefined => {
        if (before === UNREAD) before = commonBefore(previousFire, target)
        return before === null ? walk().last : before
      }
      return {
        get count() {
          return (count ??= last() === undefined ? 0 : walk().count)
        },
        get last() {
          return last()
        },
        get next() {
          if (next === UNREAD) next = commonAtOrAfter(previousFire, target)
          return next
        }
      }
    },
    toString: () => `and[${triggers.map(String).join(", ")}]`
  }
  // an `and` of one trigger is that trigger
  if (triggers.length === 1) {
    const shape = shapeOf(triggers[0]!)
    return shape === undefined ? self : withShape(self, shape)
  }
  return triggers.every(isSet) ? withShape(self, SET) : self
}

/** The triggers an `or` trigger takes the earliest of (nested `or`s flattened). */
const orMembers = new WeakMap<CompiledTrigger, ReadonlyArray<CompiledTrigger>>()

type Step = Extract<ChainShape, { kind: "step" }>

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
  // an `or` inside an `or` takes the earliest of its own members: the same as taking them directly
  const members = triggers.flatMap((t) => orMembers.get(t) ?? [t])
  const sets: Array<CompiledTrigger> = []
  const steps: Array<Step> = []
  let walk = false
  for (const t of members) {
    const shape = shapeOf(t)
    if (shape === undefined) walk = true
    else if (shape.kind === "set") sets.push(t)
    else steps.push(shape)
  }
  steps.sort((a, b) => a.intervalUs - b.intervalUs)

  const fastForward = (previousFire: Instant, target: Instant): FastForward => {
    if (walk || !Number.isFinite(previousFire) || Number.isNaN(target)) return iterateFastForward(earliest, previousFire, target)
    // the cron/date members: their chains' union (every one of its fires is a fire of the `or`)
    let lastSet: Instant | undefined
    let nextSet: Instant | undefined
    let only: FastForward | undefined
    for (const t of sets) {
      const ff = t.fastForward(previousFire, target)
      only = ff
      if (ff.last !== undefined && (lastSet === undefined || ff.last > lastSet)) lastSet = ff.last
      if (ff.next !== undefined && (nextSet === undefined || ff.next < nextSet)) nextSet = ff.next
    }
    // the interval members step from the union's last fire before the target (or from
    // `previousFire`): by the smallest interval whose trigger is not past its end date
    let from = toMicros(lastSet ?? previousFire)
    let stepped = 0
    let lastStep: Instant | undefined
    let nextStep: Instant | undefined
    for (const s of steps) {
      const i = s.intervalUs
      const at = (k: number) => toMillis(addMul(from, i, k))
      if (s.end !== undefined && !(at(1) <= s.end)) continue // past its end date, for good
      // kT: steps before the target; kE: steps up to the end date (estimates made exact)
      let kT = target === Infinity ? Infinity : Math.max(0, Math.ceil((target * 1000 - from) / i) - 1)
      if (kT !== Infinity) {
        for (let n = 0; n < 4 && kT > 0 && at(kT) >= target; n++) kT--
        for (let n = 0; n < 4 && at(kT + 1) < target; n++) kT++
      }
      let kE = Infinity
      if (s.end !== undefined) {
        kE = Math.max(1, Math.floor((s.end * 1000 - from) / i))
        for (let n = 0; n < 4 && kE > 1 && at(kE) > s.end; n++) kE--
        for (let n = 0; n < 4 && at(kE + 1) <= s.end; n++) kE++
      }
      const k = Math.min(kT, kE)
      if (k === Infinity) return { count: Infinity, last: undefined, next: undefined }
      if (k > 0) {
        from = addMul(from, i, k)
        lastStep = toMillis(from)
        stepped += k
      }
      if (kT < kE) {
        nextStep = toMillis(addMul(from, i, 1))
        break
      }
      // this trigger reached its end date: the next larger interval takes over from here
    }
    const last = lastStep ?? lastSet
    const next = nextStep === undefined ? nextSet : nextSet === undefined ? nextStep : Math.min(nextStep, nextSet)
    if (sets.length === 0) return { count: stepped, last, next }
    if (last === undefined) return { count: 0, last, next }
    if (steps.length === 0 && sets.length === 1) return lazyCount(() => only!.count, last, next)
    // a union of chains may overlap (a fire shared by two members counts once): count by walking
    return lazyCount(() => iterateFastForward(earliest, previousFire, target).count, last, next)
  }

  const self: CompiledTrigger = {
    spec,
    timezone,
    jitter,
    next: (previousFire, now, jitterSample) => applyJitter(earliest(previousFire, now), jitter, jitterSample),
    fastForward,
    toString: () => `or[${triggers.map(String).join(", ")}]`
  }
  orMembers.set(self, members)
  // an `or` of one trigger is that trigger
  if (members.length === 1) {
    const shape = shapeOf(members[0]!)
    return shape === undefined ? self : withShape(self, shape)
  }
  return !walk && steps.length === 0 ? withShape(self, SET) : self
}
