/**
 * Scheduler configuration as a Schema: time zone, job defaults, job stores and executors by alias,
 * the job store retry interval. Also read from APScheduler's flat `"apscheduler."` dictionary with
 * string values and snake_case keys (`fromFlatOptions`).
 *
 * APScheduler: `BaseScheduler.configure` / `_configure`.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { IANAZone } from "luxon"
import { ConfigError } from "../errors.js"
import { MAX_DURATION_SECONDS } from "../triggers/Trigger.js"
import type * as TriggerOptions from "../triggers/TriggerOptions.js"
import { didYouMean } from "../triggers/internal/specCommon.js"
import { camelCase } from "./internal/options.js"

const PositiveSeconds = Schema.Number.pipe(
  Schema.finite(),
  Schema.positive({ message: () => "must be a positive number of seconds" })
)

const TimeZone = Schema.String.pipe(
  Schema.filter((s) => IANAZone.isValidZone(s) || `unknown time zone '${s}'`)
)

/**
 * The machine's IANA time zone (the default `timezone`). APScheduler: `get_localzone()`.
 *
 * @since 0.1.0
 * @category constants
 */
export const machineTimeZone = (): string => {
  const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone
  return zone !== undefined && IANAZone.isValidZone(zone) ? zone : "UTC"
}

/**
 * Defaults for jobs' options. APScheduler: `job_defaults`.
 *
 * @since 0.1.0
 * @category models
 */
export class JobDefaults extends Schema.Class<JobDefaults>("JobDefaults")({
  /** Seconds a run may be late (default 1, at most 100 years); `null` = no limit. */
  misfireGraceTime: Schema.optionalWith(
    Schema.NullOr(PositiveSeconds.pipe(Schema.lessThanOrEqualTo(MAX_DURATION_SECONDS, {
      message: () => `must be at most ${MAX_DURATION_SECONDS} seconds (100 years); null for no limit`
    }))),
    { default: () => 1 }
  ),
  /** Coalesce missed runs into one (default true). */
  coalesce: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /** Concurrent runs per job (default 1). */
  maxInstances: Schema.optionalWith(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)), { default: () => 1 })
}) {}

/**
 * A job store or executor to create through the plugin registry: its `type` alias and options.
 *
 * @since 0.1.0
 * @category models
 */
export const PluginConfig = Schema.Struct(
  { type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * The type of {@link PluginConfig}.
 *
 * @since 0.1.0
 * @category models
 */
export type PluginConfig = typeof PluginConfig.Type

/**
 * The scheduler's configuration.
 *
 * @since 0.1.0
 * @category models
 */
export class SchedulerConfig extends Schema.Class<SchedulerConfig>("SchedulerConfig")({
  /** The default time zone of triggers and of printed times (default: the machine's zone). */
  timezone: Schema.optionalWith(TimeZone, { default: machineTimeZone }),
  /** Defaults for new jobs. */
  jobDefaults: Schema.optionalWith(JobDefaults, { default: () => new JobDefaults({}) }),
  /** Job stores by alias (default: a memory store `"default"`). */
  jobstores: Schema.optionalWith(Schema.Record({ key: Schema.String, value: PluginConfig }), { default: () => ({}) }),
  /** Executors by alias (default: a fiber executor `"default"`). */
  executors: Schema.optionalWith(Schema.Record({ key: Schema.String, value: PluginConfig }), { default: () => ({}) }),
  /** Seconds to wait before asking a failing job store again (default 10). */
  jobstoreRetryInterval: Schema.optionalWith(PositiveSeconds, { default: () => 10 })
}) {}

/**
 * Job defaults as written in a configuration (camelCase or snake_case). APScheduler: `job_defaults`.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobDefaultsOptions {
  /** Seconds a run may be late (default 1); `null` = no limit. */
  readonly misfireGraceTime?: number | null | undefined
  /** Coalesce missed runs into one (default true). */
  readonly coalesce?: boolean | undefined
  /** Concurrent runs per job (default 1). */
  readonly maxInstances?: number | undefined
}

/**
 * Options of the fiber and worker-thread executors.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolExecutorOptions {
  /** At most this many runs at once (default: unbounded fibers / the CPU count of worker threads). */
  readonly maxWorkers?: number | undefined
}

/**
 * The options of each built-in executor type.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecutorOptionsByType {
  readonly default: PoolExecutorOptions
  readonly threadpool: PoolExecutorOptions
  readonly asyncio: PoolExecutorOptions
  readonly processpool: PoolExecutorOptions
}

/**
 * Options of the SQL job stores (`sql` / `sqlalchemy` / `sqlite`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SqlJobStoreOptions {
  /** `sqlite:…`, `postgres://…`, `mysql://…` / `mariadb://…`; none = a SQLite file. */
  readonly url?: string | undefined
  /** The SQLite file (without `url`). */
  readonly filename?: string | undefined
  readonly tablePrefix?: string | undefined
  /** APScheduler's name of the jobs table (`apscheduler_jobs`): its prefix is the table prefix. */
  readonly tablename?: string | undefined
  readonly clock?: "effect" | "database" | undefined
  readonly synchronous?: "NORMAL" | "FULL" | "normal" | "full" | undefined
  readonly busyTimeoutMs?: number | undefined
  readonly maxConnections?: number | undefined
  readonly statementTimeoutMs?: number | undefined
  /** PostgreSQL / MariaDB: how long the server keeps a session idle inside a transaction (default 10 s). */
  readonly idleInTransactionTimeoutMs?: number | undefined
  readonly runRetentionMs?: number | undefined
  /** PostgreSQL / MariaDB: how long a store built while its database is down keeps trying (default 60 s; 0: fail at once). */
  readonly startRetryMs?: number | undefined
}

/**
 * Options of the Redis job store.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisJobStoreOptions {
  readonly url?: string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly db?: number | undefined
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly connection?: Readonly<Record<string, unknown>> | undefined
  readonly prefix?: string | undefined
  readonly clock?: "redis" | "effect" | undefined
  readonly runRetentionMs?: number | undefined
  readonly retryWindowMs?: number | undefined
  readonly commandTimeoutMs?: number | undefined
  readonly connectTimeoutMs?: number | undefined
  readonly purgeIntervalMs?: number | undefined
  /** How long a store built while Redis is unreachable keeps trying (default 60 s; 0: fail at once). */
  readonly startRetryMs?: number | undefined
}

/**
 * Options of the MongoDB job store.
 *
 * @since 0.1.0
 * @category models
 */
export interface MongoJobStoreOptions {
  readonly url?: string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly collection?: string | undefined
  readonly clock?: "mongodb" | "effect" | undefined
  readonly runRetentionMs?: number | undefined
  readonly connection?: Readonly<Record<string, unknown>> | undefined
}

/**
 * The options of each built-in job store type.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobStoreOptionsByType {
  readonly memory: {}
  readonly sql: SqlJobStoreOptions
  readonly sqlalchemy: SqlJobStoreOptions
  readonly sqlite: SqlJobStoreOptions
  readonly redis: RedisJobStoreOptions
  readonly mongodb: MongoJobStoreOptions
}

/**
 * A plugin registered by its user (any `type` but the built-in ones' options): its options go
 * under `options`, which the plugin checks.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomPluginConfig {
  readonly type: string
  readonly options?: Readonly<Record<string, unknown>> | undefined
}

/** `{ type, ...options }` of each type of a registry of options. */
type TypedPluginConfig<M> = {
  [K in keyof M]: { readonly type: K } & TriggerOptions.WithSnakeCase<M[K]>
}[keyof M]

/**
 * An executor in a configuration: `{ type: "threadpool", maxWorkers: 20 }` (options typed for the
 * built-in types), or a plugin's `{ type, options }`.
 *
 * @since 0.1.0
 * @category models
 */
export type ExecutorConfig = TypedPluginConfig<ExecutorOptionsByType> | CustomPluginConfig

/**
 * A job store in a configuration: `{ type: "sqlite", filename: "jobs.sqlite" }` (options typed
 * for the built-in types), or a plugin's `{ type, options }`.
 *
 * @since 0.1.0
 * @category models
 */
export type JobStoreConfig = TypedPluginConfig<JobStoreOptionsByType> | CustomPluginConfig

/**
 * A configuration as users write it: every key optional, camelCase or snake_case
 * (`jobDefaults` / `job_defaults`). APScheduler: the keyword arguments of `configure`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SchedulerConfigOptions {
  /** The default time zone of triggers and of printed times (default: the machine's zone). */
  readonly timezone?: string | undefined
  /** Defaults for new jobs. */
  readonly jobDefaults?: TriggerOptions.WithSnakeCase<JobDefaultsOptions> | undefined
  /** Job stores by alias (default: a memory store `"default"`). */
  readonly jobstores?: Readonly<Record<string, JobStoreConfig>> | undefined
  /** Executors by alias (default: a fiber executor `"default"`). */
  readonly executors?: Readonly<Record<string, ExecutorConfig>> | undefined
  /** Seconds to wait before asking a failing job store again (default 10). */
  readonly jobstoreRetryInterval?: number | undefined
}

/**
 * The input accepted for a configuration object: {@link SchedulerConfigOptions} in camelCase or
 * snake_case.
 *
 * @since 0.1.0
 * @category models
 */
export type SchedulerConfigInput = TriggerOptions.WithSnakeCase<SchedulerConfigOptions>

/**
 * APScheduler's flat `"apscheduler."` dictionary, marked as such by {@link flat}.
 *
 * @since 0.1.0
 * @category models
 */
export class FlatOptions {
  /** The tag that marks a flat dictionary. */
  readonly _tag = "FlatOptions"
  constructor(
    /** The dictionary: `{ "apscheduler.timezone": "UTC", "apscheduler.job_defaults.coalesce": "false" }`. */
    readonly options: Readonly<Record<string, unknown>>
  ) {}
}

/**
 * Marks APScheduler's flat dictionary as a configuration (`Scheduler.layer(SchedulerConfig.flat({
 * "apscheduler.timezone": "UTC" }))`); keys without the prefix are ignored, as in APScheduler.
 *
 * @since 0.1.0
 * @category constructors
 */
export const flat = (options: Readonly<Record<string, unknown>>): FlatOptions => new FlatOptions(options)

/**
 * Every form of configuration a scheduler takes: an options object (a decoded
 * {@link SchedulerConfig} is one) or a {@link flat} dictionary.
 *
 * @since 0.1.0
 * @category models
 */
export type SchedulerConfigLike = SchedulerConfigInput | FlatOptions

/**
 * The default configuration, with the machine's time zone as it is when called (a function, so that
 * importing the package does not start the ICU time-zone data: about 20 ms).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults = (): SchedulerConfig => Schema.decodeSync(SchedulerConfig)({})

const toConfigError = (error: ParseResult.ParseError, prefix = ""): ConfigError => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const key = issue === undefined || issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".")
  return new ConfigError({ key: prefix + key, reason: issue?.message ?? String(error) })
}

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const TOP_KEYS = ["timezone", "jobDefaults", "jobstores", "executors", "jobstoreRetryInterval"]
const JOB_DEFAULT_KEYS = ["misfireGraceTime", "coalesce", "maxInstances"]

/**
 * An object's keys in camelCase: with `allowed`, any other key is a `ConfigError` (path and hint);
 * a key given in two spellings is one too.
 */
const camelKeys = (
  input: Readonly<Record<string, unknown>>,
  path: string,
  allowed?: ReadonlyArray<string>
): Either.Either<Record<string, unknown>, ConfigError> => {
  const out: Record<string, unknown> = {}
  const spelled: Record<string, string> = {}
  for (const [key, value] of Object.entries(input)) {
    const camel = camelCase(key)
    if (allowed !== undefined && !allowed.includes(camel)) {
      return Either.left(new ConfigError({ key: path + key, reason: `is not an option${didYouMean(key, allowed)}` }))
    }
    if (spelled[camel] !== undefined) {
      return Either.left(new ConfigError({ key: path + key, reason: `given twice (as \`${spelled[camel]}\` and \`${key}\`)` }))
    }
    spelled[camel] = key
    out[camel] = value
  }
  return Either.right(out)
}

/**
 * A plugin configuration with camelCase keys; a custom plugin's `options` are spread beside its
 * `type` (they may not be given both ways).
 */
const normalizePlugin = (raw: unknown, path: string): Either.Either<unknown, ConfigError> => {
  if (!isObject(raw)) return Either.right(raw) // the schema names what is wrong
  return Either.flatMap(camelKeys(raw, path), (plugin) => {
    const { options, ...rest } = plugin
    if (options === undefined) return Either.right(plugin)
    if (!isObject(options)) return Either.left(new ConfigError({ key: `${path}options`, reason: "expected an object of the plugin's options" }))
    const others = Object.keys(rest).filter((k) => k !== "type")
    if (others.length > 0) {
      return Either.left(new ConfigError({ key: path + others[0], reason: "give a plugin's options either beside its type or under `options`, not both" }))
    }
    return Either.map(camelKeys(options, `${path}options.`), (opts) => ({ ...opts, ...rest }))
  })
}

/**
 * A plugin configuration given to `addJobstore` / `addExecutor`: its keys in camelCase, a custom
 * plugin's `options` spread beside its `type`; a `ConfigError` names a bad key by `path`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodePluginConfig = (raw: unknown, path: string): Either.Either<PluginConfig, ConfigError> =>
  Either.flatMap(normalizePlugin(raw, path), (plugin) =>
    Either.mapLeft(
      Schema.decodeUnknownEither(PluginConfig)(plugin),
      (e) => toConfigError(e, path)
    ))

/**
 * A configuration object with every key in camelCase, unknown keys refused with a hint, plugin
 * options spread beside their `type`; values are left to the schema.
 */
const normalize = (input: unknown): Either.Either<unknown, ConfigError> => {
  if (!isObject(input)) return Either.right(input)
  return Either.gen(function*() {
    const out = yield* camelKeys(input, "", TOP_KEYS)
    if (isObject(out.jobDefaults)) out.jobDefaults = yield* camelKeys(out.jobDefaults, "jobDefaults.", JOB_DEFAULT_KEYS)
    for (const kind of ["jobstores", "executors"] as const) {
      const plugins = out[kind]
      if (!isObject(plugins)) continue
      const normalized: Record<string, unknown> = {}
      for (const [alias, raw] of Object.entries(plugins)) normalized[alias] = yield* normalizePlugin(raw, `${kind}.${alias}.`)
      out[kind] = normalized
    }
    return out
  })
}

/**
 * Decodes a configuration (an options object in camelCase or snake_case, a {@link flat}
 * dictionary, or a plain object with `"apscheduler."` keys); the error names the offending key
 * with its path (`executors.default.maxWorkers`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown): Either.Either<SchedulerConfig, ConfigError> => {
  if (input instanceof SchedulerConfig) return Either.right(input)
  if (input instanceof FlatOptions) return fromFlatOptions(input.options)
  if (typeof input === "object" && input !== null && Object.keys(input).some((k) => k.startsWith(FLAT_PREFIX))) {
    return fromFlatOptions(input as Record<string, unknown>)
  }
  return Either.flatMap(normalize(input), (normalized) =>
    Either.mapLeft(
      Schema.decodeUnknownEither(SchedulerConfig, { onExcessProperty: "error" })(normalized),
      (e) => toConfigError(e)
    ))
}

/**
 * Merges changes into a configuration (top-level keys replace, `jobDefaults` merges), as
 * APScheduler's `configure(**options)` updates its config dictionary.
 *
 * @since 0.1.0
 * @category combinators
 */
export const merge = (base: SchedulerConfig, changes: unknown): Either.Either<SchedulerConfig, ConfigError> =>
  Either.flatMap(decodeChanges(changes), (c) =>
    decode({
      ...Schema.encodeSync(SchedulerConfig)(base),
      ...c,
      jobDefaults: { ...Schema.encodeSync(JobDefaults)(base.jobDefaults), ...(c.jobDefaults as object ?? {}) }
    }))

const decodeChanges = (changes: unknown): Either.Either<Record<string, unknown>, ConfigError> => {
  if (changes instanceof FlatOptions) return flatToNested(changes.options as Record<string, unknown>)
  if (typeof changes === "object" && changes !== null && Object.keys(changes).some((k) => k.startsWith(FLAT_PREFIX))) {
    return flatToNested(changes as Record<string, unknown>)
  }
  if (typeof changes !== "object" || changes === null) {
    return Either.left(new ConfigError({ key: "(root)", reason: "expected an object" }))
  }
  return Either.map(normalize(changes), (c) => c as Record<string, unknown>)
}

// --- APScheduler's flat dictionary -------------------------------------------------------------

const FLAT_PREFIX = "apscheduler."

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

const CLASS_ALIASES: Record<string, string> = {
  ThreadPoolExecutor: "threadpool",
  ProcessPoolExecutor: "processpool",
  AsyncIOExecutor: "asyncio",
  MemoryJobStore: "memory",
  SQLAlchemyJobStore: "sqlalchemy",
  RedisJobStore: "redis",
  MongoDBJobStore: "mongodb"
}

const asBool = (key: string, value: unknown): Either.Either<boolean, ConfigError> => {
  if (typeof value === "boolean") return Either.right(value)
  if (typeof value === "string") {
    const v = value.trim().toLowerCase()
    if (["true", "yes", "on", "y", "t", "1"].includes(v)) return Either.right(true)
    if (["false", "no", "off", "n", "f", "0"].includes(v)) return Either.right(false)
  }
  return Either.left(new ConfigError({ key, reason: `expected a boolean ('true' / 'false'), got ${JSON.stringify(value)}` }))
}

const asNumber = (key: string, value: unknown, int: boolean): Either.Either<number, ConfigError> => {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN
  if (Number.isFinite(n) && (!int || Number.isInteger(n))) return Either.right(n)
  return Either.left(
    new ConfigError({ key, reason: `expected ${int ? "an integer" : "a number"}, got ${JSON.stringify(value)}` })
  )
}

const pluginOptions = (
  key: string,
  raw: unknown
): Either.Either<Record<string, unknown>, ConfigError> => {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return Either.left(new ConfigError({ key, reason: "expected an object with a 'type' (or 'class')" }))
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (k === "class") {
      const name = String(v).split(/[:.]/).pop() ?? ""
      const alias = CLASS_ALIASES[name]
      if (alias === undefined) return Either.left(new ConfigError({ key: `${key}.class`, reason: `unknown class '${String(v)}'` }))
      out.type = alias
    } else {
      // numeric strings become numbers ('20' → 20): APScheduler's options are strings here
      out[camel(k)] = typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v
    }
  }
  if (typeof out.type !== "string") return Either.left(new ConfigError({ key: `${key}.type`, reason: "missing 'type'" }))
  return Either.right(out)
}

const flatToNested = (dict: Record<string, unknown>): Either.Either<Record<string, unknown>, ConfigError> => {
  // expand dotted keys into nested objects (APScheduler: combine_opts)
  const tree: Record<string, any> = {}
  for (const [fullKey, value] of Object.entries(dict)) {
    if (!fullKey.startsWith(FLAT_PREFIX)) continue
    const parts = fullKey.slice(FLAT_PREFIX.length).split(".")
    let node = tree
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!
      if (typeof node[p] !== "object" || node[p] === null) node[p] = {}
      node = node[p]
    }
    const last = parts[parts.length - 1]!
    node[last] = typeof value === "object" && value !== null && typeof node[last] === "object"
      ? { ...node[last], ...value }
      : value
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(tree)) {
    const full = FLAT_PREFIX + key
    switch (key) {
      case "timezone":
        out.timezone = value
        break
      case "jobstore_retry_interval": {
        const n = asNumber(full, value, false)
        if (Either.isLeft(n)) return Either.left(n.left)
        out.jobstoreRetryInterval = n.right
        break
      }
      case "job_defaults": {
        if (typeof value !== "object" || value === null) {
          return Either.left(new ConfigError({ key: full, reason: "expected job_defaults.<option> keys" }))
        }
        const jd: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(value)) {
          const fk = `${full}.${k}`
          if (k === "coalesce") {
            const b = asBool(fk, v)
            if (Either.isLeft(b)) return Either.left(b.left)
            jd.coalesce = b.right
          } else if (k === "max_instances") {
            const n = asNumber(fk, v, true)
            if (Either.isLeft(n)) return Either.left(n.left)
            jd.maxInstances = n.right
          } else if (k === "misfire_grace_time") {
            if (v === null || (typeof v === "string" && ["none", "null", ""].includes(v.trim().toLowerCase()))) {
              jd.misfireGraceTime = null
            } else {
              const n = asNumber(fk, v, false)
              if (Either.isLeft(n)) return Either.left(n.left)
              jd.misfireGraceTime = n.right
            }
          } else {
            return Either.left(new ConfigError({ key: fk, reason: "unknown job default" }))
          }
        }
        out.jobDefaults = jd
        break
      }
      case "jobstores":
      case "executors": {
        if (typeof value !== "object" || value === null) {
          return Either.left(new ConfigError({ key: full, reason: `expected ${key}.<alias> keys` }))
        }
        const plugins: Record<string, unknown> = {}
        for (const [alias, raw] of Object.entries(value)) {
          const opts = pluginOptions(`${full}.${alias}`, raw)
          if (Either.isLeft(opts)) return opts
          plugins[alias] = opts.right
        }
        out[key] = plugins
        break
      }
      default:
        return Either.left(new ConfigError({ key: full, reason: "unknown configuration key" }))
    }
  }
  return Either.right(out)
}

/**
 * Reads APScheduler's flat dictionary (`{"apscheduler.timezone": "UTC",
 * "apscheduler.job_defaults.coalesce": "false", "apscheduler.executors.default": {type:
 * "threadpool", max_workers: "20"}}`); keys without the prefix are ignored, as in APScheduler.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromFlatOptions = (dict: Readonly<Record<string, unknown>>): Either.Either<SchedulerConfig, ConfigError> =>
  Either.flatMap(flatToNested(dict as Record<string, unknown>), (nested) =>
    Either.mapLeft(
      Schema.decodeUnknownEither(SchedulerConfig, { onExcessProperty: "error" })(nested),
      (e) => toConfigError(e)
    ))

/**
 * The configuration read from Effect's `Config` (any `ConfigProvider`: environment variables by
 * default): `TIMEZONE`, `JOBSTORE_RETRY_INTERVAL`, `JOB_DEFAULTS_COALESCE`,
 * `JOB_DEFAULTS_MAX_INSTANCES`, `JOB_DEFAULTS_MISFIRE_GRACE_TIME` (each optional; with
 * `Config.nested` for a prefix).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<SchedulerConfigOptions> = Config.all({
  timezone: Config.option(Config.string("TIMEZONE")),
  jobstoreRetryInterval: Config.option(Config.number("JOBSTORE_RETRY_INTERVAL")),
  coalesce: Config.option(Config.boolean("JOB_DEFAULTS_COALESCE")),
  maxInstances: Config.option(Config.integer("JOB_DEFAULTS_MAX_INSTANCES")),
  misfireGraceTime: Config.option(Config.number("JOB_DEFAULTS_MISFIRE_GRACE_TIME"))
}).pipe(Config.map((c) => {
  const jobDefaults: Record<string, unknown> = {}
  if (Option.isSome(c.coalesce)) jobDefaults.coalesce = c.coalesce.value
  if (Option.isSome(c.maxInstances)) jobDefaults.maxInstances = c.maxInstances.value
  if (Option.isSome(c.misfireGraceTime)) jobDefaults.misfireGraceTime = c.misfireGraceTime.value
  return {
    ...(Option.isSome(c.timezone) ? { timezone: c.timezone.value } : {}),
    ...(Option.isSome(c.jobstoreRetryInterval) ? { jobstoreRetryInterval: c.jobstoreRetryInterval.value } : {}),
    jobDefaults
  } as SchedulerConfigOptions
}))
