/**
 * Trigger specs as one tagged union, and `compile`: validate once, get an immutable, interned
 * compiled trigger or a `TriggerError` naming the field and the reason.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { TriggerError } from "../errors.js"
import { makeAnd, makeOr } from "./Combining.js"
import { compileCron, CronTriggerSpec } from "./CronTrigger.js"
import { compileDate, DateTriggerSpec } from "./DateTrigger.js"
import { encodeDateInput, encodeInstant } from "./internal/dates.js"
import { toMicros, toMillis } from "./internal/micros.js"
import { resolveZone } from "./internal/specCommon.js"
import { compileInterval, intervalMicros, IntervalTriggerSpec } from "./IntervalTrigger.js"
import type { CompiledTrigger, Instant } from "./Trigger.js"

/**
 * `{ type: "and" | "or", triggers: [...], jitter }`: a trigger made of other triggers.
 *
 * @since 0.1.0
 * @category models
 */
export interface CombiningTriggerSpec {
  readonly type: "and" | "or"
  readonly triggers: ReadonlyArray<TriggerSpec>
  readonly jitter?: number | undefined
}

/**
 * Any trigger spec: plain, JSON-serializable data.
 *
 * @since 0.1.0
 * @category models
 */
export type TriggerSpec = DateTriggerSpec | IntervalTriggerSpec | CronTriggerSpec | CombiningTriggerSpec

const Jitter = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())

/**
 * The schema of `and` / `or` specs.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CombiningTriggerSpec: Schema.Schema<CombiningTriggerSpec> = Schema.Struct({
  type: Schema.Literal("and", "or"),
  triggers: Schema.Array(Schema.suspend((): Schema.Schema<TriggerSpec> => TriggerSpec)).pipe(Schema.minItems(1)),
  jitter: Schema.optional(Jitter)
})

/**
 * The schema of every trigger spec (a union on `type`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TriggerSpec: Schema.Schema<TriggerSpec> = Schema.Union(
  DateTriggerSpec,
  IntervalTriggerSpec,
  CronTriggerSpec,
  CombiningTriggerSpec
)

const schemaOf: Record<string, Schema.Schema<any>> = {
  date: DateTriggerSpec,
  interval: IntervalTriggerSpec,
  cron: CronTriggerSpec,
  and: CombiningTriggerSpec,
  or: CombiningTriggerSpec
}

/**
 * The trigger types `compile` knows.
 *
 * @since 0.1.0
 * @category constants
 */
export const triggerTypes: ReadonlyArray<string> = Object.keys(schemaOf)

const typeError = (type: unknown) =>
  new TriggerError({
    field: "type",
    reason: `Unknown trigger type ${safeJson(type)} (expected one of ${triggerTypes.join(", ")})`
  })

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * Validates unknown input as a trigger spec; the error names the first offending field.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeTriggerSpec = (input: unknown): Either.Either<TriggerSpec, TriggerError> => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return Either.left(new TriggerError({ field: "type", reason: "a trigger spec must be an object with a 'type'" }))
  }
  const type = (input as { type?: unknown }).type
  const schema = typeof type === "string" && Object.hasOwn(schemaOf, type) ? schemaOf[type] : undefined
  if (schema === undefined) return Either.left(typeError(type))
  return Either.mapLeft(
    Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })(input),
    (error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const field = issue === undefined || issue.path.length === 0 ? "type" : issue.path.map(String).join(".")
      return new TriggerError({ field, reason: issue?.message ?? String(error) })
    }
  )
}

// --- interning -------------------------------------------------------------------------------

const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

const interned = new Map<string, WeakRef<CompiledTrigger>>()
const finalizer = new FinalizationRegistry<string>((key) => {
  const ref = interned.get(key)
  if (ref !== undefined && ref.deref() === undefined) interned.delete(key)
})

const compileDecoded = (spec: TriggerSpec): Either.Either<CompiledTrigger, TriggerError> => {
  switch (spec.type) {
    case "date":
      return compileDate(spec)
    case "interval":
      return compileInterval(spec)
    case "cron":
      return compileCron(spec)
    case "and":
    case "or": {
      const children: Array<CompiledTrigger> = []
      for (let i = 0; i < spec.triggers.length; i++) {
        const child = compile(spec.triggers[i])
        if (Either.isLeft(child)) {
          const e = child.left
          return Either.left(new TriggerError({ field: `triggers.${i}.${e.field}`, reason: e.reason }))
        }
        children.push(child.right)
      }
      const timezone = children[0]!.timezone
      return Either.right((spec.type === "and" ? makeAnd : makeOr)(spec, children, spec.jitter, timezone))
    }
  }
}

/**
 * Validates a spec and compiles it. Compiled triggers are immutable and interned by their
 * canonical JSON: equal specs share one compiled trigger (held weakly, so unused ones are freed).
 * Never throws: bad input of any shape gives a `TriggerError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compile = (spec: unknown): Either.Either<CompiledTrigger, TriggerError> => {
  let key: string
  try {
    key = canonicalJson(spec)
  } catch {
    return Either.left(new TriggerError({ field: "type", reason: "a trigger spec must be JSON-serializable data" }))
  }
  const hit = interned.get(key)?.deref()
  if (hit !== undefined) return Either.right(hit)
  const result = Either.flatMap(decodeTriggerSpec(spec), compileDecoded)
  if (Either.isRight(result)) {
    interned.set(key, new WeakRef(result.right))
    finalizer.register(result.right, key)
  }
  return result
}

/**
 * `compile`, throwing the `TriggerError` on bad input.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeCompile = (spec: unknown): CompiledTrigger => {
  const result = compile(spec)
  if (Either.isLeft(result)) throw result.left
  return result.right
}

// --- APScheduler-style options -------------------------------------------------------------

const SNAKE: Record<string, string> = {
  day_of_week: "dayOfWeek",
  run_date: "runDate",
  start_date: "startDate",
  end_date: "endDate"
}
const DATE_FIELDS = new Set(["runDate", "startDate", "endDate"])

/**
 * Context that fills what a user's options leave out.
 *
 * @since 0.1.0
 * @category models
 */
export interface SpecDefaults {
  /** The scheduler's time zone, for specs that name none. */
  readonly timezone?: string | undefined
  /** The current instant: an interval trigger without `startDate` starts one interval after it. */
  readonly now?: Instant | undefined
}

/**
 * Builds a spec from a trigger alias and APScheduler-style options (`add_job(func, "cron",
 * hour=9)`): snake_case or camelCase names, dates as strings, `Date`s or luxon `DateTime`s.
 * Fills the time zone from `defaults` and, for interval triggers without a start, `startDate =
 * now + interval`, so the stored spec is self-contained and keeps its phase across restarts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const specFromOptions = (
  alias: string,
  options: Readonly<Record<string, unknown>>,
  defaults: SpecDefaults = {}
): Either.Either<TriggerSpec, TriggerError> => {
  const raw: Record<string, unknown> = { type: alias }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue
    raw[SNAKE[key] ?? key] = value
  }
  return withDefaults(raw, defaults)
}

/**
 * Fills a spec's missing time zone (and an interval trigger's missing start) from `defaults`,
 * turning `Date`/`DateTime` values of date fields into ISO strings with their offset; validates.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withDefaults = (
  input: Readonly<Record<string, unknown>>,
  defaults: SpecDefaults = {}
): Either.Either<TriggerSpec, TriggerError> => {
  const raw: Record<string, unknown> = { ...input }
  if (raw.type === "and" || raw.type === "or") {
    if (!Array.isArray(raw.triggers)) {
      return Either.left(new TriggerError({ field: "triggers", reason: "expected an array of trigger specs" }))
    }
    const children: Array<TriggerSpec> = []
    for (let i = 0; i < raw.triggers.length; i++) {
      const child = raw.triggers[i]
      const r = typeof child === "object" && child !== null
        ? withDefaults(child as Record<string, unknown>, defaults)
        : Either.left(new TriggerError({ field: "type", reason: "a trigger spec must be an object" }))
      if (Either.isLeft(r)) {
        return Either.left(new TriggerError({ field: `triggers.${i}.${r.left.field}`, reason: r.left.reason }))
      }
      children.push(r.right)
    }
    raw.triggers = children
    return decodeTriggerSpec(raw)
  }
  if (raw.timezone === undefined && defaults.timezone !== undefined) raw.timezone = defaults.timezone
  const zone = raw.timezone === undefined ? undefined : Either.getOrUndefined(resolveZone(raw.timezone))
  for (const field of DATE_FIELDS) {
    if (raw[field] === undefined) continue
    const encoded = encodeDateInput(raw[field], field, zone)
    if (Either.isLeft(encoded)) return Either.left(encoded.left)
    raw[field] = encoded.right
  }
  const decoded = decodeTriggerSpec(raw)
  if (Either.isLeft(decoded)) return decoded
  const spec = decoded.right
  if (spec.type === "interval" && spec.startDate === undefined && defaults.now !== undefined) {
    const specZone = resolveZone(spec.timezone)
    if (Either.isLeft(specZone)) return Either.left(specZone.left)
    // APScheduler: start_date = now + interval, to the microsecond
    const start = toMillis(toMicros(defaults.now) + intervalMicros(spec))
    const startDate = encodeInstant(start, "startDate", specZone.right)
    if (Either.isLeft(startDate)) return Either.left(startDate.left)
    return Either.right({ ...spec, startDate: startDate.right })
  }
  return Either.right(spec)
}
