/**
 * A trigger that fires when the wall clock in its time zone matches every field, like cron.
 * APScheduler: `CronTrigger`.
 *
 * Fields `year, month, day, week, dayOfWeek, hour, minute, second` take APScheduler's expressions
 * (`*`, `*\/n`, `a`, `a-b`, `a-b/n`, `a/n`, comma lists, `jan`–`dec`, `mon`–`sun`, and in `day`:
 * `xth y`, `last x`, `last`), with APScheduler's default rule, 0 = Monday, ISO weeks, and `day` and
 * `dayOfWeek` ANDed (or ORed with `dayMatch: "or"`, as `fromCrontab` sets for standard crontab text).
 * DST rules: see `cron/search.ts` (ARCHITECTURE §1).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { TriggerError } from "../errors.js"
import { apschedulerCrontab, standardCrontab } from "./cron/crontab.js"
import {
  CAMEL,
  DEFAULT_VALUES,
  type Expr,
  FIELD_NAMES,
  type FieldName,
  fieldToString,
  parseField
} from "./cron/expressions.js"
import { Matcher } from "./cron/matcher.js"
import { countFires, nextFire, prevFire } from "./cron/search.js"
import { SET, withShape } from "./internal/chainShape.js"
import { JitterSeconds, readBounds, resolveZone } from "./internal/specCommon.js"
import type { Zone } from "./internal/zone.js"
import { applyJitter, type CompiledTrigger, type FastForward, type Instant } from "./Trigger.js"

const FieldValue = Schema.Union(Schema.String, Schema.Number)

/**
 * `{ type: "cron", year, month, day, week, dayOfWeek, hour, minute, second, dayMatch, startDate,
 * endDate, timezone, jitter }`: plain JSON data. Field values are APScheduler expressions (text or
 * integers); `dayMatch` (default `"and"`) is `"or"` for Vixie-cron day matching; dates are
 * APScheduler date strings; `jitter` is in seconds. APScheduler: `CronTrigger(...)`.
 *
 * @since 0.1.0
 * @category models
 */
export const CronTriggerSpec = Schema.Struct({
  type: Schema.Literal("cron"),
  year: Schema.optional(FieldValue),
  month: Schema.optional(FieldValue),
  day: Schema.optional(FieldValue),
  week: Schema.optional(FieldValue),
  dayOfWeek: Schema.optional(FieldValue),
  hour: Schema.optional(FieldValue),
  minute: Schema.optional(FieldValue),
  second: Schema.optional(FieldValue),
  dayMatch: Schema.optional(Schema.Literal("and", "or")),
  startDate: Schema.optional(Schema.String),
  endDate: Schema.optional(Schema.String),
  timezone: Schema.optional(Schema.String),
  jitter: Schema.optional(JitterSeconds)
})

/**
 * The encoded (JSON) form of a cron trigger spec.
 *
 * @since 0.1.0
 * @category models
 */
export type CronTriggerSpec = typeof CronTriggerSpec.Type

/**
 * The cron field names in our camelCase spelling, most significant first.
 *
 * @since 0.1.0
 * @category models
 */
export type CronFieldName = "year" | "month" | "day" | "week" | "dayOfWeek" | "hour" | "minute" | "second"

/**
 * A field's effective expression after APScheduler's default rule, as `str(field)` prints it.
 *
 * @since 0.1.0
 * @category models
 */
export interface EffectiveField {
  readonly expression: string
  /** Whether the field was left out of the spec (APScheduler's `is_default`). */
  readonly isDefault: boolean
}

interface ResolvedField {
  readonly name: FieldName
  readonly exprs: ReadonlyArray<Expr>
  readonly isDefault: boolean
}

const fail = (field: string, reason: string) => Either.left(new TriggerError({ field, reason }))

/** APScheduler's `CronTrigger.__init__` field loop: defaults, then parse each field in order. */
const resolveFields = (spec: Partial<Record<CronFieldName, unknown>>): Either.Either<Array<ResolvedField>, TriggerError> => {
  const given = FIELD_NAMES.filter((n) => spec[CAMEL[n] as CronFieldName] !== undefined && spec[CAMEL[n] as CronFieldName] !== null)
  const remaining = new Set(given)
  const out: Array<ResolvedField> = []
  let assignDefaults = false
  for (const name of FIELD_NAMES) {
    let value: unknown
    let isDefault: boolean
    if (remaining.has(name)) {
      value = spec[CAMEL[name] as CronFieldName]
      remaining.delete(name)
      isDefault = false
      assignDefaults = remaining.size === 0
    } else {
      value = assignDefaults ? DEFAULT_VALUES[name] : "*"
      isDefault = true
    }
    if (typeof value !== "string" && typeof value !== "number") {
      return fail(CAMEL[name], `expected a string or an integer, got ${value === null ? "null" : typeof value}`)
    }
    const parsed = parseField(name, value)
    if (!parsed.ok) return fail(CAMEL[name], parsed.reason)
    out.push({ name, exprs: parsed.exprs, isDefault })
  }
  return Either.right(out)
}

const ceilSecond = (t: number): number => Math.ceil(t / 1000) * 1000

/**
 * A compiled cron trigger. APScheduler: `CronTrigger`.
 *
 * @since 0.1.0
 * @category models
 */
export class CronTrigger implements CompiledTrigger {
  /** @internal */
  constructor(
    readonly spec: CronTriggerSpec,
    readonly timezone: string,
    readonly jitter: number | undefined,
    readonly zone: Zone,
    readonly matcher: Matcher,
    readonly startDate: Instant | undefined,
    readonly endDate: Instant | undefined
  ) {}

  /** APScheduler's `get_next_fire_time`. */
  next(previousFire: Instant | undefined, now: Instant, jitterSample?: number): Instant | undefined {
    let start: number
    if (previousFire !== undefined) {
      start = Math.min(now, previousFire + 1)
      if (start === previousFire) start = previousFire + 1
    } else {
      start = this.startDate !== undefined && this.startDate > now ? this.startDate : now
    }
    if (!Number.isFinite(start)) return undefined
    const fire = nextFire(this.matcher, this.zone, ceilSecond(start))
    const end = this.endDate
    if (fire === undefined || (end !== undefined && fire > end)) return undefined
    const jittered = applyJitter(fire, this.jitter, jitterSample)!
    return end !== undefined && jittered > end ? end : jittered
  }

  /** Counts the chain's fire times strictly between `previousFire` and `target` without enumerating them. */
  fastForward(previousFire: Instant, target: Instant): FastForward {
    if (!Number.isFinite(previousFire) || Number.isNaN(target)) return { count: 0, last: undefined, next: undefined }
    const a = ceilSecond(previousFire + 1)
    const end = this.endDate
    let b = target
    if (end !== undefined) b = Math.min(b, Math.floor(end) + 1)
    if (b === Infinity) b = 253402300800000 + 2 * 86_400_000 // past 9999-12-31
    const count = b > a ? countFires(this.matcher, this.zone, a, b) : 0
    // fire times are whole milliseconds: the last one < b is the last one <= ceil(b) - 1
    const last = count > 0 ? prevFire(this.matcher, this.zone, Math.ceil(b) - 1) : undefined
    let next: Instant | undefined
    if (target !== Infinity) {
      next = nextFire(this.matcher, this.zone, ceilSecond(Math.max(a, target)))
      if (next !== undefined && end !== undefined && next > end) next = undefined
    }
    return { count, last, next }
  }

  /** Every field's effective expression (after APScheduler's default rule). */
  get fields(): Readonly<Record<CronFieldName, EffectiveField>> {
    const resolved = Either.getOrThrow(resolveFields(this.spec))
    const out: Partial<Record<CronFieldName, EffectiveField>> = {}
    for (const f of resolved) {
      out[CAMEL[f.name] as CronFieldName] = { expression: fieldToString(f.exprs), isDefault: f.isDefault }
    }
    return out as Record<CronFieldName, EffectiveField>
  }

  /** APScheduler's `str(trigger)`, e.g. `cron[day_of_week='mon-fri', hour='9', minute='30']`. */
  toString(): string {
    const resolved = Either.getOrThrow(resolveFields(this.spec))
    const options = resolved.filter((f) => !f.isDefault).map((f) => `${f.name}='${fieldToString(f.exprs)}'`)
    return `cron[${options.join(", ")}]`
  }
}

/**
 * Compiles a cron trigger spec; errors name the field (`hour`, `dayOfWeek`, `timezone`,
 * `startDate` …) with APScheduler's message. Never throws.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileCron = (spec: CronTriggerSpec): Either.Either<CronTrigger, TriggerError> => {
  if (typeof spec !== "object" || spec === null) return fail("type", "a cron trigger spec must be an object")
  const zoneResult = resolveZone(spec.timezone)
  if (Either.isLeft(zoneResult)) return Either.left(zoneResult.left)
  const zone = zoneResult.right
  const timezone = spec.timezone ?? "UTC"
  const bounds = readBounds(spec, zone)
  if (Either.isLeft(bounds)) return Either.left(bounds.left)
  const { end: endDate, start: startDate } = bounds.right
  const jitter = spec.jitter
  if (jitter !== undefined && (typeof jitter !== "number" || !Number.isFinite(jitter) || jitter < 0)) {
    return fail("jitter", "expected a finite number of seconds >= 0")
  }
  if (spec.dayMatch !== undefined && spec.dayMatch !== "and" && spec.dayMatch !== "or") {
    return fail("dayMatch", `expected "and" or "or"`)
  }
  const resolved = resolveFields(spec)
  if (Either.isLeft(resolved)) return Either.left(resolved.left)
  const [year, month, day, week, dayOfWeek, hour, minute, second] = resolved.right.map((f) => f.exprs)
  const matcher = new Matcher({
    year: year!,
    month: month!,
    day: day!,
    week: week!,
    dayOfWeek: dayOfWeek!,
    hour: hour!,
    minute: minute!,
    second: second!,
    dayOr: spec.dayMatch === "or"
  })
  return Either.right(withShape(new CronTrigger(spec, timezone, jitter, zone, matcher, startDate, endDate), SET))
}

/**
 * Options of {@link fromCrontab}.
 *
 * @since 0.1.0
 * @category models
 */
export interface CrontabOptions {
  readonly timezone?: string | undefined
  /**
   * `"standard"` (default): Vixie cron / cronie (0 and 7 = Sunday, the day fields ORed unless one
   * of them starts with `*`, macros such as `@daily`). `"apscheduler"`: APScheduler's
   * `from_crontab` (0 = Monday, ANDed).
   */
  readonly flavor?: "standard" | "apscheduler" | undefined
}

/**
 * A cron spec from five-field crontab text (validated by compiling it).
 * APScheduler: `CronTrigger.from_crontab` (flavor `"apscheduler"`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCrontab = (text: string, options: CrontabOptions = {}): Either.Either<CronTriggerSpec, TriggerError> => {
  if (typeof text !== "string") return fail("crontab", "expected crontab text")
  const flavor = options.flavor ?? "standard"
  if (flavor !== "standard" && flavor !== "apscheduler") return fail("flavor", `expected "standard" or "apscheduler"`)
  const parsed = flavor === "apscheduler" ? apschedulerCrontab(text) : standardCrontab(text)
  if (!parsed.ok) return fail("crontab", parsed.reason)
  const spec: CronTriggerSpec = {
    type: "cron",
    minute: parsed.minute,
    hour: parsed.hour,
    day: parsed.day,
    month: parsed.month,
    dayOfWeek: parsed.dayOfWeek,
    ...(parsed.dayMatch === "or" ? { dayMatch: "or" as const } : {}),
    ...(options.timezone !== undefined ? { timezone: options.timezone } : {})
  }
  const compiled = compileCron(spec)
  return Either.isLeft(compiled) ? Either.left(compiled.left) : Either.right(spec)
}
