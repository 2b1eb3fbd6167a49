/**
 * Trigger specs as one tagged union, and `compile`: validate once, get an immutable, interned
 * compiled trigger or a `TriggerError` naming the field and the reason.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import { TriggerError } from "../errors.js"
import { makeAnd, makeOr } from "./Combining.js"
import { compileCron, CronTriggerSpec } from "./CronTrigger.js"
import { compileDate, DateTriggerSpec } from "./DateTrigger.js"
import { encodeDateInput, encodeInstant } from "./internal/dates.js"
import { toMicros, toMillis } from "./internal/micros.js"
import { camelCase, didYouMean, JitterSeconds, resolveZone } from "./internal/specCommon.js"
import { compileInterval, intervalMicros, IntervalTriggerSpec, placeAt, startedAt } from "./IntervalTrigger.js"
import { type CompiledTrigger, type Instant, MAX_DURATION_SECONDS } from "./Trigger.js"

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


/**
 * The schema of `and` / `or` specs.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CombiningTriggerSpec: Schema.Schema<CombiningTriggerSpec> = Schema.Struct({
  type: Schema.Literal("and", "or"),
  triggers: Schema.Array(Schema.suspend((): Schema.Schema<TriggerSpec> => TriggerSpec)).pipe(Schema.minItems(1)),
  jitter: Schema.optional(JitterSeconds)
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
 * How many levels deep `and` / `or` specs may nest (an `and` of triggers is one level).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_NESTING = 1_000

/**
 * The longest text (in UTF-16 code units) a spec field may hold: cron expressions, dates, time
 * zones.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_FIELD_LENGTH = 1_000

const fail = (field: string, reason: string) => Either.left(new TriggerError({ field, reason }))

/** A child's error, its field placed under the parent's `triggers`. */
const within = (i: number, e: TriggerError) => new TriggerError({ field: `triggers.${i}.${e.field}`, reason: e.reason })

const isCombining = (input: unknown): input is { readonly triggers: ReadonlyArray<unknown> } =>
  typeof input === "object" && input !== null && ((input as { type?: unknown }).type === "and" || (input as { type?: unknown }).type === "or") &&
  Array.isArray((input as { triggers?: unknown }).triggers)

/**
 * Whether `and` / `or` specs nest deeper than `MAX_NESTING` levels in `input`: a level-by-level
 * walk that stops there (a cyclic structure ends there too).
 */
const nestsTooDeep = (input: unknown): boolean => {
  let level: Array<unknown> = [input]
  for (let depth = 0; level.length > 0; depth++) {
    const below: Array<unknown> = []
    for (const node of level) {
      if (!isCombining(node)) continue
      if (depth >= MAX_NESTING) return true
      for (const child of node.triggers) below.push(child)
    }
    level = below
  }
  return false
}

const nestingError = () => fail("triggers", `and/or triggers nest more than ${MAX_NESTING} levels deep (the depth limit is ${MAX_NESTING})`)

/**
 * Checks one node of a spec: an object whose texts are at most `MAX_FIELD_LENGTH` long, with a
 * known `type`; gives the schema of that type.
 */
const checkNode = (input: unknown): Either.Either<Schema.Schema<any>, TriggerError> => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return fail("type", "a trigger spec must be an object with a 'type'")
  }
  for (const key of Object.keys(input)) {
    const value = (input as Record<string, unknown>)[key]
    if (typeof value === "string" && value.length > MAX_FIELD_LENGTH) {
      return fail(key, `the text is ${value.length} characters long; at most ${MAX_FIELD_LENGTH} are accepted`)
    }
  }
  const type = (input as { type?: unknown }).type
  const schema = typeof type === "string" && Object.hasOwn(schemaOf, type) ? schemaOf[type] : undefined
  return schema === undefined ? Either.left(typeError(type)) : Either.right(schema)
}

/** An `and` / `or` spec with its `triggers` not yet decoded. */
const CombiningNode = Schema.Struct({
  type: Schema.Literal("and", "or"),
  triggers: Schema.Array(Schema.Unknown).pipe(Schema.minItems(1)),
  jitter: Schema.optional(JitterSeconds)
})

/**
 * Decodes an `and` / `or` node: a well-formed one directly (the common case, in the middle of
 * deeply nested specs), any other through the schema, for its error.
 */
const decodeCombiningNode = (input: unknown): Either.Either<typeof CombiningNode.Type, TriggerError> => {
  const { jitter, triggers, type } = input as Record<string, unknown>
  if (
    Array.isArray(triggers) && triggers.length > 0 && (jitter === undefined || (typeof jitter === "number" && jitter >= 0 && jitter <= MAX_DURATION_SECONDS)) &&
    Object.keys(input as object).every((key) => key === "type" || key === "triggers" || key === "jitter")
  ) {
    const t = type as "and" | "or"
    return Either.right(jitter === undefined ? { type: t, triggers: triggers.slice() } : { type: t, triggers: triggers.slice(), jitter })
  }
  return decodeWith(CombiningNode, input)
}

/** The field names of a struct schema (through refinements, transformations and unions). */
const fieldsOf = (ast: SchemaAST.AST): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.map((p) => String(p.name))
    case "Refinement":
    case "Transformation":
      return fieldsOf(ast.from)
    case "Suspend":
      return fieldsOf(ast.f())
    case "Union":
      return ast.types.flatMap(fieldsOf)
    default:
      return []
  }
}

const decodeWith = <A>(schema: Schema.Schema<A, any>, input: unknown): Either.Either<A, TriggerError> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })(input),
    (error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const field = issue === undefined || issue.path.length === 0 ? "type" : issue.path.map(String).join(".")
      // an unknown key of the spec itself: the closest field's name as a hint (`secnds` → `seconds`)
      const hint = issue?._tag === "Unexpected" && issue.path.length === 1
        ? didYouMean(String(issue.path[0]), fieldsOf(schema.ast))
        : ""
      return new TriggerError({ field, reason: (issue?.message ?? String(error)) + hint })
    }
  )

/** An `and` / `or` spec from its decoded node and its decoded triggers. */
const combining = (node: typeof CombiningNode.Type, triggers: ReadonlyArray<TriggerSpec>): CombiningTriggerSpec =>
  node.jitter === undefined ? { type: node.type, triggers } : { type: node.type, triggers, jitter: node.jitter }

const INTERVAL_AMOUNTS: ReadonlySet<string> = new Set(["weeks", "days", "hours", "minutes", "seconds"])
const INTERVAL_TEXTS: ReadonlySet<string> = new Set(["startDate", "endDate", "timezone"])

/**
 * A well-formed interval spec, copied as it is (the common case of adding interval jobs, each with its
 * own start: no interning hit saves its decoding); `undefined` for anything else, which the
 * schema then decodes for its error. The same rules as `IntervalTriggerSpec`.
 */
const wellFormedInterval = (input: Readonly<Record<string, unknown>>): IntervalTriggerSpec | undefined => {
  for (const key of Object.keys(input)) {
    const value = input[key]
    if (key === "type") continue
    if (INTERVAL_AMOUNTS.has(key)) {
      if (!(typeof value === "number" && value >= 0 && value < Infinity)) return undefined
    } else if (key === "jitter") {
      if (!(typeof value === "number" && value >= 0 && value <= MAX_DURATION_SECONDS)) return undefined
    } else if (!(INTERVAL_TEXTS.has(key) && typeof value === "string")) return undefined
  }
  return Object.assign({}, input) as IntervalTriggerSpec
}

/** Decodes a spec node by node (each node once: linear in the spec's size). */
const decodeTree = (input: unknown): Either.Either<TriggerSpec, TriggerError> => {
  const schema = checkNode(input)
  if (Either.isLeft(schema)) return Either.left(schema.left)
  if (schema.right === IntervalTriggerSpec) {
    const spec = wellFormedInterval(input as Readonly<Record<string, unknown>>)
    if (spec !== undefined) return Either.right(spec)
  }
  if (schema.right !== CombiningTriggerSpec) return decodeWith(schema.right, input) as Either.Either<TriggerSpec, TriggerError>
  const node = decodeCombiningNode(input)
  if (Either.isLeft(node)) return Either.left(node.left)
  const triggers: Array<TriggerSpec> = []
  for (let i = 0; i < node.right.triggers.length; i++) {
    const child = decodeTree(node.right.triggers[i])
    if (Either.isLeft(child)) return Either.left(within(i, child.left))
    triggers.push(child.right)
  }
  return Either.right(combining(node.right, triggers))
}

/**
 * Validates unknown input as a trigger spec; the error names the first offending field. `and` /
 * `or` specs nest at most `MAX_NESTING` levels deep; texts are at most `MAX_FIELD_LENGTH` long.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeTriggerSpec = (input: unknown): Either.Either<TriggerSpec, TriggerError> =>
  nestsTooDeep(input) ? nestingError() : decodeTree(input)

// --- interning -------------------------------------------------------------------------------

/** JSON with object keys sorted and undefined values left out: one text per spec, whatever its key order. */
const canonicalJson = (value: unknown): string => {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null"
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort()
    let out = "{"
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k]
      if (v === undefined) continue
      out += (out.length === 1 ? "" : ",") + JSON.stringify(k) + ":" + canonicalJson(v)
    }
    return out + "}"
  }
  return JSON.stringify(value) ?? "null"
}

const interned = new Map<string, WeakRef<CompiledTrigger>>()
const finalizer = new FinalizationRegistry<string>((key) => {
  const ref = interned.get(key)
  if (ref !== undefined && ref.deref() === undefined) interned.delete(key)
})

const compileLeaf = (spec: DateTriggerSpec | IntervalTriggerSpec | CronTriggerSpec): Either.Either<CompiledTrigger, TriggerError> => {
  switch (spec.type) {
    case "date":
      return compileDate(spec)
    case "interval":
      return compileInterval(spec)
    case "cron":
      return compileCron(spec)
  }
}

/** A number for each interned trigger in an `and` / `or`: the key of an `and` / `or` names its triggers by it. */
const ids = new WeakMap<CompiledTrigger, number>()
let lastId = 0

const intern = (key: string, trigger: CompiledTrigger): void => {
  interned.set(key, new WeakRef(trigger))
  finalizer.register(trigger, key)
}

/** The number of an interned trigger, given when it is first part of an `and` / `or`. */
const idOf = (trigger: CompiledTrigger): number => {
  let id = ids.get(trigger)
  if (id === undefined) ids.set(trigger, id = ++lastId)
  return id
}

/** A compiled trigger and its interning key. */
interface Compiled {
  readonly key: string
  readonly trigger: CompiledTrigger
}

/**
 * Compiles one node of a spec, its triggers first. A date, interval or cron spec is interned by
 * its canonical JSON; an `and` / `or` spec by its type, jitter and its (interned) triggers' ids,
 * a key of constant size: equal specs still share one compiled trigger (equal triggers are one
 * interned trigger, alive while a trigger made of it is), and each node is read, keyed and
 * decoded once (linear in the spec's size).
 */
const compileNode = (input: unknown, decoded: boolean): Either.Either<Compiled, TriggerError> => {
  const schema = checkNode(input)
  if (Either.isLeft(schema)) return Either.left(schema.left)
  if (schema.right !== CombiningTriggerSpec) {
    let key: string
    try {
      key = canonicalJson(input)
    } catch {
      return fail("type", "a trigger spec must be JSON-serializable data")
    }
    const hit = interned.get(key)?.deref()
    if (hit !== undefined) return Either.right({ key, trigger: hit })
    const spec = decoded
      ? Either.right(input as DateTriggerSpec | IntervalTriggerSpec | CronTriggerSpec)
      : decodeWith(schema.right, input)
    if (Either.isLeft(spec)) return Either.left(spec.left)
    const compiled = compileLeaf(spec.right)
    if (Either.isLeft(compiled)) return Either.left(compiled.left)
    intern(key, compiled.right)
    return Either.right({ key, trigger: compiled.right })
  }
  const node = decodeCombiningNode(input)
  if (Either.isLeft(node)) return Either.left(node.left)
  const children: Array<CompiledTrigger> = []
  for (let i = 0; i < node.right.triggers.length; i++) {
    const child = compileNode(node.right.triggers[i], decoded)
    if (Either.isLeft(child)) return Either.left(within(i, child.left))
    children.push(child.right.trigger)
  }
  const { jitter, type } = node.right
  const key = `${type}:${jitter ?? ""}:${children.map(idOf).join(",")}`
  const hit = interned.get(key)?.deref()
  if (hit !== undefined) return Either.right({ key, trigger: hit })
  const spec = combining(node.right, children.map((c) => c.spec as TriggerSpec))
  const trigger = (type === "and" ? makeAnd : makeOr)(spec, children, jitter, children[0]!.timezone)
  intern(key, trigger)
  return Either.right({ key, trigger })
}

/**
 * Validates a spec and compiles it. Compiled triggers are immutable and interned by their
 * canonical JSON: equal specs share one compiled trigger (held weakly, so unused ones are freed).
 * Never throws: bad input of any shape gives a `TriggerError`, among them `and` / `or` specs
 * nested more than `MAX_NESTING` levels deep and texts longer than `MAX_FIELD_LENGTH`. The cost
 * is linear in the spec's size.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compile = (spec: unknown): Either.Either<CompiledTrigger, TriggerError> =>
  nestsTooDeep(spec) ? nestingError() : Either.map(compileNode(spec, false), (c) => c.trigger)

/**
 * `compile` of a spec that {@link withDefaults} (or {@link decodeTriggerSpec}) has just decoded:
 * interned alike, without decoding it a second time.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileDecoded = (spec: TriggerSpec): Either.Either<CompiledTrigger, TriggerError> =>
  Either.map(compileNode(spec, true), (c) => c.trigger)

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
 * hour=9)`): snake_case or camelCase names (in nested `and` / `or` specs too), dates as strings, `Date`s or luxon `DateTime`s.
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
    if (value !== undefined) raw[key] = value
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
): Either.Either<TriggerSpec, TriggerError> => nestsTooDeep(input) ? nestingError() : withDefaultsNode(input, defaults)

/** A node's keys in camelCase (`day_of_week` → `dayOfWeek`); a key given in both spellings is refused. */
const camelKeys = (input: Readonly<Record<string, unknown>>): Either.Either<Record<string, unknown>, TriggerError> => {
  const raw: Record<string, unknown> = {}
  const spelled: Record<string, string> = {}
  for (const key of Object.keys(input)) {
    const camel = camelCase(key)
    const other = spelled[camel]
    if (other !== undefined) return fail(key, `given twice (as \`${other}\` and \`${key}\`)`)
    spelled[camel] = key
    if (input[key] !== undefined) raw[camel] = input[key]
  }
  return Either.right(raw)
}

/**
 * A date, interval or cron node (keys in camelCase) with the default time zone filled in and its
 * dates encoded as strings: what its decoded spec will be, not yet decoded.
 */
const fillLeaf = (
  raw: Record<string, unknown>,
  defaults: SpecDefaults
): Either.Either<Record<string, unknown>, TriggerError> => {
  const checked = checkNode(raw)
  if (Either.isLeft(checked)) return Either.left(checked.left)
  if (raw.timezone === undefined && defaults.timezone !== undefined) raw.timezone = defaults.timezone
  const zone = raw.timezone === undefined ? undefined : Either.getOrUndefined(resolveZone(raw.timezone))
  for (const field of DATE_FIELDS) {
    if (raw[field] === undefined) continue
    const encoded = encodeDateInput(raw[field], field, zone)
    if (Either.isLeft(encoded)) return Either.left(encoded.left)
    raw[field] = encoded.right
  }
  return Either.right(raw)
}

/**
 * `specFromOptions` then {@link compileDecoded}, for the scheduler's trigger aliases. A date or
 * cron spec (or an interval one with its start) whose filled-in form is already interned is
 * found without decoding it again: its canonical JSON equals that of the valid spec it was
 * interned by, so it is that spec.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileFromOptions = (
  alias: string,
  options: Readonly<Record<string, unknown>>,
  defaults: SpecDefaults = {}
): Either.Either<CompiledTrigger, TriggerError> => {
  if (alias === "interval" && defaults.now !== undefined) {
    const started = startedFromOptions(options, defaults.timezone, defaults.now)
    if (started !== undefined) return Either.right(started)
  } else if (alias === "cron") {
    const hit = internedCron(options, defaults.timezone)
    if (hit !== undefined) return Either.right(hit)
  }
  if (alias === "cron" || alias === "date" || alias === "interval") {
    const raw: Record<string, unknown> = { type: alias }
    for (const key of Object.keys(options)) raw[key] = options[key]
    const keyed = camelKeys(raw)
    const filled = Either.isRight(keyed) ? fillLeaf(keyed.right, defaults) : undefined
    if (filled !== undefined && Either.isRight(filled)) {
      const spec = filled.right
      if (alias === "interval" && spec.startDate === undefined && defaults.now !== undefined) {
        const started = startedInterval(spec, defaults.now)
        if (started !== undefined) return Either.right(started)
      } else {
        let key: string | undefined
        try {
          key = canonicalJson(spec)
        } catch {
          key = undefined
        }
        const hit = key === undefined ? undefined : interned.get(key)?.deref()
        if (hit !== undefined) return Either.right(hit)
      }
    }
  }
  return Either.flatMap(specFromOptions(alias, options, defaults), compileDecoded)
}

/** The options of an interval trigger read by {@link startedFromOptions}: amounts and jitter (numbers), then texts. */
const INTERVAL_SLOTS: ReadonlyMap<string, number> = new Map([
  ["weeks", 0],
  ["days", 1],
  ["hours", 2],
  ["minutes", 3],
  ["seconds", 4],
  ["jitter", 5],
  ["timezone", 6],
  ["endDate", 7]
])

/** At most this many interval templates are kept (then the cache starts again). */
const MAX_TEMPLATES = 1024

/**
 * Interval triggers without a start, compiled from valid options, by the content of those options
 * (each value with its type: numbers for amounts and jitter, texts for the zone and the end) and
 * the default time zone.
 */
const templates = new Map<string, CompiledTrigger>()

/**
 * An interval trigger started one interval after `now`, read from the options directly (no copy
 * of them, no text per job): the options' content finds its template (compiled and validated
 * once by the general path, without a start), which is then started at `now` ({@link startedAt}).
 * `undefined` (the general path decides, and names any error) for options this reader does not
 * take: a `startDate`, a key it does not know, a key given twice, a value of another type, options
 * the general path refuses.
 */
const startedFromOptions = (
  options: Readonly<Record<string, unknown>>,
  timezone: string | undefined,
  now: Instant
): CompiledTrigger | undefined => {
  const slots: Array<unknown> = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined]
  for (const key of Object.keys(options)) {
    const value = options[key]
    if (value === undefined) continue
    const i = INTERVAL_SLOTS.get(camelCase(key))
    if (i === undefined || slots[i] !== undefined) return undefined
    if (i <= 5 ? typeof value !== "number" : typeof value !== "string") return undefined
    slots[i] = value
  }
  // numbers print exactly (distinct numbers, distinct texts); a valid zone name holds no "|", and the end comes last
  const key = `${slots[6] ?? timezone}|${slots[0]}|${slots[1]}|${slots[2]}|${slots[3]}|${slots[4]}|${slots[5]}|${slots[7]}`
  let template = templates.get(key)
  if (template === undefined) {
    const compiled = Either.flatMap(specFromOptions("interval", options, { timezone }), compileDecoded)
    if (Either.isLeft(compiled)) return undefined
    template = compiled.right
    if (templates.size >= MAX_TEMPLATES) templates.clear()
    templates.set(key, template)
  }
  return startedAt(template, now)
}

/** The fields of a cron spec that {@link internedCron} reads, in the order `canonicalJson` sorts them. */
const CRON_SORTED: ReadonlyArray<string> = [
  "day",
  "dayOfWeek",
  "hour",
  "jitter",
  "minute",
  "month",
  "second",
  "timezone",
  "type",
  "week",
  "year"
]
const CRON_INDEX: ReadonlyMap<string, number> = new Map(CRON_SORTED.map((k, i) => [k, i]))
const CRON_TIMEZONE = CRON_INDEX.get("timezone")!
const CRON_TYPE = CRON_INDEX.get("type")!

/**
 * The interned cron trigger of these options, found by the canonical JSON of the spec they fill
 * in (the text `compileNode` interned it by), built from the options directly without copying
 * them; `undefined` when there is none (or for dates and values other than numbers and texts):
 * the general path then compiles the spec, or names the error.
 */
const internedCron = (options: Readonly<Record<string, unknown>>, timezone: string | undefined): CompiledTrigger | undefined => {
  const values: Array<string | undefined> = new Array(CRON_SORTED.length)
  for (const key of Object.keys(options)) {
    const value = options[key]
    if (value === undefined) continue
    const i = CRON_INDEX.get(camelCase(key))
    if (i === undefined || i === CRON_TYPE || values[i] !== undefined) return undefined
    if (typeof value === "number") values[i] = Number.isFinite(value) ? String(value) : "null"
    else if (typeof value === "string") values[i] = JSON.stringify(value)
    else return undefined
  }
  if (values[CRON_TIMEZONE] === undefined && timezone !== undefined) values[CRON_TIMEZONE] = JSON.stringify(timezone)
  values[CRON_TYPE] = "\"cron\""
  let key = "{"
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v !== undefined) key += (key.length === 1 ? "\"" : ",\"") + CRON_SORTED[i] + "\":" + v
  }
  return interned.get(key + "}")?.deref()
}

/**
 * An interval trigger that starts one interval after `now` (APScheduler: `start_date = now +
 * interval`), from its filled-in spec without a start: that spec is compiled (and interned) once,
 * then placed at each job's start, so jobs added one after another share its compiled parts and
 * each holds only its start. The trigger equals `compile` of the spec with that `startDate` (a
 * test holds it to that). `undefined` (the general path decides) for a spec that is not well
 * formed and for a start that is not a whole millisecond (its text is then read back for it).
 */
const startedInterval = (spec: Record<string, unknown>, now: Instant): CompiledTrigger | undefined => {
  const unstarted = wellFormedInterval(spec)
  if (unstarted === undefined) return undefined
  const template = compileNode(unstarted, true)
  if (Either.isLeft(template)) return undefined
  const start = toMillis(toMicros(now) + intervalMicros(unstarted))
  if (!Number.isSafeInteger(start)) return undefined
  const zone = resolveZone(unstarted.timezone)
  if (Either.isLeft(zone)) return undefined
  const startDate = encodeInstant(start, "startDate", zone.right)
  return Either.isLeft(startDate) ? undefined : placeAt(template.right.trigger, start, startDate.right)
}

const withDefaultsNode = (
  input: Readonly<Record<string, unknown>>,
  defaults: SpecDefaults
): Either.Either<TriggerSpec, TriggerError> => {
  const keyed = camelKeys(input)
  if (Either.isLeft(keyed)) return Either.left(keyed.left)
  const raw = keyed.right
  if (raw.type === "and" || raw.type === "or") {
    if (!Array.isArray(raw.triggers)) {
      return Either.left(new TriggerError({ field: "triggers", reason: "expected an array of trigger specs" }))
    }
    const children: Array<TriggerSpec> = []
    for (let i = 0; i < raw.triggers.length; i++) {
      const child = raw.triggers[i]
      const r = typeof child === "object" && child !== null
        ? withDefaultsNode(child as Record<string, unknown>, defaults)
        : Either.left(new TriggerError({ field: "type", reason: "a trigger spec must be an object" }))
      if (Either.isLeft(r)) return Either.left(within(i, r.left))
      children.push(r.right)
    }
    // the triggers are decoded: only this node is left to check
    const checked = checkNode(raw)
    if (Either.isLeft(checked)) return Either.left(checked.left)
    return Either.map(decodeCombiningNode(raw), (node) => combining(node, children))
  }
  const filled = fillLeaf(raw, defaults)
  if (Either.isLeft(filled)) return Either.left(filled.left)
  const decoded = decodeTree(filled.right)
  if (Either.isLeft(decoded)) return decoded
  const spec = decoded.right
  if (spec.type === "interval" && spec.startDate === undefined && defaults.now !== undefined) {
    const specZone = resolveZone(spec.timezone)
    if (Either.isLeft(specZone)) return Either.left(specZone.left)
    // APScheduler: start_date = now + interval, to the microsecond
    const start = toMillis(toMicros(defaults.now) + intervalMicros(spec))
    const startDate = encodeInstant(start, "startDate", specZone.right)
    if (Either.isLeft(startDate)) return Either.left(startDate.left)
    // not `{ ...spec, startDate }`: V8 gives each object made so its own hidden class (~300 bytes)
    const withStart: Record<string, unknown> = Object.assign({}, spec)
    withStart.startDate = startDate.right
    return Either.right(withStart as unknown as IntervalTriggerSpec)
  }
  return Either.right(spec)
}
