/**
 * What every trigger spec reads the same way: its time zone and its start/end dates.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { TriggerError } from "../../errors.js"
import { type Instant, MAX_DURATION_SECONDS } from "../Trigger.js"
import { parseDateInput } from "./dates.js"
import { getZone, type Zone } from "./zone.js"

/** The spec's zone (`"UTC"` when it names none), or a `TriggerError` on `timezone`. */
export const resolveZone = (timezone: unknown): Either.Either<Zone, TriggerError> => {
  const name = timezone ?? "UTC"
  const zone = typeof name === "string" ? getZone(name) : undefined
  return zone === undefined
    ? Either.left(new TriggerError({ field: "timezone", reason: `Unknown time zone ${JSON.stringify(name)}` }))
    : Either.right(zone)
}

/** A spec's `startDate` and `endDate`, read in `zone`. */
export interface Bounds {
  readonly start: Instant | undefined
  readonly end: Instant | undefined
}

/** Reads `startDate` / `endDate` of a spec (each optional) in `zone`. */
export const readBounds = (
  spec: { readonly startDate?: unknown; readonly endDate?: unknown },
  zone: Zone
): Either.Either<Bounds, TriggerError> => {
  const read = (value: unknown, field: string) =>
    value === undefined ? Either.right(undefined) : parseDateInput(value, field, zone)
  return Either.flatMap(read(spec.startDate, "startDate"), (start) =>
    Either.map(read(spec.endDate, "endDate"), (end) => ({ start, end })))
}

/** A jitter in seconds: 0 up to `MAX_DURATION_SECONDS`. */
export const JitterSeconds = Schema.Number.pipe(
  Schema.finite(),
  Schema.nonNegative(),
  Schema.lessThanOrEqualTo(MAX_DURATION_SECONDS, {
    message: () => `a jitter is at most ${MAX_DURATION_SECONDS} seconds (100 years)`
  })
)

/** `misfire_grace_time` → `misfireGraceTime` (camelCase keys are unchanged). */
export const camelCase = (key: string): string =>
  key.includes("_") ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key

/** The edit distance of two short strings (case-insensitive). */
export const distance = (a: string, b: string): number => {
  a = a.toLowerCase()
  b = b.toLowerCase()
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}

/** "; did you mean `x`?" for the allowed key closest to `key` (at most two edits away), else "". */
export const didYouMean = (key: string, allowed: ReadonlyArray<string>): string => {
  const camel = camelCase(key)
  let best: string | undefined
  let bestDistance = 3
  for (const k of allowed) {
    const d = distance(camel, k)
    if (d < bestDistance) {
      best = k
      bestDistance = d
    }
  }
  return best === undefined ? "" : `; did you mean \`${best}\`?`
}
