/**
 * APScheduler 3.9 cron field expressions (`apscheduler/triggers/cron/expressions.py`, `fields.py`):
 * parsing, validation with APScheduler's exact error messages, and `str()`.
 *
 * Differences from APScheduler, on purpose (ARCHITECTURE DST rule 5): every expression must match
 * as a whole. APScheduler's month/weekday-name, `xth y` and `last` regexes are anchored at the start
 * only, so it silently reads a prefix of `jan-dec/2`, `mon-fri/2`, `lastfri`, `jan1`, `mon#2`,
 * `3rd fri foo`; we reject such text with a `TriggerError` naming the field. Digits are ASCII only.
 *
 * @internal
 */

/** The eight cron fields, most significant first (APScheduler's `FIELD_NAMES`). */
export const FIELD_NAMES = ["year", "month", "day", "week", "day_of_week", "hour", "minute", "second"] as const

/** A cron field name as APScheduler spells it. */
export type FieldName = (typeof FIELD_NAMES)[number]

/** Our camelCase spelling of each field (spec keys and `TriggerError.field`). */
export const CAMEL: Readonly<Record<FieldName, string>> = {
  year: "year",
  month: "month",
  day: "day",
  week: "week",
  day_of_week: "dayOfWeek",
  hour: "hour",
  minute: "minute",
  second: "second"
}

export const MIN_VALUES: Readonly<Record<FieldName, number>> = {
  year: 1970, month: 1, day: 1, week: 1, day_of_week: 0, hour: 0, minute: 0, second: 0
}
export const MAX_VALUES: Readonly<Record<FieldName, number>> = {
  year: 9999, month: 12, day: 31, week: 53, day_of_week: 6, hour: 23, minute: 59, second: 59
}
/** APScheduler's `DEFAULT_VALUES` (fields below the least significant given one). */
export const DEFAULT_VALUES: Readonly<Record<FieldName, string>> = {
  year: "*", month: "1", day: "1", week: "*", day_of_week: "*", hour: "0", minute: "0", second: "0"
}

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const
export const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] as const
const POSITIONS = ["1st", "2nd", "3rd", "4th", "5th", "last"] as const

/** One compiled expression of a field. `last` of a range is `undefined` for `a/n`. */
export type Expr =
  | { readonly kind: "all"; readonly step: number }
  | { readonly kind: "range"; readonly first: number; readonly last: number | undefined; readonly step: number }
  | { readonly kind: "month"; readonly first: number; readonly last: number }
  | { readonly kind: "weekday"; readonly first: number; readonly last: number }
  | { readonly kind: "position"; readonly option: number; readonly weekday: number }
  | { readonly kind: "lastDay" }

/** A parsed field: its expressions, or the reason APScheduler (or rule 5) rejects it. */
export type ParsedField =
  | { readonly ok: true; readonly exprs: ReadonlyArray<Expr> }
  | { readonly ok: false; readonly reason: string }

const ALL_RE = /^\*(?:\/(\d+))?$/
const RANGE_RE = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/
// APScheduler anchors these at the start only; we check the whole match separately
const NAME_RE = /^([a-z]+)(?:-([a-z]+))?/i
const POSITION_RE = /^(1st|2nd|3rd|4th|5th|last) +(\d+|\w+)/i
const LAST_RE = /^last/i
const SEPARATOR = / *, */

class Reject {
  constructor(readonly reason: string) {}
}

const big = (digits: string): bigint => BigInt(digits)

const validateStep = (step: bigint | undefined, valueRange: bigint, expr: string) => {
  if (step !== undefined && step !== 0n && step > valueRange) {
    throw new Reject(
      `Error validating expression '${expr}': the step value (${step}) is higher than the total range of the expression (${valueRange})`
    )
  }
}

const compileRange = (name: FieldName, expr: string, m: RegExpExecArray): Expr => {
  const stepText = m[3]
  const step = stepText === undefined ? undefined : big(stepText)
  if (step === 0n) throw new Reject("Increment must be higher than 0")
  const first = big(m[1]!)
  let last = m[2] === undefined ? undefined : big(m[2])
  if (last === undefined && step === undefined) last = first
  if (last !== undefined && first > last) throw new Reject("The minimum value in a range must not be higher than the maximum")
  const min = BigInt(MIN_VALUES[name])
  const max = BigInt(MAX_VALUES[name])
  validateStep(step, max - min, expr)
  if (first < min) {
    throw new Reject(`Error validating expression '${expr}': the first value (${first}) is lower than the minimum value (${min})`)
  }
  if (last !== undefined && last > max) {
    throw new Reject(`Error validating expression '${expr}': the last value (${last}) is higher than the maximum value (${max})`)
  }
  // APScheduler: `(self.last or MAX_VALUES[field_name]) - self.first`
  validateStep(step, (last === undefined || last === 0n ? max : last) - first, expr)
  return { kind: "range", first: Number(first), last: last === undefined ? undefined : Number(last), step: step === undefined ? 0 : Number(step) }
}

const halfRead = (name: FieldName, expr: string, read: string): Reject =>
  new Reject(
    `Unrecognized expression "${expr}" for field "${name}" (APScheduler would silently read only "${read}")`
  )

const compileNames = (name: FieldName, expr: string, m: RegExpExecArray, kind: "month" | "weekday"): Expr => {
  const table: ReadonlyArray<string> = kind === "month" ? MONTHS : WEEKDAYS
  const label = kind === "month" ? "month" : "weekday"
  const first = table.indexOf(m[1]!.toLowerCase())
  if (first < 0) throw new Reject(`Invalid ${label} name "${m[1]}"`)
  let last = first
  if (m[2] !== undefined) {
    last = table.indexOf(m[2].toLowerCase())
    if (last < 0) throw new Reject(`Invalid ${label} name "${m[2]}"`)
  }
  if (first > last) throw new Reject("The minimum value in a range must not be higher than the maximum")
  if (m[0].length !== expr.length) throw halfRead(name, expr, m[0])
  return kind === "month" ? { kind, first: first + 1, last: last + 1 } : { kind, first, last }
}

const compileExpression = (name: FieldName, expr: string): Expr => {
  let m = ALL_RE.exec(expr)
  if (m !== null) {
    const step = m[1] === undefined ? undefined : big(m[1])
    if (step === 0n) throw new Reject("Increment must be higher than 0")
    validateStep(step, BigInt(MAX_VALUES[name] - MIN_VALUES[name]), expr)
    return { kind: "all", step: step === undefined ? 0 : Number(step) }
  }
  m = RANGE_RE.exec(expr)
  if (m !== null) return compileRange(name, expr, m)
  if (name === "month" || name === "day_of_week") {
    m = NAME_RE.exec(expr)
    if (m !== null) return compileNames(name, expr, m, name === "month" ? "month" : "weekday")
  }
  if (name === "day") {
    m = POSITION_RE.exec(expr)
    if (m !== null) {
      const option = POSITIONS.indexOf(m[1]!.toLowerCase() as (typeof POSITIONS)[number])
      const weekday = WEEKDAYS.indexOf(m[2]!.toLowerCase() as (typeof WEEKDAYS)[number])
      if (weekday < 0) throw new Reject(`Invalid weekday name "${m[2]}"`)
      if (m[0].length !== expr.length) throw halfRead(name, expr, m[0])
      return { kind: "position", option, weekday }
    }
    m = LAST_RE.exec(expr)
    if (m !== null) {
      if (m[0].length !== expr.length) throw halfRead(name, expr, m[0])
      return { kind: "lastDay" }
    }
  }
  throw new Reject(`Unrecognized expression "${expr}" for field "${name}"`)
}

/** `str(value)` as Python prints an int or a str given to `CronTrigger`. */
export const fieldText = (value: string | number): string =>
  typeof value === "number" ? (Number.isInteger(value) ? value.toFixed(0) : String(value)) : value

/** Parses one field's value (`BaseField.compile_expressions`). */
export const parseField = (name: FieldName, value: string | number): ParsedField => {
  const text = fieldText(value).trim()
  const exprs: Array<Expr> = []
  try {
    for (const part of text.split(SEPARATOR)) exprs.push(compileExpression(name, part))
  } catch (e) {
    if (e instanceof Reject) return { ok: false, reason: e.reason }
    throw e
  }
  return { ok: true, exprs }
}

/** APScheduler's `str(expression)`. */
export const exprToString = (e: Expr): string => {
  switch (e.kind) {
    case "all":
      return e.step ? `*/${e.step}` : "*"
    case "range": {
      const range = e.last !== undefined && e.last !== e.first ? `${e.first}-${e.last}` : `${e.first}`
      return e.step ? `${range}/${e.step}` : range
    }
    case "month":
      return e.last !== e.first ? `${MONTHS[e.first - 1]}-${MONTHS[e.last - 1]}` : MONTHS[e.first - 1]!
    case "weekday":
      return e.last !== e.first ? `${WEEKDAYS[e.first]}-${WEEKDAYS[e.last]}` : WEEKDAYS[e.first]!
    case "position":
      return `${POSITIONS[e.option]} ${WEEKDAYS[e.weekday]}`
    case "lastDay":
      return "last"
  }
}

/** APScheduler's `str(field)`. */
export const fieldToString = (exprs: ReadonlyArray<Expr>): string => exprs.map(exprToString).join(",")
