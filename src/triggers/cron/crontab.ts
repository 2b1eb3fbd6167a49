/**
 * Five-field crontab text mapped onto cron trigger fields, in two flavors:
 *
 * - `"apscheduler"`: APScheduler 3.9's `CronTrigger.from_crontab` — the five whitespace-separated
 *   fields are passed through as text (minute hour day month day_of_week; 0 = Monday; day and
 *   day_of_week ANDed; no macros).
 * - `"standard"`: what cron users expect, parsed and validated by cron-parser (macros `@yearly`
 *   `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly`; 0 and 7 = Sunday; `L` in the
 *   day of month; `5L` and `5#3` in the day of week; overlapping list items such as `0,7`); as in
 *   Vixie cron / cronie, a day matches if either day field does when neither field starts with `*`
 *   (marked `dayMatch: "or"` in the spec), else if both do (`0 0 *\/15 * mon`: the 1st, 16th and
 *   31st when they are Mondays). A day of month no month has (`0 0 30 2 *`) never fires.
 *
 * @internal
 */
import { CronExpressionParser } from "cron-parser"
import { WEEKDAYS } from "./expressions.js"

/** Field texts for a spec, or the reason the text is rejected. */
export type CrontabFields =
  | {
    readonly ok: true
    readonly minute: string
    readonly hour: string
    readonly day: string
    readonly month: string
    readonly dayOfWeek: string
    readonly dayMatch: "and" | "or" | undefined
  }
  | { readonly ok: false; readonly reason: string }

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *"
}

const ORDINALS = ["1st", "2nd", "3rd", "4th", "5th"] as const

const wrongCount = (n: number) => ({ ok: false as const, reason: `Wrong number of fields; got ${n}, expected 5` })

/** APScheduler's `from_crontab`: `expr.split()` into exactly five fields. */
export const apschedulerCrontab = (text: string): CrontabFields => {
  const values = text.split(/\s+/).filter((v) => v.length > 0)
  if (values.length !== 5) return wrongCount(values.length)
  return { ok: true, minute: values[0]!, hour: values[1]!, day: values[2]!, month: values[3]!, dayOfWeek: values[4]!, dayMatch: undefined }
}

/** A sorted set of numbers as compact APScheduler expressions (`*`, `*\/n`, `a-b`, lists). */
const compress = (vals: ReadonlyArray<number>, min: number, max: number, label: (v: number) => string = String): string => {
  const sorted = [...new Set(vals)].sort((a, b) => a - b)
  if (sorted.length === max - min + 1) return "*"
  if (sorted.length >= 3 && sorted[0] === min) {
    const step = sorted[1]! - sorted[0]!
    let progression = step > 1
    for (let i = 2; progression && i < sorted.length; i++) progression = sorted[i]! - sorted[i - 1]! === step
    if (progression && sorted[sorted.length - 1]! + step > max && label === String) return `*/${step}`
  }
  const parts: Array<string> = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++
    parts.push(j > i ? `${label(sorted[i]!)}-${label(sorted[j]!)}` : label(sorted[i]!))
    i = j + 1
  }
  return parts.join(",")
}

const weekdayName = (v: number): string => WEEKDAYS[v]!

const FIELD_KEYS = ["minute", "hour", "dayOfMonth", "month", "dayOfWeek"] as const

interface ParsedField {
  readonly values: ReadonlyArray<unknown>
  readonly isWildcard: boolean
  readonly nthDay: number
}

type ParsedFields = Readonly<Record<(typeof FIELD_KEYS)[number], ParsedField>>

/** One field through cron-parser, the other four `*`. */
const parseOne = (index: number, text: string): ParsedField => {
  const parts = ["*", "*", "*", "*", "*"]
  parts[index] = text
  const field = CronExpressionParser.parse(parts.join(" "), { currentDate: new Date(0), tz: "UTC" }).fields[FIELD_KEYS[index]!]
  return { values: field.values, isWildcard: field.isWildcard, nthDay: "nthDay" in field ? field.nthDay : 0 }
}

/**
 * The five fields through cron-parser, each on its own: a day of month that no month in the
 * month field has (`0 0 30 2 *`) compiles to a trigger that never fires (ARCHITECTURE rule 6)
 * instead of failing; overlapping list items (`0,7`, `1-5,5`, `1,1`), valid cron that
 * cron-parser rejects as duplicates, are parsed item by item and merged.
 */
const parseFields = (parts: ReadonlyArray<string>): ParsedFields => {
  const out: Partial<Record<(typeof FIELD_KEYS)[number], ParsedField>> = {}
  FIELD_KEYS.forEach((key, i) => {
    const text = parts[i]!
    try {
      out[key] = parseOne(i, text)
    } catch (e) {
      if (!(e instanceof Error && /duplicate values/.test(e.message))) throw e
      const items = text.split(",").map((item) => parseOne(i, item))
      out[key] = { values: [...new Set(items.flatMap((f) => f.values))], isWildcard: false, nthDay: 0 }
    }
  })
  return out as ParsedFields
}

/** Standard (Vixie) crontab text through cron-parser. */
export const standardCrontab = (text: string): CrontabFields => {
  const trimmed = text.trim()
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed
  const parts = expanded.split(/\s+/).filter((v) => v.length > 0)
  if (parts.length !== 5) return wrongCount(parts.length)
  // cron-parser's `H` picks random values: a pure trigger cannot accept it
  if (parts.some((p) => /(?:^|[^a-z])h(?:[^a-z]|$)/i.test(p))) return { ok: false, reason: "Unsupported crontab syntax: H (hashed values)" }
  let fields: ParsedFields
  try {
    fields = parseFields(parts)
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) }
  }
  const unsupported = (what: string) => ({ ok: false as const, reason: `Unsupported crontab syntax in ${what}` })
  const nums = (vs: ReadonlyArray<unknown>): Array<number> | undefined =>
    vs.every((v) => typeof v === "number") ? (vs as Array<number>) : undefined

  const minutes = nums(fields.minute.values)
  const hours = nums(fields.hour.values)
  const months = nums(fields.month.values)
  if (minutes === undefined) return unsupported("minute")
  if (hours === undefined) return unsupported("hour")
  if (months === undefined) return unsupported("month")

  // day of month: numbers and L
  const domNums: Array<number> = []
  let domLast = false
  for (const v of fields.dayOfMonth.values as ReadonlyArray<unknown>) {
    if (typeof v === "number") domNums.push(v)
    else if (v === "L") domLast = true
    else return unsupported("day of month")
  }
  // day of week: numbers (0, 7 = Sunday), nL (last weekday of the month), n#k (nth weekday)
  const nth = fields.dayOfWeek.nthDay
  const plain: Array<number> = []
  const positional: Array<string> = []
  for (const v of fields.dayOfWeek.values as ReadonlyArray<unknown>) {
    const ours = (n: number) => (n + 6) % 7
    if (typeof v === "number") {
      if (nth > 0) {
        if (nth > 5) return unsupported("day of week")
        positional.push(`${ORDINALS[nth - 1]} ${weekdayName(ours(v))}`)
      } else plain.push(ours(v))
    } else if (typeof v === "string" && /^[0-7]L$/.test(v)) {
      positional.push(`last ${weekdayName(ours(Number(v[0])))}`)
    } else return unsupported("day of week")
  }
  const domWild = fields.dayOfMonth.isWildcard
  const dowWild = fields.dayOfWeek.isWildcard
  const domAll = !domLast && new Set(domNums).size === 31
  const plainAll = new Set(plain).size === 7
  // Vixie cron / cronie (DOM_STAR, DOW_STAR): the day fields are ORed only when neither starts with
  // `*` (`*/15` ANDs with the day of week); cron-parser's `?` is a `*`
  const starred = (text: string) => text.startsWith("*") || text.startsWith("?")
  const ored = !starred(parts[2]!) && !starred(parts[4]!)

  const dayParts: Array<string> = []
  if (!domWild) {
    if (domNums.length > 0) dayParts.push(compress(domNums, 1, 31))
    if (domLast) dayParts.push("last")
  }
  dayParts.push(...positional)
  let day = dayParts.length === 0 ? "*" : dayParts.join(",")
  let dayOfWeek = dowWild || plain.length === 0 ? "*" : compress(plain, 0, 6, weekdayName)
  let dayMatch: "and" | "or" | undefined
  if (ored && (domAll || plainAll)) {
    // ORed and one side matches every day: every day matches
    day = "*"
    dayOfWeek = "*"
  } else if (ored && day !== "*" && dayOfWeek !== "*") {
    dayMatch = "or"
  }
  return {
    ok: true,
    minute: compress(minutes, 0, 59),
    hour: compress(hours, 0, 23),
    day,
    month: compress(months, 1, 12),
    dayOfWeek,
    dayMatch
  }
}
