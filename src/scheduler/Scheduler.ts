/**
 * The scheduler service: APScheduler's `BaseScheduler` as an Effect service. Its layer owns the
 * loop fiber (APScheduler's `_process_jobs`, in `internal/loop.ts`), the job stores and executors
 * by alias, and the job API (`internal/jobApi.ts`). Time comes from `Clock` and randomness (job
 * ids, jitter, the owner id) from `Random`, so a `TestClock` drives a whole scheduler
 * deterministically.
 *
 * Events of one due job, in APScheduler's order: `JOB_MISSED` for run times outside the grace
 * window (plus a `JobMissedBacklog` summary for long backlogs), `JOB_REMOVED` when its trigger has
 * ended, `JOB_SUBMITTED` (or `JOB_MAX_INSTANCES`), then from the executor `JOB_EXECUTED`,
 * `JOB_ERROR` (also for a run interrupted by a shutdown without waiting), or `JOB_MISSED` when the
 * run started later than the grace time. At start: `EXECUTOR_ADDED` / `JOBSTORE_ADDED` for
 * created defaults, `JOB_ADDED` per pending job, `SCHEDULER_STARTED`.
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import {
  ConfigError,
  ConflictingAliasError,
  type ConflictingIdError,
  type InvalidArgumentError,
  type JobLookupError,
  PluginLookupError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  type StoreError,
  type TaskLookupError,
  type TriggerError
} from "../errors.js"
import * as EventBus from "../events/EventBus.js"
import {
  ExecutorRemoved,
  JobstoreRemoved,
  SchedulerPaused,
  SchedulerResumed,
  SchedulerShutdown,
  SchedulerStarted,
  type SchedulerEvent
} from "../events/SchedulerEvent.js"
import { Executor } from "../executors/Executor.js"
import * as Job from "../job/Job.js"
import * as TaskRegistry from "../job/TaskRegistry.js"
import { JobStore, type JobStoreService, type Run } from "../stores/JobStore.js"
import { defaultMode, Lock, type LockService, makeLeased, makeSingle } from "../stores/Lock.js"
import type { Instant } from "../triggers/Trigger.js"
import type * as TriggerOptions from "../triggers/TriggerOptions.js"
import {
  addExecutorEntry,
  addStoreEntry,
  applyConfig,
  build,
  closeOwned,
  type Core,
  lookupStore,
  type Owned,
  type State,
  wakeupIfRunning
} from "./internal/core.js"
import { makeLeases } from "./internal/heartbeat.js"
import { makeJobApi } from "./internal/jobApi.js"
import { Ahead } from "./internal/ahead.js"
import { makeLoop } from "./internal/loop.js"
import { Watchdog } from "./internal/storeTimeout.js"
import { makeLock } from "./internal/mutex.js"
import { Signal } from "./internal/signal.js"
import { isExecutorService, isStoreService } from "./internal/validation.js"
import * as Plugins from "./Plugins.js"
import * as SchedulerConfig from "./SchedulerConfig.js"

/**
 * The scheduler's state. APScheduler: `STATE_STOPPED` / `STATE_RUNNING` / `STATE_PAUSED`.
 *
 * @since 0.1.0
 * @category models
 */
export type SchedulerState = "stopped" | "running" | "paused"

/**
 * A trigger given to `addJob` / `rescheduleJob`: an alias (`"cron"`, with `triggerArgs`), a spec
 * object (`{ type: "interval", seconds: 10 }`), or an already compiled trigger. The options of the
 * built-in aliases are typed (see `TriggerOptions`); a plugin's alias takes any options.
 *
 * @since 0.1.0
 * @category models
 */
export type TriggerInput<A extends string = string> = TriggerOptions.TriggerInput<A>

/**
 * The options of a job (every `add_job` keyword argument but the trigger's), in camelCase; each is
 * accepted in snake_case too (`misfire_grace_time`).
 *
 * @since 0.1.0
 * @category models
 */
export interface JobOptions {
  readonly args?: ReadonlyArray<unknown> | undefined
  readonly kwargs?: Readonly<Record<string, unknown>> | undefined
  /** Job id (default: a random 32-digit hex id). */
  readonly id?: string | undefined
  readonly name?: string | undefined
  /** Seconds, or `null` for no limit (default: `jobDefaults.misfireGraceTime`). */
  readonly misfireGraceTime?: number | null | undefined
  readonly coalesce?: boolean | undefined
  readonly maxInstances?: number | undefined
  /** A run whose scheduler died: `"rerun"` (default, at-least-once) or `"abandon"` (at-most-once). */
  readonly recovery?: Job.Recovery | undefined
  /** The first run time; `null` adds the job paused; default: computed from the trigger. */
  readonly nextRunTime?: Instant | Date | null | undefined
  /** Job store alias (default `"default"`). */
  readonly jobstore?: string | undefined
  /** Executor alias (default `"default"`). */
  readonly executor?: string | undefined
  /** Replace a job with the same id instead of failing with `ConflictingIdError`. */
  readonly replaceExisting?: boolean | undefined
}

/**
 * Options of `addJob`: the job's options, the trigger, and the options of a trigger given by alias
 * (`{ trigger: "cron", triggerArgs: { hour: 9 } }`, typed by the alias). camelCase or snake_case.
 * APScheduler: the keyword arguments of `add_job`.
 *
 * @since 0.1.0
 * @category models
 */
export type AddJobOptions<A extends string = string> = TriggerOptions.WithSnakeCase<
  JobOptions & {
    /** The trigger; none = run once, now. */
    readonly trigger?: TriggerInput<A> | undefined
    /** Options of a trigger given by alias (`{ minutes: 5 }`). */
    readonly triggerArgs?: TriggerOptions.TriggerOptionsFor<A> | undefined
  }
>

/**
 * Changes accepted by `modifyJob` (every job attribute except `id` and `jobstore`; `triggerArgs`
 * only with `trigger`). camelCase or snake_case.
 *
 * @since 0.1.0
 * @category models
 */
export type JobChanges<A extends string = string> = TriggerOptions.WithSnakeCase<
  Omit<JobOptions, "id" | "jobstore" | "replaceExisting"> & {
    readonly task?: Job.Task | string | undefined
    readonly trigger?: TriggerInput<A> | undefined
    readonly triggerArgs?: TriggerOptions.TriggerOptionsFor<A> | undefined
  }
>

/**
 * Errors of adding (or changing) a job: bad input, an unknown alias, a duplicate id, a store failure.
 *
 * @since 0.1.0
 * @category errors
 */
export type AddJobError =
  | InvalidArgumentError
  | TriggerError
  | PluginLookupError
  | ConflictingIdError
  | TaskLookupError
  | StoreError

/**
 * Errors of changing an existing job.
 *
 * @since 0.1.0
 * @category errors
 */
export type ModifyJobError =
  | InvalidArgumentError
  | TriggerError
  | PluginLookupError
  | JobLookupError
  | TaskLookupError
  | StoreError

/**
 * A job store given to `addJobstore`: a store service, or a plugin configuration
 * (`{ type: "memory" }`).
 *
 * @since 0.1.0
 * @category models
 */
export type JobStoreInput = JobStoreService | SchedulerConfig.JobStoreConfig

/**
 * An executor given to `addExecutor`: an executor service or a plugin configuration
 * (`{ type: "threadpool", maxWorkers: 20 }`).
 *
 * @since 0.1.0
 * @category models
 */
export type ExecutorInput = Executor["Type"] | SchedulerConfig.ExecutorConfig

/**
 * Whether a job store answered the health check, and when it was asked.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreHealth {
  readonly alias: string
  /** It answered within {@link HEALTH_TIMEOUT_MS}. */
  readonly reachable: boolean
  /** Why not, when it did not. */
  readonly error: string | null
}

/**
 * A scheduler's health, for readiness and liveness probes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Health {
  readonly state: SchedulerState
  /** This scheduler's owner id in leases and runs. */
  readonly owner: string
  /** The lease policy: `single` or `leased`. */
  readonly lock: "single" | "leased"
  /** When the loop last finished a pass over every store without a store error (`null`: never). */
  readonly lastPassAt: Instant | null
  /** Each job store, asked now. */
  readonly stores: ReadonlyArray<StoreHealth>
  /** How many runs this process holds (queued or running, their leases not lost). */
  readonly runsHeld: number
  /** Completions (and lease hand-backs) the stores refused since the start: stale fences. */
  readonly staleCompletions: number
  /** Runs stopped because their lease could not be renewed in time or was taken over. */
  readonly lostRuns: number
}

/**
 * How long `health` waits for each job store's answer: 2 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const HEALTH_TIMEOUT_MS = 2000

/**
 * The scheduler service.
 *
 * @since 0.1.0
 * @category models
 */
export interface SchedulerService {
  /** The current state. */
  readonly state: Effect.Effect<SchedulerState>
  /** The configuration in use. */
  readonly config: Effect.Effect<SchedulerConfig.SchedulerConfig>
  /** Changes the configuration; refused while running. APScheduler: `configure`. */
  readonly configure: (
    changes: SchedulerConfig.SchedulerConfigInput | SchedulerConfig.FlatOptions
  ) => Effect.Effect<void, SchedulerAlreadyRunningError | ConfigError | PluginLookupError>
  /** Starts processing (paused: only accept jobs). APScheduler: `start`. */
  readonly start: (options?: { readonly paused?: boolean }) => Effect.Effect<
    void,
    SchedulerAlreadyRunningError | ConfigError | PluginLookupError
  >
  /**
   * The lease policy in use (this scheduler's owner id, lease length). Without a `Lock` in
   * context it is settled from the job stores when the scheduler is made and again at `start`.
   */
  readonly lock: LockService
  /**
   * The scheduler's health: its state, the time of its last successful pass, whether each job
   * store answers (each is asked, waiting at most {@link HEALTH_TIMEOUT_MS}), how many runs this
   * process holds, and the stale completions refused and runs lost since the start.
   */
  readonly health: Effect.Effect<Health>
  /** Stops the loop; `wait` (default true) waits for running jobs, else interrupts them. APScheduler: `shutdown`. */
  readonly shutdown: (options?: { readonly wait?: boolean }) => Effect.Effect<void, SchedulerNotRunningError>
  /** Pauses job processing. APScheduler: `pause`. */
  readonly pause: Effect.Effect<void, SchedulerNotRunningError>
  /** Resumes job processing. APScheduler: `resume`. */
  readonly resume: Effect.Effect<void, SchedulerNotRunningError>
  /** Wakes the loop up to look for due jobs now. APScheduler: `wakeup`. */
  readonly wakeup: Effect.Effect<void>
  /** Adds a job. APScheduler: `add_job`. */
  readonly addJob: <A extends string = string>(
    task: Job.Task | string,
    options?: AddJobOptions<A>
  ) => Effect.Effect<Job.Job, AddJobError>
  /** `addJob` as a decorator: `scheduledJob(options)(fn)`. APScheduler: `scheduled_job`. */
  readonly scheduledJob: <A extends string = string>(
    options?: AddJobOptions<A>
  ) => (task: Job.Task | string) => Effect.Effect<Job.Job, AddJobError>
  /** Changes a job's attributes. APScheduler: `modify_job`. */
  readonly modifyJob: <A extends string = string>(
    jobId: string,
    changes: JobChanges<A>,
    jobstore?: string
  ) => Effect.Effect<Job.Job, ModifyJobError>
  /** Gives a job a new trigger and recomputes its next run time. APScheduler: `reschedule_job`. */
  readonly rescheduleJob: <A extends string = string>(
    jobId: string,
    trigger: TriggerInput<A>,
    triggerArgs?: TriggerOptions.TriggerOptionsFor<A>,
    jobstore?: string
  ) => Effect.Effect<Job.Job, ModifyJobError>
  /** Pauses a job (clears its next run time). APScheduler: `pause_job`. */
  readonly pauseJob: (jobId: string, jobstore?: string) => Effect.Effect<Job.Job, ModifyJobError>
  /** Resumes a job; a job whose trigger has ended is removed (`None`). APScheduler: `resume_job`. */
  readonly resumeJob: (jobId: string, jobstore?: string) => Effect.Effect<Option.Option<Job.Job>, ModifyJobError>
  /** Removes a job. APScheduler: `remove_job`. */
  readonly removeJob: (jobId: string, jobstore?: string) => Effect.Effect<void, JobLookupError | PluginLookupError | StoreError>
  /** Removes every job (of one store). APScheduler: `remove_all_jobs`. */
  readonly removeAllJobs: (jobstore?: string) => Effect.Effect<void, PluginLookupError | StoreError>
  /** The job with this id, if any. APScheduler: `get_job`. */
  readonly getJob: (jobId: string, jobstore?: string) => Effect.Effect<Option.Option<Job.Job>, StoreError>
  /** Every job (of one store), pending ones first when stopped. APScheduler: `get_jobs`. */
  readonly getJobs: (jobstore?: string) => Effect.Effect<ReadonlyArray<Job.Job>, PluginLookupError | StoreError>
  /** The job table as text (also written to the console). APScheduler: `print_jobs`. */
  readonly printJobs: (jobstore?: string) => Effect.Effect<string, PluginLookupError | StoreError>
  /** The run records of a job (of the `"default"` store unless named), ordered by scheduled time. */
  readonly getRuns: (jobId: string, jobstore?: string) => Effect.Effect<ReadonlyArray<Run>, PluginLookupError | StoreError>
  /** Adds a job store. APScheduler: `add_jobstore`. */
  readonly addJobstore: (
    alias: string,
    store: JobStoreInput
  ) => Effect.Effect<void, ConflictingAliasError | PluginLookupError | ConfigError>
  /** Removes a job store. APScheduler: `remove_jobstore`. */
  readonly removeJobstore: (alias: string) => Effect.Effect<void, PluginLookupError>
  /** Adds an executor. APScheduler: `add_executor`. */
  readonly addExecutor: (
    alias: string,
    executor: ExecutorInput
  ) => Effect.Effect<void, ConflictingAliasError | PluginLookupError | ConfigError>
  /** Removes an executor (waiting for its jobs unless `wait: false`). APScheduler: `remove_executor`. */
  readonly removeExecutor: (alias: string, options?: { readonly wait?: boolean }) => Effect.Effect<void, PluginLookupError>
  /** Adds an event listener for the codes in `mask`; returns its id. APScheduler: `add_listener`. */
  readonly addListener: (listener: EventBus.Listener, mask?: number) => Effect.Effect<number, InvalidArgumentError>
  /** Removes a listener. APScheduler: `remove_listener`. */
  readonly removeListener: (listener: number | EventBus.Listener) => Effect.Effect<void>
  /** The events matching `mask`, as a stream. */
  readonly events: (mask?: number) => Stream.Stream<SchedulerEvent>
}

/**
 * The scheduler.
 *
 * @since 0.1.0
 * @category tags
 */
export class Scheduler extends Context.Tag("effect-apscheduler/Scheduler")<Scheduler, SchedulerService>() {}

/**
 * The longest single sleep of the loop: one day (the live clock never wakes from sleeps over
 * 2^31−1 ms; longer waits are several sleeps).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_SLEEP_MS = 86_400_000

/**
 * Options of the scheduler layer beyond its configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions {
  /** Wait for running jobs when the layer's scope closes (default true). */
  readonly waitOnClose?: boolean | undefined
  /** Start the scheduler when the layer is built (default false). */
  readonly start?: boolean | { readonly paused: boolean } | undefined
}

/**
 * Builds the scheduler. Job stores and executors come from the configuration through the plugin
 * registry; a `JobStore` / `Executor` found in context is used as the `"default"` one (unless the
 * configuration names a `"default"`), a `Lock` as the lease policy (default: `Lock.leased` when a
 * job store is persistent — SQL, Redis, MongoDB — when the scheduler is made or started, else
 * `Lock.single`; see `Lock.defaultMode`). Every store call is limited to the policy's
 * `storeTimeoutMs` (`internal/storeTimeout.ts`). The
 * returned service is stopped unless `options.start` says otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  input: SchedulerConfig.SchedulerConfigLike = {},
  options: LayerOptions = {}
): Effect.Effect<
  SchedulerService,
  ConfigError | PluginLookupError,
  EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins | Scope.Scope
> =>
  Effect.gen(function*() {
    const state: State = {
      config: yield* SchedulerConfig.decode(input),
      status: "stopped",
      pending: [],
      loopFiber: undefined,
      stores: new Map(),
      executors: new Map()
    }
    const lockOption = yield* Effect.serviceOption(Lock)
    const eventBus = yield* EventBus.EventBus
    const layerScope = yield* Effect.scope
    const clock = yield* Effect.clock
    const core: Core = {
      state,
      bus: eventBus,
      ahead: new Ahead(
        eventBus,
        clock,
        layerScope,
        (executor, submissions, sink) => {
          const owned = state.executors.get(executor)
          return owned === undefined ? undefined : owned.service.submit(submissions, sink)
        }
      ),
      registry: yield* TaskRegistry.TaskRegistry,
      plugins: yield* Plugins.Plugins,
      lock: Option.isSome(lockOption) ? lockOption.value : yield* Effect.orDie(makeSingle()), // default options: valid
      lockGiven: Option.isSome(lockOption),
      watchdog: new Watchdog(clock, yield* FiberSet.make<unknown, unknown>()),
      storeTimes: new Map(),
      wake: new Signal(clock, layerScope),
      locked: makeLock(),
      contextStore: yield* Effect.serviceOption(JobStore),
      contextExecutor: yield* Effect.serviceOption(Executor)
    }
    const { bus, locked } = core
    yield* applyConfig(core)

    const jobs = makeJobApi(core)
    const leases = makeLeases(core, clock, layerScope)
    const { flush, flusher, loop } = makeLoop(core, clock, layerScope, leases)
    yield* Effect.forkIn(Effect.interruptible(flusher), layerScope)
    let heartbeat = false
    /** Settles the default lease policy from the stores (no `Lock` given) and starts the heartbeat. */
    const settleLock = Effect.gen(function*() {
      if (!core.lockGiven && core.lock.mode === "single" && defaultMode(Array.from(state.stores.values(), (o) => o.service)) === "leased") {
        core.lock = yield* Effect.orDie(makeLeased({ owner: core.lock.owner })) // the owner of a valid policy
      }
      if (core.lock.mode === "leased" && !heartbeat) {
        heartbeat = true
        yield* Effect.forkIn(Effect.interruptible(leases.heartbeat), layerScope)
      }
    })
    yield* settleLock

    // --- lifecycle --------------------------------------------------------------------------------

    const start = (opts: { readonly paused?: boolean } = {}) =>
      locked(Effect.gen(function*() {
        if (state.status !== "stopped") return yield* new SchedulerAlreadyRunningError()
        if (!state.executors.has("default")) {
          yield* addExecutorEntry(core, "default", yield* build<Executor["Type"]>(core, "executor", "default", { type: "default" }))
        }
        if (!state.stores.has("default")) {
          yield* addStoreEntry(core, "default", yield* build<JobStoreService>(core, "jobstore", "default", { type: "memory" }))
        }
        yield* settleLock
        const toAdd = state.pending
        state.pending = []
        const defaults = state.config.jobDefaults
        for (const p of toAdd) {
          // the job defaults of the configuration as it is now (APScheduler fills them here too)
          const filled: Partial<Job.Job> = {}
          for (const k of p.defaulted) (filled as Record<string, unknown>)[k] = defaults[k]
          yield* jobs.realAdd(Job.withPending(Job.modify(p.job, filled), false), p.replaceExisting, p.computeNext).pipe(
            Effect.catchAll((e) => Effect.logError(`Cannot add pending job "${p.job.id}"`, e))
          )
        }
        state.status = opts.paused === true ? "paused" : "running"
        yield* Effect.logInfo("Scheduler started")
        yield* bus.publish(new SchedulerStarted())
        state.loopFiber = yield* Effect.forkIn(Effect.interruptible(loop), layerScope)
        yield* wakeupIfRunning(core)
      }))

    const shutdown = (opts: { readonly wait?: boolean } = {}) =>
      Effect.gen(function*() {
        if (state.status === "stopped") return yield* new SchedulerNotRunningError()
        state.status = "stopped"
        const fiber = state.loopFiber
        state.loopFiber = undefined
        if (fiber !== undefined) yield* Fiber.interrupt(fiber)
        // under Lock.leased, the runs the shutdown interrupts hand their leases back: peers take over at once
        yield* leases.beginShutdown
        // runs claimed for a time after the shutdown never start (they end interrupted)
        yield* core.ahead.drop("the scheduler shut down before its start")
        const wait = opts.wait ?? true
        for (const owned of [...state.executors.values()]) yield* owned.service.shutdown(wait)
        yield* flush
        yield* leases.endShutdown
        yield* Effect.logInfo("Scheduler has been shut down")
        yield* bus.publish(new SchedulerShutdown())
      })

    const pause = Effect.suspend(() => {
      if (state.status === "stopped") return Effect.fail(new SchedulerNotRunningError())
      if (state.status === "paused") return Effect.void
      state.status = "paused"
      return Effect.zipRight(Effect.logInfo("Paused scheduler job processing"), bus.publish(new SchedulerPaused()))
    })

    const resume = Effect.suspend(() => {
      if (state.status === "stopped") return Effect.fail(new SchedulerNotRunningError())
      if (state.status === "running") return Effect.void
      state.status = "running"
      return Effect.logInfo("Resumed scheduler job processing").pipe(
        Effect.zipRight(bus.publish(new SchedulerResumed())),
        Effect.zipRight(Effect.sync(() => core.wake.raise()))
      )
    })

    const configure = (changes: unknown) =>
      locked(Effect.gen(function*() {
        if (state.status !== "stopped") return yield* new SchedulerAlreadyRunningError()
        state.config = yield* SchedulerConfig.merge(state.config, changes)
        yield* applyConfig(core)
      }))

    // --- stores and executors -----------------------------------------------------------------------

    const addJobstore = (alias: string, input: JobStoreInput) =>
      locked(Effect.gen(function*() {
        if (state.stores.has(alias)) return yield* new ConflictingAliasError({ kind: "jobstore", alias })
        const owned: Owned<JobStoreService> = isStoreService(input)
          ? { service: input, scope: undefined }
          : yield* build<JobStoreService>(core, "jobstore", alias, yield* SchedulerConfig.decodePluginConfig(input, `jobstores.${alias}.`))
        yield* addStoreEntry(core, alias, owned)
        yield* wakeupIfRunning(core)
      }))

    const removeJobstore = (alias: string) =>
      locked(Effect.gen(function*() {
        const owned = state.stores.get(alias)
        if (owned === undefined) return yield* new PluginLookupError({ kind: "jobstore", alias })
        state.stores.delete(alias)
        yield* closeOwned(owned)
        yield* bus.publish(new JobstoreRemoved({ alias }))
      }))

    const addExecutor = (alias: string, input: ExecutorInput) =>
      locked(Effect.gen(function*() {
        if (state.executors.has(alias)) return yield* new ConflictingAliasError({ kind: "executor", alias })
        const owned: Owned<Executor["Type"]> = isExecutorService(input)
          ? { service: input, scope: undefined }
          : yield* build<Executor["Type"]>(core, "executor", alias, yield* SchedulerConfig.decodePluginConfig(input, `executors.${alias}.`))
        yield* addExecutorEntry(core, alias, owned)
      }))

    const removeExecutor = (alias: string, opts: { readonly wait?: boolean } = {}) =>
      locked(Effect.gen(function*() {
        const owned = state.executors.get(alias)
        if (owned === undefined) return yield* new PluginLookupError({ kind: "executor", alias })
        state.executors.delete(alias)
        yield* owned.service.shutdown(opts.wait ?? true)
        yield* closeOwned(owned)
        yield* bus.publish(new ExecutorRemoved({ alias }))
      }))

    const getRuns = (jobId: string, jobstore = "default") =>
      Effect.flatMap(lookupStore(core, jobstore), (store) => store.getRuns(jobId))

    // closing the layer: shut down (waiting unless told not to), then close owned stores/executors
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (state.status !== "stopped") yield* Effect.ignore(shutdown({ wait: options.waitOnClose ?? true }))
        for (const owned of state.executors.values()) yield* closeOwned(owned)
        for (const owned of state.stores.values()) yield* closeOwned(owned)
      })
    )

    const health: Effect.Effect<Health> = Effect.gen(function*() {
      const stores = yield* Effect.forEach([...state.stores], ([alias, owned]) =>
        owned.service.getNextRunTime.pipe(
          Effect.timeoutFail({
            duration: HEALTH_TIMEOUT_MS,
            onTimeout: () => `no answer within ${HEALTH_TIMEOUT_MS} ms`
          }),
          Effect.match({
            onFailure: (e): StoreHealth => ({
              alias,
              reachable: false,
              error: typeof e === "string" ? e : e.message
            }),
            onSuccess: (): StoreHealth => ({ alias, reachable: true, error: null })
          })
        ), { concurrency: "unbounded" })
      const figures = leases.figures()
      let pending = 0
      if (core.lock.mode === "single") for (const owned of state.executors.values()) pending += owned.service.pending()
      return {
        state: state.status,
        owner: core.lock.owner,
        lock: core.lock.mode,
        lastPassAt: figures.lastPassAt ?? null,
        stores,
        runsHeld: core.lock.mode === "leased" ? figures.runsHeld : pending,
        staleCompletions: figures.staleRefused,
        lostRuns: figures.lostRuns
      }
    })

    const service: SchedulerService = {
      state: Effect.sync(() => state.status),
      health,
      config: Effect.sync(() => state.config),
      get lock() {
        return core.lock
      },
      configure: Effect.fn("Scheduler.configure")(configure),
      start: Effect.fn("Scheduler.start")(start),
      shutdown: Effect.fn("Scheduler.shutdown")(shutdown),
      pause,
      resume,
      wakeup: Effect.sync(() => core.wake.raise()),
      // untraced: adding many jobs in a row must be cheap (no span per job)
      addJob: jobs.addJob,
      scheduledJob: (o) => (task) => jobs.addJob(task, o),
      modifyJob: Effect.fn("Scheduler.modifyJob")(jobs.modifyJob),
      rescheduleJob: Effect.fn("Scheduler.rescheduleJob")(jobs.rescheduleJob),
      pauseJob: Effect.fn("Scheduler.pauseJob")(jobs.pauseJob),
      resumeJob: Effect.fn("Scheduler.resumeJob")(jobs.resumeJob),
      removeJob: Effect.fn("Scheduler.removeJob")(jobs.removeJob),
      removeAllJobs: Effect.fn("Scheduler.removeAllJobs")(jobs.removeAllJobs),
      getJob: jobs.getJob,
      getJobs: jobs.getJobs,
      printJobs: jobs.printJobs,
      getRuns,
      addJobstore: Effect.fn("Scheduler.addJobstore")(addJobstore),
      removeJobstore: Effect.fn("Scheduler.removeJobstore")(removeJobstore),
      addExecutor: Effect.fn("Scheduler.addExecutor")(addExecutor),
      removeExecutor: Effect.fn("Scheduler.removeExecutor")(removeExecutor),
      addListener: bus.addListener,
      removeListener: bus.removeListener,
      events: bus.stream
    }

    if (options.start !== undefined && options.start !== false) {
      yield* start({ paused: typeof options.start === "object" && options.start.paused }).pipe(
        Effect.catchTag("SchedulerAlreadyRunningError", (e) => Effect.die(e))
      )
    }
    return service
  })

/**
 * Options of {@link layerDefault}: the layer options plus the task registry's and the plugins'.
 *
 * @since 0.1.0
 * @category models
 */
export interface SchedulerLayerOptions extends LayerOptions, TaskRegistry.TaskRegistryOptions {
  /** Extra plugins (trigger, job store, executor aliases). */
  readonly plugins?: Plugins.PluginsOptions | undefined
}

/**
 * The scheduler layer over the `EventBus`, `TaskRegistry` and `Plugins` of its context (so an
 * executor or store provided beside it shares them). A `JobStore`, `Executor` or `Lock` in context
 * is used as the default store / executor / lease policy. See {@link layerDefault} for the layer
 * with its own services.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: SchedulerConfig.SchedulerConfigLike = {},
  options: LayerOptions = {}
): Layer.Layer<Scheduler, ConfigError | PluginLookupError, EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins> =>
  Layer.scoped(Scheduler, make(config, options))

/**
 * The services a scheduler reads from its context: a fresh `EventBus`, a `TaskRegistry` and the
 * `Plugins` registry.
 *
 * @since 0.1.0
 * @category layers
 */
export const services = (
  options: TaskRegistry.TaskRegistryOptions & { readonly plugins?: Plugins.PluginsOptions | undefined } = {}
): Layer.Layer<EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins> =>
  Layer.mergeAll(
    EventBus.layer,
    TaskRegistry.layer({ tasks: options.tasks, allowImports: options.allowImports }),
    Plugins.layer(options.plugins)
  )

/**
 * The scheduler layer with its own event bus, task registry and plugin registry ({@link services},
 * also provided, so a program can subscribe, register tasks or plugins).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDefault = (
  config: SchedulerConfig.SchedulerConfigLike = {},
  options: SchedulerLayerOptions = {}
): Layer.Layer<
  Scheduler | EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins,
  ConfigError | PluginLookupError
> => layer(config, options).pipe(Layer.provideMerge(services(options)))

/**
 * {@link layerDefault} with its configuration read from `Config` (default:
 * {@link SchedulerConfig.config}, i.e. `TIMEZONE`, `JOB_DEFAULTS_*` … from the environment).
 * APScheduler: the scheduler's `gconfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<SchedulerConfig.SchedulerConfigLike> = SchedulerConfig.config,
  options: SchedulerLayerOptions = {}
): Layer.Layer<
  Scheduler | EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins,
  ConfigError | PluginLookupError
> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.mapError(config, (e) => new ConfigError({ key: "(Config)", reason: String(e) })),
      (input) => layerDefault(input, options)
    )
  )
