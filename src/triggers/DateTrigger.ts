/**
 * A trigger that fires once. APScheduler: `DateTrigger`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { DateTime } from "luxon"
import { TriggerError } from "../errors.js"
import { SET, withShape } from "./internal/chainShape.js"
import { parseDateInput } from "./internal/dates.js"
import { resolveZone } from "./internal/specCommon.js"
import type { CompiledTrigger, Instant } from "./Trigger.js"

/**
 * `{ type: "date", runDate, timezone }`: fire once at `runDate` (a date string read in `timezone`,
 * or an ISO string with its offset).
 *
 * @since 0.1.0
 * @category models
 */
export const DateTriggerSpec = Schema.Struct({
  type: Schema.Literal("date"),
  runDate: Schema.String,
  timezone: Schema.optional(Schema.String)
})

/**
 * The encoded (JSON) form of a date trigger spec.
 *
 * @since 0.1.0
 * @category models
 */
export type DateTriggerSpec = typeof DateTriggerSpec.Type

/**
 * Formats an instant as APScheduler prints datetimes in `str(trigger)`: `2024-06-01 12:00:00 EDT`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatInstant = (instant: Instant, timezone: string): string => {
  const dt = DateTime.fromMillis(instant, { zone: timezone })
  return dt.isValid ? dt.toFormat("yyyy-MM-dd HH:mm:ss ZZZZ") : new Date(instant).toISOString()
}

/**
 * Compiles a date trigger spec. `get_next_fire_time(None, now)` is the run date even when it is in
 * the past (the scheduler's misfire planning decides what to do with it); after it, nothing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileDate = (spec: DateTriggerSpec): Either.Either<CompiledTrigger, TriggerError> => {
  const timezone = spec.timezone ?? "UTC"
  return Either.map(Either.flatMap(resolveZone(timezone), (zone) => parseDateInput(spec.runDate, "runDate", zone)), (runDate): CompiledTrigger => withShape<CompiledTrigger>({
    spec,
    timezone,
    jitter: undefined,
    next: (previousFire) => (previousFire === undefined ? runDate : undefined),
    fastForward: () => ({ count: 0, last: undefined, next: undefined }),
    toString: () => `date[${formatInstant(runDate, timezone)}]`
  }, SET))
}
