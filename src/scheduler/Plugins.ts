/**
 * One registry of plugin aliases for triggers, job stores and executors, which users extend.
 *
 * APScheduler: the `apscheduler.triggers` / `apscheduler.jobstores` / `apscheduler.executors`
 * entry points and `_create_plugin_instance`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { ConfigError, type TriggerError } from "../errors.js"
import type { EventBus } from "../events/EventBus.js"
import type { Executor } from "../executors/Executor.js"
import * as FiberExecutor from "../executors/FiberExecutor.js"
import * as WorkerExecutor from "../executors/WorkerExecutor.js"
import type { TaskRegistry } from "../job/TaskRegistry.js"
import type { JobStore } from "../stores/JobStore.js"
import * as MemoryJobStore from "../stores/MemoryJobStore.js"
import * as MongoJobStore from "../stores/MongoJobStore.js"
import * as RedisJobStore from "../stores/RedisJobStore.js"
import { compileFromOptions } from "../triggers/compile.js"
import type { CompiledTrigger, Instant } from "../triggers/Trigger.js"

/**
 * What a trigger plugin receives besides the user's options.
 *
 * @since 0.1.0
 * @category models
 */
export interface TriggerContext {
  /** The scheduler's time zone (for options that name none). */
  readonly timezone: string
  /** The current instant. */
  readonly now: Instant
}

/**
 * Builds a compiled trigger from APScheduler-style options (`{ hour: 9 }`).
 *
 * @since 0.1.0
 * @category models
 */
export type TriggerPlugin = (
  options: Readonly<Record<string, unknown>>,
  context: TriggerContext
) => Either.Either<CompiledTrigger, TriggerError>

/**
 * Builds a job store from its options; its resources live in the given scope.
 *
 * @since 0.1.0
 * @category models
 */
export type JobStorePlugin = (
  options: Readonly<Record<string, unknown>>
) => Effect.Effect<JobStore["Type"], ConfigError, Scope.Scope | EventBus | TaskRegistry>

/**
 * Builds an executor from its options (`maxWorkers` …); its fibers live in the given scope.
 *
 * @since 0.1.0
 * @category models
 */
export type ExecutorPlugin = (
  options: Readonly<Record<string, unknown>>
) => Effect.Effect<Executor["Type"], ConfigError, Scope.Scope | EventBus | TaskRegistry>

/**
 * The plugin registry.
 *
 * @since 0.1.0
 * @category tags
 */
export class Plugins extends Context.Tag("effect-apscheduler/Plugins")<Plugins, {
  /** Registers (or replaces) a trigger alias. */
  readonly registerTrigger: (alias: string, plugin: TriggerPlugin) => Effect.Effect<void>
  /** Registers (or replaces) a job store alias. */
  readonly registerJobStore: (alias: string, plugin: JobStorePlugin) => Effect.Effect<void>
  /** Registers (or replaces) an executor alias. */
  readonly registerExecutor: (alias: string, plugin: ExecutorPlugin) => Effect.Effect<void>
  /** The trigger plugin of an alias. */
  readonly trigger: (alias: string) => TriggerPlugin | undefined
  /** The job store plugin of an alias. */
  readonly jobStore: (alias: string) => JobStorePlugin | undefined
  /** The executor plugin of an alias. */
  readonly executor: (alias: string) => ExecutorPlugin | undefined
}>() {}

/**
 * Extra plugins to register on top of the built-in ones.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginsOptions {
  readonly triggers?: Readonly<Record<string, TriggerPlugin>>
  readonly jobstores?: Readonly<Record<string, JobStorePlugin>>
  readonly executors?: Readonly<Record<string, ExecutorPlugin>>
}

const builtinTrigger = (type: string): TriggerPlugin => (options, context) =>
  compileFromOptions(type, options, { timezone: context.timezone, now: context.now })

/** `maxWorkers` (or APScheduler's `max_workers`): absent, or a positive whole number. */
const maxWorkersOption = (options: Readonly<Record<string, unknown>>): Effect.Effect<number | undefined, ConfigError> => {
  const value = options.maxWorkers ?? options.max_workers
  return value === undefined || (typeof value === "number" && Number.isInteger(value) && value >= 1)
    ? Effect.succeed(value)
    : Effect.fail(new ConfigError({ key: "maxWorkers", reason: `expected a positive whole number, got ${JSON.stringify(value)}` }))
}

const fiberExecutor: ExecutorPlugin = (options) =>
  Effect.flatMap(maxWorkersOption(options), (maxWorkers) => FiberExecutor.make({ maxWorkers }))

const workerExecutor: ExecutorPlugin = (options) =>
  Effect.flatMap(maxWorkersOption(options), (maxWorkers) => WorkerExecutor.make({ maxWorkers }))

/**
 * The SQL job stores (`sql` / `sqlalchemy`: a URL picks the dialect, none is a SQLite file;
 * `sqlite`): the store module, and through it the dialect's client library, is imported only when
 * such a store is configured.
 */
const sqlJobStore = (kind: "sql" | "sqlite"): JobStorePlugin => (options) =>
  Effect.flatMap(
    Effect.tryPromise({
      try: () => import("../stores/sql/SqlJobStore.js"),
      catch: (cause) => new ConfigError({ key: "type", reason: `cannot load the SQL job store: ${String(cause)}` })
    }),
    (SqlJobStore) => SqlJobStore.fromPluginOptions(options, kind)
  )

/**
 * The built-in plugins: triggers `date`, `interval`, `cron`, `and`, `or`; job stores `memory`,
 * `sql` / `sqlalchemy` (SQLite, PostgreSQL or MySQL / MariaDB by URL) and `sqlite`, `redis`
 * (`{ type: "redis", url, prefix, … }`) and `mongodb` (`{ type: "mongodb", url, database,
 * collection }`), whose client packages are imported only when configured;
 * executors `default`, `threadpool`, `asyncio` (fibers) and `processpool` (worker threads).
 *
 * @since 0.1.0
 * @category constants
 */
export const builtins: Required<PluginsOptions> = {
  triggers: {
    date: builtinTrigger("date"),
    interval: builtinTrigger("interval"),
    cron: builtinTrigger("cron"),
    and: builtinTrigger("and"),
    or: builtinTrigger("or")
  },
  jobstores: {
    memory: () => MemoryJobStore.make,
    sql: sqlJobStore("sql"),
    sqlalchemy: sqlJobStore("sql"),
    sqlite: sqlJobStore("sqlite"),
    redis: RedisJobStore.plugin,
    mongodb: MongoJobStore.plugin
  },
  executors: {
    default: fiberExecutor,
    threadpool: fiberExecutor,
    asyncio: fiberExecutor,
    processpool: workerExecutor
  }
}

/**
 * Builds a registry with the built-ins and `options`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: PluginsOptions = {}): Effect.Effect<Plugins["Type"]> =>
  Effect.sync(() => {
    const triggers = new Map(Object.entries({ ...builtins.triggers, ...options.triggers }))
    const jobstores = new Map(Object.entries({ ...builtins.jobstores, ...options.jobstores }))
    const executors = new Map(Object.entries({ ...builtins.executors, ...options.executors }))
    return Plugins.of({
      registerTrigger: (alias, plugin) => Effect.sync(() => void triggers.set(alias, plugin)),
      registerJobStore: (alias, plugin) => Effect.sync(() => void jobstores.set(alias, plugin)),
      registerExecutor: (alias, plugin) => Effect.sync(() => void executors.set(alias, plugin)),
      trigger: (alias) => triggers.get(alias),
      jobStore: (alias) => jobstores.get(alias),
      executor: (alias) => executors.get(alias)
    })
  })

/**
 * The registry layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: PluginsOptions = {}): Layer.Layer<Plugins> => Layer.effect(Plugins, make(options))
