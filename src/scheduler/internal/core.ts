/**
 * The scheduler's state in one record, the services it reads once, and the job stores and
 * executors it holds by alias (built from plugin configurations, or given).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { ConfigError, PluginLookupError } from "../../errors.js"
import * as EventBus from "../../events/EventBus.js"
import { ExecutorAdded, JobstoreAdded } from "../../events/SchedulerEvent.js"
import type { Executor } from "../../executors/Executor.js"
import type * as Job from "../../job/Job.js"
import * as TaskRegistry from "../../job/TaskRegistry.js"
import type { JobStoreService } from "../../stores/JobStore.js"
import type { LockService } from "../../stores/Lock.js"
import type * as Plugins from "../Plugins.js"
import type * as SchedulerConfig from "../SchedulerConfig.js"
import type { Ahead } from "./ahead.js"
import { Signal } from "./signal.js"
import type { StoreTime } from "./storeTime.js"
import { withoutOwnHints } from "./ownHints.js"
import { type Watchdog, withStoreTimeout } from "./storeTimeout.js"

/** The scheduler's state. APScheduler: `STATE_STOPPED` / `STATE_RUNNING` / `STATE_PAUSED`. */
export type Status = "stopped" | "running" | "paused"

/** A store or executor, and the scope that owns it when the scheduler built it. */
export interface Owned<A> {
  readonly service: A
  readonly scope: Scope.CloseableScope | undefined
}

/** A job added while the scheduler is stopped (APScheduler's `_pending_jobs`). */
export interface Pending {
  job: Job.Job
  readonly replaceExisting: boolean
  computeNext: boolean
  /** The job defaults the job was not given: filled from the configuration when it is really added. */
  readonly defaulted: ReadonlyArray<"misfireGraceTime" | "coalesce" | "maxInstances">
}

/** Everything mutable about a scheduler, in one record. */
export interface State {
  config: SchedulerConfig.SchedulerConfig
  status: Status
  pending: Array<Pending>
  loopFiber: Fiber.RuntimeFiber<never, never> | undefined
  readonly stores: Map<string, Owned<JobStoreService>>
  readonly executors: Map<string, Owned<Executor["Type"]>>
}

/** The state and the services a scheduler reads once when it is made. */
export interface Core {
  readonly state: State
  readonly bus: EventBus.EventBus["Type"]
  /** The runs claimed ahead of their time, waiting to start. */
  readonly ahead: Ahead
  readonly registry: TaskRegistry.TaskRegistry["Type"]
  readonly plugins: Plugins.Plugins["Type"]
  /**
   * The lease policy: the `Lock` in context, else settled at start from the stores
   * (`Lock.defaultMode`); until then `single`.
   */
  lock: LockService
  /** Whether `lock` came from the context (else the default, settled at start). */
  readonly lockGiven: boolean
  /** Times out the store calls (`storeTimeout.ts`); its fibers close with the scheduler. */
  readonly watchdog: Watchdog
  /** The loop's wake-up signal. */
  readonly wake: Signal
  /** Per job store alias: its clock's offset and its claim horizon, as the loop has seen them (`storeTime.ts`). */
  readonly storeTimes: Map<string, StoreTime>
  /** APScheduler's `_jobstores_lock` for the job API, configuration and lifecycle (never the loop's pass). */
  readonly locked: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** A job store / executor found in context (the `"default"` unless configured). */
  readonly contextStore: Option.Option<JobStoreService>
  readonly contextExecutor: Option.Option<Executor["Type"]>
}

/** Wakes the loop when the scheduler is running. */
export const wakeupIfRunning = (core: Core): Effect.Effect<void> => Effect.sync(() => wakeIfRunning(core))

/** Wakes the loop when the scheduler is running (plain code). */
export const wakeIfRunning = (core: Core): void => {
  if (core.state.status === "running") core.wake.raise()
}

/** Builds a job store or executor from a plugin configuration, in a scope of its own. */
export const build = <A>(
  core: Core,
  kind: "jobstore" | "executor",
  alias: string,
  cfg: SchedulerConfig.PluginConfig
): Effect.Effect<Owned<A>, PluginLookupError | ConfigError> =>
  Effect.gen(function*() {
    const { type, ...opts } = cfg
    const plugin = (kind === "jobstore" ? core.plugins.jobStore(type) : core.plugins.executor(type)) as
      | ((
        o: Readonly<Record<string, unknown>>
      ) => Effect.Effect<A, ConfigError, Scope.Scope | EventBus.EventBus | TaskRegistry.TaskRegistry>)
      | undefined
    if (plugin === undefined) return yield* new PluginLookupError({ kind, alias: type })
    const scope = yield* Scope.make()
    const exit = yield* plugin(opts).pipe(
      Scope.extend(scope),
      Effect.provideService(EventBus.EventBus, core.bus),
      Effect.provideService(TaskRegistry.TaskRegistry, core.registry),
      Effect.exit
    )
    if (Exit.isFailure(exit)) {
      yield* Scope.close(scope, exit)
      // the plugin names its option; the error names it by its path in the configuration
      const path = `${kind === "jobstore" ? "jobstores" : "executors"}.${alias}.`
      return yield* Effect.failCause(Cause.map(exit.cause, (e) =>
        e.key.startsWith(path) ? e : new ConfigError({ key: path + e.key, reason: e.reason })))
    }
    return { service: exit.value, scope }
  }).pipe(Effect.annotateLogs({ alias }))

/** Closes a store or executor the scheduler built. */
export const closeOwned = (owned: Owned<unknown>): Effect.Effect<void> =>
  owned.scope === undefined ? Effect.void : Scope.close(owned.scope, Exit.void)

/**
 * Adds a job store by alias (`JOBSTORE_ADDED`); every call the scheduler makes to it is limited to
 * the `Lock`'s `storeTimeoutMs`, and its change hints leave out those of this scheduler's own
 * writes (`ownHints.ts`: the job API wakes the loop itself).
 */
export const addStoreEntry = (core: Core, alias: string, owned: Owned<JobStoreService>) =>
  Effect.zipRight(
    Effect.sync(() => {
      // a new store under an old alias: what was learnt of the old one's timing is not its own
      core.storeTimes.delete(alias)
      core.state.stores.set(alias, {
        ...owned,
        service: withoutOwnHints(
          withStoreTimeout(owned.service, alias, core.lock.storeTimeoutMs, core.watchdog),
          () => wakeIfRunning(core)
        )
      })
    }),
    core.bus.publish(new JobstoreAdded({ alias }))
  )

/** Adds an executor by alias (`EXECUTOR_ADDED`). */
export const addExecutorEntry = (core: Core, alias: string, owned: Owned<Executor["Type"]>) =>
  Effect.zipRight(
    Effect.sync(() => void core.state.executors.set(alias, owned)),
    core.bus.publish(new ExecutorAdded({ alias }))
  )

/** APScheduler `_configure`: (re)creates the configured executors and job stores. */
export const applyConfig = (core: Core): Effect.Effect<void, PluginLookupError | ConfigError> =>
  Effect.gen(function*() {
    const { state } = core
    for (const owned of state.executors.values()) yield* closeOwned(owned)
    for (const owned of state.stores.values()) yield* closeOwned(owned)
    state.executors.clear()
    state.stores.clear()
    for (const [alias, cfg] of Object.entries(state.config.executors)) {
      yield* addExecutorEntry(core, alias, yield* build<Executor["Type"]>(core, "executor", alias, cfg))
    }
    if (!state.executors.has("default") && Option.isSome(core.contextExecutor)) {
      yield* addExecutorEntry(core, "default", { service: core.contextExecutor.value, scope: undefined })
    }
    for (const [alias, cfg] of Object.entries(state.config.jobstores)) {
      yield* addStoreEntry(core, alias, yield* build<JobStoreService>(core, "jobstore", alias, cfg))
    }
    if (!state.stores.has("default") && Option.isSome(core.contextStore)) {
      yield* addStoreEntry(core, "default", { service: core.contextStore.value, scope: undefined })
    }
  })

/** The job store with this alias, or `undefined` (plain code: the hot path of adding jobs). */
export const findStore = (core: Core, alias: string): JobStoreService | undefined => core.state.stores.get(alias)?.service

/** The job store with this alias, else `PluginLookupError`. */
export const lookupStore = (core: Core, alias: string): Effect.Effect<JobStoreService, PluginLookupError> => {
  const store = findStore(core, alias)
  return store === undefined ? Effect.fail(new PluginLookupError({ kind: "jobstore", alias })) : Effect.succeed(store)
}
