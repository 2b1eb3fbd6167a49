/**
 * Date inputs of trigger specs, read exactly as APScheduler 3.9 reads them
 * (`apscheduler/util.py` `convert_to_datetime` with `_DATE_REGEX`).
 *
 * - A string `YYYY-M-D`, optionally followed by a space or `T` and `H:M:S`, an optional `.ffffff`
 *   and an optional `Z` or `±HH:MM`. A date alone means midnight.
 * - Without an offset the string is a wall time in the trigger's zone, read like pytz
 *   `localize(is_dst=False)`: a time inside a gap is shifted forward by the gap length, an ambiguous
 *   one is the standard-time occurrence (the one whose DST offset is zero: the later one, but the
 *   earlier one where tzdata has negative DST — Europe/Dublin every October since 1971,
 *   Africa/Windhoek 1994–2017, Africa/Casablanca at Ramadan since 2019; see `zone.ts`). An explicit
 *   offset wins over the zone.
 * - A JS `Date` or a luxon `DateTime` is an instant as it is.
 * - A bare number is rejected: seconds or milliseconds cannot be told apart.
 *
 * @internal
 */
import * as Either from "effect/Either"
import { DateTime } from "luxon"
import { TriggerError } from "../../errors.js"
import type { Instant } from "../Trigger.js"
import { toMicros } from "./micros.js"
import type { Zone } from "./zone.js"

const DATE_REGEX =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)?)?$/

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

const fail = (field: string, reason: string) => Either.left(new TriggerError({ field, reason }))

/** The wall-clock reading and optional fixed offset of an APScheduler date string. */
export interface ParsedDateString {
  /** Wall clock as ms since the epoch as if UTC (may carry microseconds as a fraction). */
  readonly wall: number
  /** Explicit UTC offset in minutes, when the string has one. */
  readonly offsetMinutes: number | undefined
}

/** Parses an APScheduler date string into a wall-clock reading (no zone applied yet). */
export const parseDateString = (text: string, field: string): Either.Either<ParsedDateString, TriggerError> => {
  const m = DATE_REGEX.exec(text)
  if (m === null) return fail(field, `Invalid date string ${JSON.stringify(text.length > 80 ? text.slice(0, 80) + "…" : text)}`)
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = m[4] === undefined ? 0 : Number(m[4])
  const minute = m[5] === undefined ? 0 : Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  // exactly as APScheduler 3.9 reads it: the digits are a whole number of microseconds, so ".5"
  // is 5 µs and only six digits mean what ISO 8601 means ("2024-01-01 09:00:00.500000" = 500 ms).
  // `encodeDateInput` therefore always writes six digits.
  const micro = m[7] === undefined ? 0 : Number(m[7])
  if (year < 1) return fail(field, `year ${year} is out of range`)
  if (month < 1 || month > 12) return fail(field, "month must be in 1..12")
  if (day < 1 || day > daysInMonth(year, month)) return fail(field, "day is out of range for month")
  if (hour > 23) return fail(field, "hour must be in 0..23")
  if (minute > 59) return fail(field, "minute must be in 0..59")
  if (second > 59) return fail(field, "second must be in 0..59")
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(hour, minute, second, 0)
  const wall = d.getTime() + micro / 1000
  let offsetMinutes: number | undefined
  const tz = m[8]
  if (tz === "Z") offsetMinutes = 0
  else if (tz !== undefined) {
    const sign = tz[0] === "-" ? -1 : 1
    const hh = Number(tz.slice(1, 3))
    const mm = Number(tz.slice(4, 6))
    if (hh > 23 || mm > 59) return fail(field, `Invalid UTC offset ${JSON.stringify(tz)}`)
    offsetMinutes = sign * (hh * 60 + mm)
  }
  return Either.right({ wall, offsetMinutes })
}

/**
 * Reads a date input (string, `Date`, luxon `DateTime`) as an Instant; wall times without an
 * offset are read in `zone`. Microseconds are kept as a fraction of a millisecond.
 */
export const parseDateInput = (value: unknown, field: string, zone: Zone): Either.Either<Instant, TriggerError> => {
  if (typeof value === "string") {
    return Either.map(parseDateString(value, field), ({ offsetMinutes, wall }) =>
      offsetMinutes === undefined ? zone.toInstant(wall, "standard") : wall - offsetMinutes * 60_000
    )
  }
  if (value instanceof Date) {
    const t = value.getTime()
    return Number.isFinite(t) ? Either.right(t) : fail(field, "Invalid Date")
  }
  if (DateTime.isDateTime(value)) {
    return value.isValid ? Either.right(value.toMillis()) : fail(field, `Invalid DateTime: ${value.invalidExplanation ?? value.invalidReason}`)
  }
  return rejectOther(value, field)
}

const rejectOther = (value: unknown, field: string) =>
  typeof value === "number" || typeof value === "bigint"
    ? fail(field, "a bare number is ambiguous (seconds or milliseconds?): pass a date string, a Date or a luxon DateTime")
    : fail(field, `Unsupported type for ${field}: ${value === null ? "null" : typeof value}`)

/**
 * A date input as the ISO string stored in an encoded spec: strings are kept as given (they are
 * read in the trigger's zone), `Date`s and `DateTime`s become ISO strings with their offset.
 */
export const encodeDateInput = (value: unknown, field: string, zone: Zone | undefined): Either.Either<string, TriggerError> => {
  if (typeof value === "string") return Either.map(parseDateString(value, field), () => value)
  if (value instanceof Date || DateTime.isDateTime(value)) {
    const ms = value instanceof Date ? value.getTime() : value.toMillis()
    if (!Number.isFinite(ms)) return fail(field, "Invalid date")
    // six fraction digits: APScheduler's reading of fractions (whole microseconds) and ISO's agree
    return Either.right(formatIso(ms, "000", zone) ?? luxonIso(ms, "000", zone))
  }
  return rejectOther(value, field)
}

/**
 * An instant (epoch ms, microseconds as a fraction) as an ISO string with six fraction digits and
 * the offset of `zone`, so that reading it back gives the same whole microseconds.
 */
export const encodeInstant = (instant: Instant, field: string, zone: Zone | undefined): Either.Either<string, TriggerError> => {
  const us = toMicros(instant)
  if (!Number.isFinite(us)) return fail(field, "Invalid date")
  const ms = Math.floor(us / 1000)
  const sub = String(us - ms * 1000).padStart(3, "0")
  const fast = formatIso(ms, sub, zone)
  if (fast !== undefined) return Either.right(fast)
  const dt = DateTime.fromMillis(ms, { zone: zone?.name ?? "UTC" })
  const valid = dt.isValid ? dt : DateTime.fromMillis(ms, { zone: "UTC" })
  return valid.isValid ? Either.right(valid.toFormat(`yyyy-MM-dd'T'HH:mm:ss.SSS'${sub}'ZZ`)) : fail(field, "Invalid date")
}

const pad2 = (n: number): string => (n < 10 ? "0" + n : String(n))

/**
 * `yyyy-MM-dd'T'HH:mm:ss.SSS<sub>ZZ` of whole milliseconds `ms` in `zone` (UTC when none) from the
 * zone's offset cache, without luxon: the hot path of adding interval jobs. `undefined` (use
 * luxon) for years outside 1000–9999 and offsets that are not whole minutes.
 */
const formatIso = (ms: number, sub: string, zone: Zone | undefined): string | undefined => {
  const offset = zone === undefined ? 0 : zone.offsetAt(ms)
  if (!Number.isFinite(offset) || offset % 60_000 !== 0) return undefined
  const d = new Date(ms + offset)
  const year = d.getUTCFullYear()
  if (!(year >= 1000 && year <= 9999)) return undefined
  const minutes = Math.abs(offset) / 60_000
  const milli = d.getUTCMilliseconds()
  // joined, not concatenated: a flat string (a concatenation is a rope of every piece, ~20x the size)
  return [
    year,
    "-",
    pad2(d.getUTCMonth() + 1),
    "-",
    pad2(d.getUTCDate()),
    "T",
    pad2(d.getUTCHours()),
    ":",
    pad2(d.getUTCMinutes()),
    ":",
    pad2(d.getUTCSeconds()),
    ".",
    milli < 10 ? "00" : milli < 100 ? "0" : "",
    milli,
    sub,
    offset < 0 ? "-" : "+",
    pad2(Math.floor(minutes / 60)),
    ":",
    pad2(minutes % 60)
  ].join("")
}

/** {@link formatIso} by luxon (any year, any offset). */
const luxonIso = (ms: number, sub: string, zone: Zone | undefined): string => {
  const dt = DateTime.fromMillis(ms, { zone: zone?.name ?? "UTC" })
  return (dt.isValid ? dt : DateTime.fromMillis(ms, { zone: "UTC" })).toFormat(`yyyy-MM-dd'T'HH:mm:ss.SSS'${sub}'ZZ`)
}
