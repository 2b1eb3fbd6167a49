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
import { readBounds, resolveZone } from "./internal/specCommon.js"
import { applyJitter, type CompiledTrigger, type Instant } from "./Trigger.js"

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
  jitter: Schema.optional(Amount)
})

/**
 * The encoded (JSON) form of an interval trigger spec.
 *
 * @since 0.1.0
 * @category models
 */
export type IntervalTriggerSpec = typeof IntervalTriggerSpec.Type

/**
 * The interval of a spec in milliseconds; 0 becomes 1 s as in APScheduler.
 *
 * @since 0.1.0
 * @category utils
 */
export const intervalMillis = (spec: IntervalTriggerSpec): number => {
  const seconds = (spec.weeks ?? 0) * 604_800 + (spec.days ?? 0) * 86_400 + (spec.hours ?? 0) * 3600 +
    (spec.minutes ?? 0) * 60 + (spec.seconds ?? 0)
  // APScheduler keeps whole microseconds (timedelta)
  const micros = Math.round(seconds * 1e6)
  return micros === 0 ? 1000 : micros / 1000
}

/** Python's `str(timedelta)`: `1 day, 2:03:04.500000`. */
const formatTimedelta = (ms: number): string => {
  const totalMicros = Math.round(ms * 1000)
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
 * Compiles an interval trigger spec.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileInterval = (spec: IntervalTriggerSpec): Either.Either<CompiledTrigger, TriggerError> => {
  const timezone = spec.timezone ?? "UTC"
  const zone = resolveZone(timezone)
  if (Either.isLeft(zone)) return Either.left(zone.left)
  const interval = intervalMillis(spec)
  if (!Number.isFinite(interval) || interval > 8.64e15) {
    return Either.left(new TriggerError({ field: "interval", reason: "the interval is too long" }))
  }
  const bounds = readBounds(spec, zone.right)
  if (Either.isLeft(bounds)) return Either.left(bounds.left)
  const { end, start } = bounds.right
  const jitter = spec.jitter
  const bounded = (t: Instant): Instant | undefined => (end === undefined || t <= end ? t : undefined)
  return Either.right({
    spec,
    timezone,
    jitter,
    next: (previousFire, now, jitterSample) => {
      let fire: Instant
      if (previousFire !== undefined) fire = previousFire + interval
      else if (start === undefined) fire = now + interval
      else if (start > now) fire = start
      else fire = start + interval * Math.ceil((now - start) / interval)
      return bounded(applyJitter(fire, jitter, jitterSample)!)
    },
    fastForward: (previousFire, target) => {
      // chain: previousFire + k * interval, k >= 1, while <= end
      let count = target > previousFire ? Math.ceil((target - previousFire) / interval) - 1 : 0
      if (end !== undefined) count = Math.min(count, Math.max(0, Math.floor((end - previousFire) / interval)))
      const last = count > 0 ? previousFire + count * interval : undefined
      return { count, last, next: bounded(previousFire + (count + 1) * interval) }
    },
    toString: () => `interval[${formatTimedelta(interval)}]`
  })
}
