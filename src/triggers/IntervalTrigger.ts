/**
 * A trigger that fires at a fixed interval. APScheduler: `IntervalTrigger`.
 *
 * The interval is an absolute duration (`days: 1` is exactly 86,400 s, so across a DST change the
 * wall-clock time moves by the change); DST rules of cron triggers do not apply.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { TriggerError } from "../errors.js"
import { type ChainShape, SHAPE, shapeOf, withShape } from "./internal/chainShape.js"
import { encodeInstant } from "./internal/dates.js"
import { addMul, timedeltaMicros, timedeltaSeconds, toMicros, toMillis } from "./internal/micros.js"
import { JitterSeconds, readBounds, resolveZone } from "./internal/specCommon.js"
import { applyJitter, type CompiledTrigger, type FastForward, type Instant } from "./Trigger.js"

const Amount = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())

/**
 * `{ type: "interval", weeks, days, hours, minutes, seconds, startDate, endDate, timezone, jitter }`.
 * Without `startDate` the first fire is one interval after `now` of the first `next` call; the
 * scheduler fills `startDate` when a job is added so that a stored job keeps its phase.
 *
 * @since 0.1.0
 * @category models
 */
export const IntervalTriggerSpec = Schema.Struct({
  type: Schema.Literal("interval"),
  weeks: Schema.optional(Amount),
  days: Schema.optional(Amount),
  hours: Schema.optional(Amount),
  minutes: Schema.optional(Amount),
  seconds: Schema.optional(Amount),
  startDate: Schema.optional(Schema.String),
  endDate: Schema.optional(Schema.String),
  timezone: Schema.optional(Schema.String),
  jitter: Schema.optional(JitterSeconds)
})

/**
 * The encoded (JSON) form of an interval trigger spec.
 *
 * @since 0.1.0
 * @category models
 */
export type IntervalTriggerSpec = typeof IntervalTriggerSpec.Type

/**
 * The interval of a spec in whole microseconds, exactly as Python's `timedelta(weeks=…, days=…,
 * hours=…, minutes=…, seconds=…)` builds it (fractions rounded to the microsecond, half to even);
 * 0 becomes 1 s as in APScheduler.
 *
 * @since 0.1.0
 * @category utils
 */
export const intervalMicros = (spec: IntervalTriggerSpec): number => {
  const { days, hours, minutes, seconds, weeks } = spec
  // whole numbers (the common case): exact in doubles below 2^53 µs, no BigInt needed
  const whole = (weeks ?? 0) * 604_800_000_000 + (days ?? 0) * 86_400_000_000 + (hours ?? 0) * 3_600_000_000 +
    (minutes ?? 0) * 60_000_000 + (seconds ?? 0) * 1_000_000
  const micros = Number.isSafeInteger(whole) && [weeks, days, hours, minutes, seconds].every((v) => v === undefined || Number.isInteger(v))
    ? whole
    : Number(timedeltaMicros(spec))
  return micros === 0 ? 1_000_000 : micros
}

/**
 * The interval of a spec in milliseconds (whole microseconds as a fraction); 0 becomes 1 s as in
 * APScheduler.
 *
 * @since 0.1.0
 * @category utils
 */
export const intervalMillis = (spec: IntervalTriggerSpec): number => toMillis(intervalMicros(spec))

/** Python's `str(timedelta)`: `1 day, 2:03:04.500000`. */
const formatTimedelta = (totalMicros: number): string => {
  const days = Math.floor(totalMicros / 86_400_000_000)
  let rest = totalMicros - days * 86_400_000_000
  const h = Math.floor(rest / 3_600_000_000)
  rest -= h * 3_600_000_000
  const m = Math.floor(rest / 60_000_000)
  rest -= m * 60_000_000
  const s = Math.floor(rest / 1_000_000)
  const us = rest - s * 1_000_000
  const clock = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}${us ? "." + String(us).padStart(6, "0") : ""}`
  return days ? `${days} day${days === 1 ? "" : "s"}, ${clock}` : clock
}

/**
 * Compiles an interval trigger spec. Fire times are whole microseconds, computed as APScheduler
 * computes them: `start + interval * ceil(timedelta_seconds(now - start) / interval_length)` (the
 * quotient in floating point, as APScheduler does, the product exact), then `previous + interval`
 * exactly, so every fire time equals APScheduler's to the microsecond and a long chain never drifts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileInterval = (spec: IntervalTriggerSpec): Either.Either<CompiledTrigger, TriggerError> => {
  const timezone = spec.timezone ?? "UTC"
  const zone = resolveZone(timezone)
  if (Either.isLeft(zone)) return Either.left(zone.left)
  const interval = intervalMicros(spec)
  if (!Number.isFinite(interval) || interval > 8.64e18) {
    return Either.left(new TriggerError({ field: "interval", reason: "the interval is too long" }))
  }
  const length = timedeltaSeconds(interval)
  const bounds = readBounds(spec, zone.right)
  if (Either.isLeft(bounds)) return Either.left(bounds.left)
  const { end, start } = bounds.right
  return Either.right(new CompiledInterval(spec, timezone, spec.jitter, interval, length, start, end, { kind: "step", intervalUs: interval, end }))
}

/**
 * An interval trigger without a start, placed at `start` (`startDate`: that instant as its spec
 * holds it, which reads back as `start`): the trigger `compileInterval` gives for the spec with that
 * `startDate`, sharing the compiled parts (interval, zone, end, shape) instead of compiling them
 * again. `undefined` when `trigger` is not such a trigger.
 *
 * @internal
 */
export const placeAt = (trigger: CompiledTrigger, start: Instant, startDate: string): CompiledTrigger | undefined =>
  trigger instanceof CompiledInterval ? trigger.placeAt(start, startDate) : undefined

/**
 * An interval trigger without a start (`template`), started one interval after `now` (APScheduler:
 * `start_date = now + interval`): what `compileInterval` gives for the template's spec with that
 * `startDate`, as a small record (the template and the start). Its spec, with `startDate` formatted
 * in the trigger's zone, is made when first read (a memory store never reads it). `undefined` when
 * `template` is not such a trigger, or the start is not a whole millisecond within the range of a
 * `Date` (the general path then decides).
 *
 * @internal
 */
export const startedAt = (template: CompiledTrigger, now: Instant): CompiledTrigger | undefined =>
  template instanceof CompiledInterval ? template.startedAt(now) : undefined

/**
 * A compiled interval trigger: its numbers as fields and its methods on the prototype (a job
 * store holds one per interval job whose start is its own: a small object, no closures).
 */
class CompiledInterval implements CompiledTrigger {
  readonly #startUs: number | undefined
  constructor(
    readonly spec: IntervalTriggerSpec,
    readonly timezone: string,
    readonly jitter: number | undefined,
    /** The interval in whole microseconds. */
    private readonly interval: number,
    /** APScheduler's interval_length: timedelta_seconds(interval), a float. */
    private readonly length: number,
    private readonly start: Instant | undefined,
    private readonly end: Instant | undefined,
    private readonly shape: ChainShape
  ) {
    this.#startUs = start === undefined ? undefined : toMicros(start)
    withShape(this, shape)
  }

  /** This trigger (one without a start) started at `start`; `undefined` when it has a start. */
  placeAt(start: Instant, startDate: string): CompiledTrigger | undefined {
    if (this.start !== undefined || this.spec.startDate !== undefined) return undefined
    // not `{ ...spec, startDate }`: V8 gives each object made so its own hidden class (~300 bytes)
    const spec: { -readonly [K in keyof IntervalTriggerSpec]: IntervalTriggerSpec[K] } = Object.assign({}, this.spec)
    spec.startDate = startDate
    return new CompiledInterval(spec, this.timezone, this.jitter, this.interval, this.length, start, this.end, this.shape)
  }

  /** This trigger (one without a start) started one interval after `now`; see {@link startedAt}. */
  startedAt(now: Instant): CompiledTrigger | undefined {
    if (this.start !== undefined || this.spec.startDate !== undefined) return undefined
    const start = toMillis(toMicros(now) + this.interval)
    if (!Number.isSafeInteger(start) || Math.abs(start) > 8.64e15) return undefined
    return new StartedInterval(this, start)
  }

  /** The first fire time (or the next one after `previousFire`) of this trigger started at `startUs`. */
  nextFrom(start: Instant | undefined, startUs: number | undefined, previousFire: Instant | undefined, now: Instant, jitterSample?: number): Instant | undefined {
    let fire: Instant
    if (previousFire !== undefined) fire = this.fireAt(toMicros(previousFire), 1)
    else {
      const nowUs = toMicros(now)
      if (startUs === undefined) fire = this.fireAt(nowUs, 1)
      else if (startUs > nowUs) fire = start!
      else fire = this.fireAt(startUs, Math.ceil(timedeltaSeconds(nowUs - startUs) / this.length))
    }
    return this.bounded(applyJitter(fire, this.jitter, jitterSample)!)
  }

  private bounded(t: Instant): Instant | undefined {
    return Number.isFinite(t) && (this.end === undefined || t <= this.end) ? t : undefined
  }

  /** The k-th fire time after `fromUs` (k >= 0). */
  private fireAt(fromUs: number, k: number): Instant {
    return toMillis(addMul(fromUs, this.interval, k))
  }

  next(previousFire: Instant | undefined, now: Instant, jitterSample?: number): Instant | undefined {
    return this.nextFrom(this.start, this.#startUs, previousFire, now, jitterSample)
  }

  fastForward(previousFire: Instant, target: Instant): FastForward {
    const { end, interval } = this
    // the chain: fireAt(p, k) for k >= 1 while <= end; count those < target
    const p = toMicros(previousFire)
    if (!Number.isFinite(p) || Number.isNaN(target)) return { count: 0, last: undefined, next: undefined }
    // kNext: the first k >= 1 whose fire time is >= target (estimated, then made exact)
    let kNext: number
    if (target === Infinity) kNext = Infinity
    else {
      // the estimate is off by at most one or two steps (float rounding): a few corrections suffice
      kNext = Math.max(1, Math.ceil((target * 1000 - p) / interval))
      for (let i = 0; i < 4 && kNext > 1 && this.fireAt(p, kNext - 1) >= target; i++) kNext--
      for (let i = 0; i < 4 && this.fireAt(p, kNext) < target; i++) kNext++
    }
    // kEnd: the last k whose fire time is <= end
    let kEnd = Infinity
    if (end !== undefined) {
      kEnd = Math.max(0, Math.floor((end * 1000 - p) / interval))
      for (let i = 0; i < 4 && kEnd > 0 && this.fireAt(p, kEnd) > end; i++) kEnd--
      for (let i = 0; i < 4 && this.fireAt(p, kEnd + 1) <= end; i++) kEnd++
    }
    const count = Math.min(kNext - 1, kEnd)
    if (count === Infinity) return { count, last: undefined, next: undefined }
    return {
      count,
      last: count > 0 ? this.fireAt(p, count) : undefined,
      next: kNext <= kEnd ? this.fireAt(p, kNext) : undefined
    }
  }

  toString(): string {
    return `interval[${formatTimedelta(this.interval)}]`
  }
}

/**
 * An interval trigger started at its job's add ({@link startedAt}): its template (the compiled
 * interval without a start, shared by the jobs added with the same options) and its start. It
 * behaves as `compileInterval` of the template's spec with that `startDate`; the spec is made
 * when first read.
 */
class StartedInterval implements CompiledTrigger {
  #spec: IntervalTriggerSpec | undefined
  constructor(private readonly template: CompiledInterval, private readonly start: Instant) {}

  get spec(): IntervalTriggerSpec {
    if (this.#spec === undefined) {
      const zone = Either.getOrThrow(resolveZone(this.template.timezone))
      // a start within the range of a Date (checked by `startedAt`) always formats
      const startDate = Either.getOrThrow(encodeInstant(this.start, "startDate", zone))
      // not `{ ...spec, startDate }`: V8 gives each object made so its own hidden class (~300 bytes)
      const spec: { -readonly [K in keyof IntervalTriggerSpec]: IntervalTriggerSpec[K] } = Object.assign({}, this.template.spec)
      spec.startDate = startDate
      this.#spec = spec
    }
    return this.#spec
  }

  get timezone(): string {
    return this.template.timezone
  }

  get jitter(): number | undefined {
    return this.template.jitter
  }

  /** A started interval has its template's chain shape (`chainShape.ts`). */
  get [SHAPE](): ChainShape | undefined {
    return shapeOf(this.template)
  }

  next(previousFire: Instant | undefined, now: Instant, jitterSample?: number): Instant | undefined {
    return this.template.nextFrom(this.start, toMicros(this.start), previousFire, now, jitterSample)
  }

  fastForward(previousFire: Instant, target: Instant): FastForward {
    // the chain after a fire does not depend on the start
    return this.template.fastForward(previousFire, target)
  }

  toString(): string {
    return this.template.toString()
  }
}
