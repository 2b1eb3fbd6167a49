/**
 * The scheduler service: APScheduler's `BaseScheduler` as an Effect service. Its layer owns the
 * loop fiber (APScheduler's `_process_jobs`), the job stores and executors by alias, and the job
 * API. Time comes from `Clock` and randomness (job ids, jitter) from `Random`, so a `TestClock`
 * drives a whole scheduler deterministically.
 *
 * Events of one due job, in APScheduler's order: `JOB_MISSED` for run times outside the grace
 * window (plus a `JobMissedBacklog` summary for long backlogs), `JOB_REMOVED` when its trigger has
 * ended, `JOB_SUBMITTED` (or `JOB_MAX_INSTANCES`), then from the executor `JOB_EXECUTED`,
 * `JOB_ERROR`, or `JOB_MISSED` when the run started later than the grace time. At start:
 * `EXECUTOR_ADDED` / `JOBSTORE_ADDED` for created defaults, `JOB_ADDED` per pending job,
 * `SCHEDULER_STARTED`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { DateTime } from "luxon"
import {
  ConfigError,
  ConflictingAliasError,
  ConflictingIdError,
  InvalidArgumentError,
  JobLookupError,
  PluginLookupError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  type StoreError,
  type TriggerError
} from "../errors.js"
import * as EventBus from "../events/EventBus.js"
import {
  AllJobsRemoved,
  ExecutorAdded,
  ExecutorRemoved,
  JobAdded,
  JobMissed,
  JobMissedBacklog,
  JobModified,
  JobRemoved,
  JobstoreAdded,
  JobstoreRemoved,
  SchedulerPaused,
  SchedulerResumed,
  SchedulerShutdown,
  SchedulerStarted,
  type SchedulerEvent
} from "../events/SchedulerEvent.js"
import { Executor } from "../executors/Executor.js"
import { unsafeSubmitOf } from "../executors/internal/base.js"
import * as Job from "../job/Job.js"
import { isTaskRef, TaskRef } from "../job/TaskRef.js"
import * as TaskRegistry from "../job/TaskRegistry.js"
import { planRuns, type RunPlan, validateMisfireGraceTime } from "../planning/planRuns.js"
import { JobStore } from "../stores/JobStore.js"
import { Lock } from "../stores/Lock.js"
import * as MemoryJobStore from "../stores/MemoryJobStore.js"
import type { CompiledTrigger, Instant } from "../triggers/Trigger.js"
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
 * object (`{ type: "interval", seconds: 10 }`), or an already compiled trigger.
 *
 * @since 0.1.0
 * @category models
 */
export type TriggerInput = string | { readonly type: string; readonly [option: string]: unknown } | CompiledTrigger

/**
 * Options of `addJob`. APScheduler: the keyword arguments of `add_job`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AddJobOptions {
  /** The trigger; none = run once, now. */
  readonly trigger?: TriggerInput | undefined
  /** Options of a trigger given by alias (`{ minutes: 5 }`); snake_case names are accepted. */
  readonly triggerArgs?: Readonly<Record<string, unknown>> | undefined
  readonly args?: ReadonlyArray<unknown> | undefined
  readonly kwargs?: Readonly<Record<string, unknown>> | undefined
  /** Job id (default: a random 32-digit hex id). */
  readonly id?: string | undefined
  readonly name?: string | undefined
  /** Seconds, or `null` for no limit (default: `jobDefaults.misfireGraceTime`). */
  readonly misfireGraceTime?: number | null | undefined
  readonly coalesce?: boolean | undefined
  readonly maxInstances?: number | undefined
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
 * Changes accepted by `modifyJob` (every job attribute except `id` and `jobstore`).
 *
 * @since 0.1.0
 * @category models
 */
export interface JobChanges {
  readonly name?: string | undefined
  readonly task?: Job.Task | string | undefined
  readonly args?: ReadonlyArray<unknown> | undefined
  readonly kwargs?: Readonly<Record<string, unknown>> | undefined
  readonly trigger?: TriggerInput | undefined
  readonly triggerArgs?: Readonly<Record<string, unknown>> | undefined
  readonly misfireGraceTime?: number | null | undefined
  readonly coalesce?: boolean | undefined
  readonly maxInstances?: number | undefined
  readonly nextRunTime?: Instant | Date | null | undefined
  readonly executor?: string | undefined
}

/**
 * Errors of adding (or changing) a job: bad input, an unknown alias, a duplicate id, a store failure.
 *
 * @since 0.1.0
 * @category errors
 */
export type AddJobError = InvalidArgumentError | TriggerError | PluginLookupError | ConflictingIdError | StoreError

/**
 * Errors of changing an existing job.
 *
 * @since 0.1.0
 * @category errors
 */
export type ModifyJobError = InvalidArgumentError | TriggerError | PluginLookupError | JobLookupError | StoreError

/**
 * A job store given to `addJobstore`: a store service, or a plugin configuration
 * (`{ type: "memory" }`).
 *
 * @since 0.1.0
 * @category models
 */
export type JobStoreInput = JobStore["Type"] | SchedulerConfig.PluginConfig

/**
 * An executor given to `addExecutor`: an executor service or a plugin configuration
 * (`{ type: "threadpool", maxWorkers: 20 }`).
 *
 * @since 0.1.0
 * @category models
 */
export type ExecutorInput = Executor["Type"] | SchedulerConfig.PluginConfig

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
    changes: SchedulerConfig.SchedulerConfigInput | Readonly<Record<string, unknown>>
  ) => Effect.Effect<void, SchedulerAlreadyRunningError | ConfigError | PluginLookupError>
  /** Starts processing (paused: only accept jobs). APScheduler: `start`. */
  readonly start: (options?: { readonly paused?: boolean }) => Effect.Effect<
    void,
    SchedulerAlreadyRunningError | ConfigError | PluginLookupError
  >
  /** Stops the loop; `wait` (default true) waits for running jobs, else interrupts them. APScheduler: `shutdown`. */
  readonly shutdown: (options?: { readonly wait?: boolean }) => Effect.Effect<void, SchedulerNotRunningError>
  /** Pauses job processing. APScheduler: `pause`. */
  readonly pause: Effect.Effect<void, SchedulerNotRunningError>
  /** Resumes job processing. APScheduler: `resume`. */
  readonly resume: Effect.Effect<void, SchedulerNotRunningError>
  /** Wakes the loop up to look for due jobs now. APScheduler: `wakeup`. */
  readonly wakeup: Effect.Effect<void>
  /** Adds a job. APScheduler: `add_job`. */
  readonly addJob: (task: Job.Task | string, options?: AddJobOptions) => Effect.Effect<Job.Job, AddJobError>
  /** `addJob` as a decorator: `scheduledJob(options)(fn)`. APScheduler: `scheduled_job`. */
  readonly scheduledJob: (
    options?: AddJobOptions
  ) => (task: Job.Task | string) => Effect.Effect<Job.Job, AddJobError>
  /** Changes a job's attributes. APScheduler: `modify_job`. */
  readonly modifyJob: (jobId: string, changes: JobChanges, jobstore?: string) => Effect.Effect<Job.Job, ModifyJobError>
  /** Gives a job a new trigger and recomputes its next run time. APScheduler: `reschedule_job`. */
  readonly rescheduleJob: (
    jobId: string,
    trigger: TriggerInput,
    triggerArgs?: Readonly<Record<string, unknown>>,
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
  readonly addListener: (listener: EventBus.Listener, mask?: number) => Effect.Effect<number>
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

interface Owned<A> {
  readonly service: A
  /** The scope that owns it, when the scheduler created it. */
  readonly scope: Scope.CloseableScope | undefined
}

interface Pending {
  job: Job.Job
  readonly replaceExisting: boolean
  computeNext: boolean
}

/**
 * How long (ms of `Clock` time) the loop processes due jobs of a memory store before it yields, so
 * the executors start the jobs already submitted.
 */
const PASS_SLICE_MS = 2

const isTrigger = (u: unknown): u is CompiledTrigger =>
  typeof u === "object" && u !== null && typeof (u as CompiledTrigger).next === "function" &&
  typeof (u as CompiledTrigger).fastForward === "function"

const isStoreService = (u: unknown): u is JobStore["Type"] =>
  typeof u === "object" && u !== null && typeof (u as JobStore["Type"]).getDueJobs === "function"

const isExecutorService = (u: unknown): u is Executor["Type"] =>
  typeof u === "object" && u !== null && typeof (u as Executor["Type"]).submit === "function"

const invalid = (field: string, reason: string) => new InvalidArgumentError({ field, reason })

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !(u instanceof Date)

const toInstant = (field: string, value: Instant | Date | null): Either.Either<Instant | null, InvalidArgumentError> => {
  if (value === null) return Either.right(null)
  if (value instanceof Date) {
    const t = value.getTime()
    return Number.isFinite(t) ? Either.right(t) : Either.left(invalid(field, "invalid Date"))
  }
  if (typeof value === "number" && Number.isFinite(value)) return Either.right(value)
  return Either.left(invalid(field, "expected an Instant (epoch ms), a Date or null"))
}

const randomHexId: Effect.Effect<string> = Effect.gen(function*() {
  let id = ""
  for (let i = 0; i < 8; i++) id += (yield* Random.nextIntBetween(0, 0x10000)).toString(16).padStart(4, "0")
  return id
})

/**
 * Builds the scheduler. Job stores and executors come from the configuration through the plugin
 * registry; a `JobStore` / `Executor` found in context is used as the `"default"` one (unless the
 * configuration names a `"default"`). The returned service is stopped: call `start`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  input: SchedulerConfig.SchedulerConfigInput | Readonly<Record<string, unknown>> | SchedulerConfig.SchedulerConfig =
    {},
  options: LayerOptions = {}
): Effect.Effect<
  SchedulerService,
  ConfigError | PluginLookupError,
  EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins | Scope.Scope
> =>
  Effect.gen(function*() {
    let config = yield* SchedulerConfig.decode(input)
    const bus = yield* EventBus.EventBus
    const registry = yield* TaskRegistry.TaskRegistry
    const plugins = yield* Plugins.Plugins
    const lock = Option.getOrElse(yield* Effect.serviceOption(Lock), () => Lock.of({ withLock: (_, e) => e }))
    const contextStore = yield* Effect.serviceOption(JobStore)
    const contextExecutor = yield* Effect.serviceOption(Executor)
    const layerScope = yield* Effect.scope

    let state: SchedulerState = "stopped"
    const stores = new Map<string, Owned<JobStore["Type"]>>()
    const executors = new Map<string, Owned<Executor["Type"]>>()
    let pending: Array<Pending> = []
    let loopFiber: Fiber.RuntimeFiber<never, never> | undefined
    // the wake-up signal (APScheduler's `_event`): a flag the loop clears before each pass, and the
    // Deferred the waiting loop awaits (completed by a signal or by the loop's forked sleeper)
    let woken = false
    let alarm: Deferred.Deferred<void> | undefined
    // APScheduler's _jobstores_lock: the loop's store pass and the job API never interleave
    const jobstoresLock = yield* Effect.makeSemaphore(1)
    const locked = <A, E, R>(effect: Effect.Effect<A, E, R>) => jobstoresLock.withPermits(1)(effect)

    const ring = (a: Deferred.Deferred<void>) => {
      if (alarm === a) alarm = undefined
      Deferred.unsafeDone(a, Exit.void)
    }
    const wakeup = Effect.sync(() => {
      woken = true
      if (alarm !== undefined) ring(alarm)
    })
    const wakeupIfRunning = Effect.suspend(() => (state === "running" ? wakeup : Effect.void))

    // --- stores and executors -------------------------------------------------------------------

    const build = <A>(
      kind: "jobstore" | "executor",
      alias: string,
      cfg: SchedulerConfig.PluginConfig
    ): Effect.Effect<Owned<A>, PluginLookupError | ConfigError> =>
      Effect.gen(function*() {
        const { type, ...opts } = cfg
        const plugin = (kind === "jobstore" ? plugins.jobStore(type) : plugins.executor(type)) as
          | ((o: Readonly<Record<string, unknown>>) => Effect.Effect<A, ConfigError, Scope.Scope | EventBus.EventBus | TaskRegistry.TaskRegistry>)
          | undefined
        if (plugin === undefined) return yield* new PluginLookupError({ kind, alias: type })
        const scope = yield* Scope.make()
        const exit = yield* plugin(opts).pipe(
          Scope.extend(scope),
          Effect.provideService(EventBus.EventBus, bus),
          Effect.provideService(TaskRegistry.TaskRegistry, registry),
          Effect.exit
        )
        if (Exit.isFailure(exit)) {
          yield* Scope.close(scope, exit)
          return yield* Effect.failCause(exit.cause)
        }
        return { service: exit.value as A, scope }
      }).pipe(Effect.annotateLogs({ alias }))

    const closeOwned = (owned: Owned<unknown>) =>
      owned.scope === undefined ? Effect.void : Scope.close(owned.scope, Exit.void)

    const addStoreEntry = (alias: string, owned: Owned<JobStore["Type"]>) =>
      Effect.zipRight(Effect.sync(() => void stores.set(alias, owned)), bus.publish(new JobstoreAdded({ alias })))
    const addExecutorEntry = (alias: string, owned: Owned<Executor["Type"]>) =>
      Effect.zipRight(Effect.sync(() => void executors.set(alias, owned)), bus.publish(new ExecutorAdded({ alias })))

    /** APScheduler `_configure`: (re)creates the configured executors and job stores. */
    const applyConfig = Effect.gen(function*() {
      for (const owned of executors.values()) yield* closeOwned(owned)
      for (const owned of stores.values()) yield* closeOwned(owned)
      executors.clear()
      stores.clear()
      for (const [alias, cfg] of Object.entries(config.executors)) {
        yield* addExecutorEntry(alias, yield* build<Executor["Type"]>("executor", alias, cfg))
      }
      if (!executors.has("default") && Option.isSome(contextExecutor)) {
        yield* addExecutorEntry("default", { service: contextExecutor.value, scope: undefined })
      }
      for (const [alias, cfg] of Object.entries(config.jobstores)) {
        yield* addStoreEntry(alias, yield* build<JobStore["Type"]>("jobstore", alias, cfg))
      }
      if (!stores.has("default") && Option.isSome(contextStore)) {
        yield* addStoreEntry("default", { service: contextStore.value, scope: undefined })
      }
    })

    yield* applyConfig

    const lookupStore = (alias: string) => {
      const owned = stores.get(alias)
      return owned === undefined
        ? Effect.fail(new PluginLookupError({ kind: "jobstore", alias }))
        : Effect.succeed(owned.service)
    }

    // --- triggers and validation ------------------------------------------------------------------

    const resolveTrigger = (
      trigger: TriggerInput | undefined,
      triggerArgs: Readonly<Record<string, unknown>> | undefined,
      now: Instant
    ): Effect.Effect<CompiledTrigger, TriggerError | PluginLookupError | InvalidArgumentError> =>
      Effect.suspend((): Effect.Effect<CompiledTrigger, TriggerError | PluginLookupError | InvalidArgumentError> => {
        if (isTrigger(trigger)) return Effect.succeed(trigger)
        const context = { timezone: config.timezone, now }
        let alias: string
        let opts: Readonly<Record<string, unknown>>
        if (trigger === undefined) {
          alias = "date"
          opts = { runDate: new Date(now) } // encoded with six fraction digits
        } else if (typeof trigger === "string") {
          alias = trigger
          opts = triggerArgs ?? {}
          if (!isPlainObject(opts)) return Effect.fail(invalid("triggerArgs", "expected an object of trigger options"))
        } else if (isPlainObject(trigger) && typeof trigger.type === "string") {
          const { type, ...rest } = trigger
          alias = type
          opts = { ...rest, ...triggerArgs }
        } else {
          return Effect.fail(invalid("trigger", "expected an alias, a spec object with a 'type', or a compiled trigger"))
        }
        const plugin = plugins.trigger(alias)
        if (plugin === undefined) return Effect.fail(new PluginLookupError({ kind: "trigger", alias }))
        return plugin(opts, context)
      })

    const validateTask = (task: unknown): Either.Either<Job.Task, InvalidArgumentError> => {
      if (typeof task === "function") return Either.right(task as Job.JobFunction)
      if (isTaskRef(task)) return Either.right(task)
      if (typeof task === "string" && task.trim() !== "") return Either.right(new TaskRef({ ref: task }))
      return Either.left(invalid("task", "expected a function, a TaskRef or a task reference string"))
    }

    /** Validates the plain options shared by addJob and modifyJob. */
    const validateFields = (o: JobChanges & { readonly id?: string | undefined }) =>
      Effect.gen(function*() {
        const out: { -readonly [K in keyof Job.Job]?: Job.Job[K] } = {}
        if (o.id !== undefined) {
          if (typeof o.id !== "string" || o.id === "") return yield* invalid("id", "expected a non-empty string")
          out.id = o.id
        }
        if (o.name !== undefined) {
          if (typeof o.name !== "string") return yield* invalid("name", "expected a string")
          out.name = o.name
        }
        if (o.task !== undefined) out.task = yield* validateTask(o.task)
        if (o.args !== undefined) {
          if (!Array.isArray(o.args)) return yield* invalid("args", "expected an array")
          out.args = o.args
        }
        if (o.kwargs !== undefined) {
          if (!isPlainObject(o.kwargs)) return yield* invalid("kwargs", "expected a plain object")
          out.kwargs = o.kwargs
        }
        if ("misfireGraceTime" in o) out.misfireGraceTime = yield* validateMisfireGraceTime(o.misfireGraceTime)
        if (o.coalesce !== undefined) {
          if (typeof o.coalesce !== "boolean") return yield* invalid("coalesce", "expected a boolean")
          out.coalesce = o.coalesce
        }
        if (o.maxInstances !== undefined) {
          if (typeof o.maxInstances !== "number" || !Number.isInteger(o.maxInstances) || o.maxInstances < 1) {
            return yield* invalid("maxInstances", "expected a positive integer")
          }
          out.maxInstances = o.maxInstances
        }
        if (o.executor !== undefined) {
          if (typeof o.executor !== "string") return yield* invalid("executor", "expected an alias")
          if (!executors.has(o.executor) && o.executor !== "default") {
            return yield* new PluginLookupError({ kind: "executor", alias: o.executor })
          }
          out.executor = o.executor
        }
        if (o.nextRunTime !== undefined) out.nextRunTime = yield* toInstant("nextRunTime", o.nextRunTime)
        return out
      })

    const jitterSample = (trigger: CompiledTrigger) => (trigger.jitter ? Random.next : Effect.succeed(undefined))

    const firstRunTime = (trigger: CompiledTrigger, now: Instant) =>
      Effect.map(jitterSample(trigger), (sample) => trigger.next(undefined, now, sample) ?? null)

    // --- adding -----------------------------------------------------------------------------------

    /** APScheduler `_real_add_job`. */
    const realAdd = (job: Job.Job, replaceExisting: boolean, computeNext: boolean) =>
      Effect.gen(function*() {
        const store = yield* lookupStore(job.jobstore)
        if (computeNext) {
          const now = yield* Clock.currentTimeMillis
          job = Job.modify(job, { nextRunTime: yield* firstRunTime(job.trigger, now) })
        }
        yield* store.add(job, replaceExisting)
        yield* Effect.logInfo(`Added job "${job.name}" to job store "${job.jobstore}"`)
        yield* bus.publish(new JobAdded({ jobId: job.id, jobstore: job.jobstore }))
        yield* wakeupIfRunning
        return job
      })

    const addJob = (task: Job.Task | string, o: AddJobOptions = {}) =>
      Effect.gen(function*() {
        if (!isPlainObject(o as unknown)) return yield* invalid("options", "expected an object")
        const now = yield* Clock.currentTimeMillis
        const validTask = yield* validateTask(task)
        const fields = yield* validateFields({ ...o, task: undefined })
        const jobstore = o.jobstore ?? "default"
        if (typeof jobstore !== "string") return yield* invalid("jobstore", "expected an alias")
        if (!stores.has(jobstore) && jobstore !== "default") {
          return yield* new PluginLookupError({ kind: "jobstore", alias: jobstore })
        }
        if (o.replaceExisting !== undefined && typeof o.replaceExisting !== "boolean") {
          return yield* invalid("replaceExisting", "expected a boolean")
        }
        const trigger = yield* resolveTrigger(o.trigger, o.triggerArgs, now)
        const defaults = config.jobDefaults
        const job = Job.make({
          id: fields.id ?? (yield* randomHexId),
          name: fields.name,
          task: validTask,
          args: fields.args,
          kwargs: fields.kwargs,
          trigger,
          executor: fields.executor,
          jobstore,
          misfireGraceTime: "misfireGraceTime" in fields ? fields.misfireGraceTime : defaults.misfireGraceTime,
          coalesce: fields.coalesce ?? defaults.coalesce,
          maxInstances: fields.maxInstances ?? defaults.maxInstances,
          nextRunTime: fields.nextRunTime ?? null
        })
        const computeNext = fields.nextRunTime === undefined
        const replaceExisting = o.replaceExisting ?? false
        return yield* locked(Effect.suspend(() => {
          if (state === "stopped") {
            const i = pending.findIndex((p) => p.job.id === job.id)
            if (i >= 0) {
              if (!replaceExisting) return Effect.fail(new ConflictingIdError({ jobId: job.id }))
              pending.splice(i, 1)
            }
            pending.push({ job, replaceExisting, computeNext })
            return Effect.as(
              Effect.logInfo(`Adding job tentatively -- it will be properly scheduled when the scheduler starts`),
              job
            )
          }
          return realAdd(job, replaceExisting, computeNext)
        }))
      })

    // --- finding and changing jobs ------------------------------------------------------------------

    type Found =
      | { readonly _tag: "pending"; readonly entry: Pending }
      | { readonly _tag: "stored"; readonly store: JobStore["Type"]; readonly job: Job.Job }

    /** APScheduler `_lookup_job`: pending jobs first, then the stores. */
    const findJob = (jobId: string, jobstore: string | undefined) =>
      Effect.gen(function*() {
        if (state === "stopped") {
          const entry = pending.find((p) => p.job.id === jobId && (jobstore === undefined || p.job.jobstore === jobstore))
          if (entry !== undefined) return Option.some<Found>({ _tag: "pending", entry })
        }
        for (const [alias, owned] of stores) {
          if (jobstore !== undefined && alias !== jobstore) continue
          const job = yield* owned.service.lookup(jobId)
          if (Option.isSome(job)) return Option.some<Found>({ _tag: "stored", store: owned.service, job: job.value })
        }
        return Option.none<Found>()
      })

    const findOrFail = (jobId: string, jobstore: string | undefined) =>
      Effect.flatMap(findJob(jobId, jobstore), Option.match({
        onNone: () => Effect.fail(new JobLookupError({ jobId })),
        onSome: Effect.succeed
      }))

    const applyChanges = (found: Found, update: (job: Job.Job) => Job.Job, recompute?: boolean) =>
      Effect.gen(function*() {
        if (found._tag === "pending") {
          found.entry.job = update(found.entry.job)
          if (recompute !== undefined) found.entry.computeNext = recompute
          return found.entry.job
        }
        const job = update(found.job)
        yield* found.store.update(job)
        yield* bus.publish(new JobModified({ jobId: job.id, jobstore: job.jobstore }))
        yield* Effect.logInfo(`Modified job "${job.name}"`)
        yield* wakeupIfRunning
        return job
      })

    const modifyJob = (jobId: string, changes: JobChanges, jobstore?: string) =>
      Effect.gen(function*() {
        if (!isPlainObject(changes as unknown)) return yield* invalid("changes", "expected an object")
        if ("id" in changes) return yield* invalid("id", "the id of a job cannot be changed")
        if ("jobstore" in changes) return yield* invalid("jobstore", "a job cannot be moved to another job store")
        const now = yield* Clock.currentTimeMillis
        const fields = yield* validateFields(changes)
        if (changes.trigger !== undefined) fields.trigger = yield* resolveTrigger(changes.trigger, changes.triggerArgs, now)
        return yield* locked(Effect.gen(function*() {
          const found = yield* findOrFail(jobId, jobstore)
          return yield* applyChanges(
            found,
            (job) => Job.modify(job, fields),
            changes.nextRunTime !== undefined ? false : undefined
          )
        }))
      })

    const rescheduleJob = (
      jobId: string,
      trigger: TriggerInput,
      triggerArgs?: Readonly<Record<string, unknown>>,
      jobstore?: string
    ) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const compiled = yield* resolveTrigger(trigger, triggerArgs, now)
        const next = yield* firstRunTime(compiled, now)
        return yield* locked(Effect.gen(function*() {
          const found = yield* findOrFail(jobId, jobstore)
          return yield* applyChanges(found, (job) => Job.modify(job, { trigger: compiled, nextRunTime: next }), true)
        }))
      })

    const pauseJob = (jobId: string, jobstore?: string) =>
      locked(Effect.gen(function*() {
        const found = yield* findOrFail(jobId, jobstore)
        return yield* applyChanges(found, (job) => Job.modify(job, { nextRunTime: null }), false)
      }))

    const removeFound = (found: Found) =>
      Effect.gen(function*() {
        if (found._tag === "pending") {
          pending = pending.filter((p) => p !== found.entry)
          return
        }
        yield* found.store.remove(found.job.id)
        yield* bus.publish(new JobRemoved({ jobId: found.job.id, jobstore: found.job.jobstore }))
        yield* Effect.logInfo(`Removed job ${found.job.id}`)
      })

    const resumeJob = (jobId: string, jobstore?: string) =>
      locked(Effect.gen(function*() {
        const found = yield* findOrFail(jobId, jobstore)
        if (found._tag === "pending") {
          found.entry.computeNext = true
          return Option.some(found.entry.job)
        }
        const now = yield* Clock.currentTimeMillis
        const next = yield* firstRunTime(found.job.trigger, now)
        if (next === null) {
          yield* removeFound(found)
          return Option.none()
        }
        return Option.some(yield* applyChanges(found, (job) => Job.modify(job, { nextRunTime: next })))
      }))

    const removeJob = (jobId: string, jobstore?: string) =>
      locked(Effect.gen(function*() {
        if (jobstore !== undefined && !stores.has(jobstore) && state !== "stopped") {
          return yield* new PluginLookupError({ kind: "jobstore", alias: jobstore })
        }
        yield* removeFound(yield* findOrFail(jobId, jobstore))
      }))

    const removeAllJobs = (jobstore?: string) =>
      locked(Effect.gen(function*() {
        if (jobstore !== undefined && !stores.has(jobstore) && state !== "stopped") {
          return yield* new PluginLookupError({ kind: "jobstore", alias: jobstore })
        }
        if (state === "stopped") pending = pending.filter((p) => jobstore !== undefined && p.job.jobstore !== jobstore)
        for (const [alias, owned] of stores) {
          if (jobstore === undefined || alias === jobstore) yield* owned.service.removeAll
        }
        yield* bus.publish(new AllJobsRemoved({ alias: jobstore }))
      }))

    const getJob = (jobId: string, jobstore?: string) =>
      Effect.map(findJob(jobId, jobstore), Option.map((f) => (f._tag === "pending" ? f.entry.job : f.job)))

    const getJobs = (jobstore?: string) =>
      Effect.gen(function*() {
        if (jobstore !== undefined && !stores.has(jobstore) && state !== "stopped") {
          return yield* new PluginLookupError({ kind: "jobstore", alias: jobstore })
        }
        const out: Array<Job.Job> = []
        if (state === "stopped") {
          for (const p of pending) if (jobstore === undefined || p.job.jobstore === jobstore) out.push(p.job)
        }
        for (const [alias, owned] of stores) {
          if (jobstore === undefined || alias === jobstore) out.push(...(yield* owned.service.getAll))
        }
        return out
      })

    const formatTime = (t: Instant | null) =>
      t === null
        ? "paused"
        : DateTime.fromMillis(t, { zone: config.timezone }).toFormat("yyyy-MM-dd HH:mm:ss ZZZZ")

    const table = (jobs: ReadonlyArray<Job.Job>, pendingIds: ReadonlySet<string>): Array<string> => {
      const rows = jobs.map((j) => [
        j.id,
        j.name,
        j.trigger.toString(),
        pendingIds.has(j.id) ? "pending" : formatTime(j.nextRunTime)
      ])
      const header = ["id", "name", "trigger", "next run at"]
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
      const line = (r: ReadonlyArray<string>) => "    " + r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
      return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)]
    }

    const printJobs = (jobstore?: string) =>
      Effect.gen(function*() {
        const lines: Array<string> = []
        if (state === "stopped") {
          lines.push("Pending jobs:")
          const jobs = pending.filter((p) => jobstore === undefined || p.job.jobstore === jobstore).map((p) => p.job)
          if (jobs.length === 0) lines.push("    No pending jobs")
          else lines.push(...table(jobs, new Set(pending.filter((p) => p.computeNext).map((p) => p.job.id))))
        }
        const aliases = [...stores.keys()].sort()
        if (jobstore !== undefined && !stores.has(jobstore) && state !== "stopped") {
          return yield* new PluginLookupError({ kind: "jobstore", alias: jobstore })
        }
        for (const alias of aliases) {
          if (jobstore !== undefined && alias !== jobstore) continue
          if (state === "stopped") continue
          lines.push(`Jobstore ${alias}:`)
          const jobs = yield* stores.get(alias)!.service.getAll
          if (jobs.length === 0) lines.push("    No scheduled jobs")
          else lines.push(...table(jobs, new Set()))
        }
        const text = lines.join("\n") + "\n"
        yield* Console.log(text.trimEnd())
        return text
      })

    // --- the loop (APScheduler `_process_jobs`) ---------------------------------------------------

    /** The misfire/coalesce plan of one due job (the pure core). */
    const planJob = (job: Job.Job, now: Instant, jitterSample: number | undefined) =>
      planRuns({
        nextRunTime: job.nextRunTime!,
        trigger: job.trigger,
        now,
        misfireGraceTime: job.misfireGraceTime,
        coalesce: job.coalesce,
        jitterSample
      })

    /**
     * One due job through the Effects of its store and executor (any store, any executor); `known`
     * is its plan when already made (never with jitter, which draws from `Random` here).
     */
    const processJob = (alias: string, store: JobStore["Type"], job: Job.Job, now: Instant, known?: RunPlan) =>
      Effect.gen(function*() {
        const executor = executors.get(job.executor)
        if (executor === undefined) {
          yield* Effect.logError(
            `Executor lookup ("${job.executor}") failed for job "${job.name}" -- removing it from the job store`
          )
          yield* Effect.catchTag(store.remove(job.id), "JobLookupError", () => Effect.void)
          yield* bus.publish(new JobRemoved({ jobId: job.id, jobstore: alias }))
          return
        }
        const plan = known ?? planJob(job, now, job.trigger.jitter ? yield* Random.next : undefined)
        if (plan.missedSummary !== undefined) {
          const s = plan.missedSummary
          yield* Effect.logWarning(
            `Run time of job "${job.name}" was missed: ${s.count} run(s) from ${formatTime(s.first)} to ${
              formatTime(s.last)
            }`
          )
          for (const t of plan.missed) {
            yield* bus.publish(new JobMissed({ jobId: job.id, jobstore: alias, scheduledRunTime: t }))
          }
          if (s.count > plan.missed.length) {
            yield* bus.publish(
              new JobMissedBacklog({ jobId: job.id, jobstore: alias, first: s.first, last: s.last, count: s.count })
            )
          }
        }
        // advance (or remove) the job first, then submit: APScheduler dispatches JOB_REMOVED at once
        // and the collected JOB_SUBMITTED events after the pass, so REMOVED comes before SUBMITTED
        if (plan.jobRemoved) {
          yield* Effect.catchTag(store.remove(job.id), "JobLookupError", () => Effect.void)
          if (bus.hasSubscribers()) bus.unsafePublish(new JobRemoved({ jobId: job.id, jobstore: alias }))
        } else {
          yield* Effect.catchTag(
            store.update(Job.modify(job, { nextRunTime: plan.nextRunTime! })),
            "JobLookupError",
            () => Effect.void
          )
        }
        if (plan.runTimes.length > 0) yield* executor.service.submit(job, plan.runTimes)
      })

    /**
     * {@link processJob} in plain code, for a memory store's index and an executor with a synchronous
     * submit, when nothing needs an Effect (no jitter, no missed runs, no unknown executor). Returns
     * `undefined` when done, else the Effect that does (or finishes) the job.
     */
    const processJobSync = (
      alias: string,
      store: JobStore["Type"],
      index: MemoryJobStore.JobIndex,
      job: Job.Job,
      now: Instant
    ): Effect.Effect<unknown, StoreError | InvalidArgumentError> | undefined => {
      const executor = executors.get(job.executor)
      const submit = executor === undefined ? undefined : unsafeSubmitOf(executor.service)
      if (submit === undefined || job.trigger.jitter) return processJob(alias, store, job, now)
      const plan = planJob(job, now, undefined)
      if (plan.missedSummary !== undefined) return processJob(alias, store, job, now, plan)
      if (plan.jobRemoved) {
        index.remove(job.id)
        if (bus.hasSubscribers()) bus.unsafePublish(new JobRemoved({ jobId: job.id, jobstore: alias }))
      } else {
        index.update(Job.modify(job, { nextRunTime: plan.nextRunTime! }))
      }
      if (plan.runTimes.length > 0) {
        const submitted = submit(job, plan.runTimes)
        if (submitted !== "submitted") return submitted
      }
      return undefined
    }

    const processStore = (alias: string, store: JobStore["Type"], now: Instant) => {
      const index = MemoryJobStore.indexOf(store)
      if (index === undefined) {
        return Effect.gen(function*() {
          const due = yield* store.getDueJobs(now)
          for (let i = 0; i < due.length; i++) {
            // let the executors start the jobs already submitted (lateness of big batches)
            if (i > 0 && i % 128 === 0) yield* Effect.yieldNow()
            yield* processJob(alias, store, due[i]!, now)
          }
          return yield* store.getNextRunTime
        })
      }
      // a memory store: its due jobs leave the time order at once; each goes back when updated (or
      // is removed); if the pass stops early (interrupted at a yield), the rest are put back as due
      let done = 0
      let due: ReadonlyArray<Job.Job> = []
      return Effect.gen(function*() {
        const clock = yield* Effect.clock
        due = index.takeDue(now)
        done = 0
        let sliceStart = clock.unsafeCurrentTimeMillis()
        for (; done < due.length; done++) {
          // let the executors start the jobs already submitted once the pass has run for a time
          // slice (a yield costs a few fiber hops: yielding by count made big batches later)
          if ((done & 31) === 31 && clock.unsafeCurrentTimeMillis() - sliceStart >= PASS_SLICE_MS) {
            yield* Effect.yieldNow()
            sliceStart = clock.unsafeCurrentTimeMillis()
          }
          const rest = processJobSync(alias, store, index, due[done]!, now)
          if (rest !== undefined) yield* rest
        }
        return Option.fromNullable(index.nextRunTime())
      }).pipe(Effect.ensuring(Effect.sync(() => {
        for (let i = done; i < due.length; i++) index.restore(due[i]!)
      })))
    }

    /** One pass over every store; the delay until the next pass (`undefined` = until woken). */
    const processJobs: Effect.Effect<number | undefined> = locked(Effect.gen(function*() {
      if (state !== "running") return undefined
      const now = yield* Clock.currentTimeMillis
      let nextWakeup: Instant | undefined
      for (const [alias, owned] of [...stores]) {
        const result = yield* Effect.either(lock.withLock(alias, processStore(alias, owned.service, now)))
        if (Either.isLeft(result)) {
          yield* Effect.logWarning(`Error getting due jobs from job store "${alias}"`, result.left)
          const retry = now + config.jobstoreRetryInterval * 1000
          if (nextWakeup === undefined || retry < nextWakeup) nextWakeup = retry
        } else if (Option.isSome(result.right)) {
          const t = result.right.value
          if (nextWakeup === undefined || t < nextWakeup) nextWakeup = t
        }
      }
      if (state !== "running" || nextWakeup === undefined) return undefined
      const later = yield* Clock.currentTimeMillis
      return Math.max(nextWakeup - later, 0)
    }))

    /**
     * Waits for a wake-up signal or, with `ms`, until that many milliseconds have passed. The sleep
     * runs in a forked fiber that rings the same alarm as a signal: when it ends, the loop resumes
     * at once (no race to settle, no loser to interrupt and await first).
     */
    const waitForWakeup = (ms: number | undefined): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (woken) return Effect.yieldNow() // raised during the pass: served by the next one
        const a = Deferred.unsafeMake<void>(FiberId.none)
        alarm = a
        if (ms === undefined) return Deferred.await(a)
        return Effect.flatMap(
          Effect.fork(Effect.zipRight(Effect.sleep(Math.min(ms, MAX_SLEEP_MS)), Effect.sync(() => ring(a)))),
          (sleeper) => Effect.zipRight(Deferred.await(a), Effect.fiberIdWith((id) => sleeper.interruptAsFork(id)))
        )
      })

    const loop: Effect.Effect<never> = Effect.gen(function*() {
      while (true) {
        woken = false // signals raised before this pass are served by it
        const wait = yield* processJobs.pipe(
          Effect.catchAllCause((cause) =>
            Effect.as(Effect.logError("Unexpected error in the scheduler loop", cause), 1000)
          )
        )
        if (wait === 0) yield* Effect.yieldNow()
        else yield* waitForWakeup(wait)
      }
    })

    // --- lifecycle --------------------------------------------------------------------------------

    const start = (opts: { readonly paused?: boolean } = {}) =>
      locked(Effect.gen(function*() {
        if (state !== "stopped") return yield* new SchedulerAlreadyRunningError()
        if (!executors.has("default")) {
          yield* addExecutorEntry("default", yield* build<Executor["Type"]>("executor", "default", { type: "default" }))
        }
        if (!stores.has("default")) {
          yield* addStoreEntry("default", yield* build<JobStore["Type"]>("jobstore", "default", { type: "memory" }))
        }
        const toAdd = pending
        pending = []
        for (const p of toAdd) {
          yield* realAdd(p.job, p.replaceExisting, p.computeNext).pipe(
            Effect.catchAll((e) => Effect.logError(`Cannot add pending job "${p.job.id}"`, e))
          )
        }
        state = opts.paused === true ? "paused" : "running"
        yield* Effect.logInfo("Scheduler started")
        yield* bus.publish(new SchedulerStarted())
        loopFiber = yield* Effect.forkIn(Effect.interruptible(loop), layerScope)
        yield* wakeupIfRunning
      }))

    const shutdown = (opts: { readonly wait?: boolean } = {}) =>
      Effect.gen(function*() {
        if (state === "stopped") return yield* new SchedulerNotRunningError()
        state = "stopped"
        const fiber = loopFiber
        loopFiber = undefined
        if (fiber !== undefined) yield* Fiber.interrupt(fiber)
        const wait = opts.wait ?? true
        for (const owned of [...executors.values()]) yield* owned.service.shutdown(wait)
        yield* Effect.logInfo("Scheduler has been shut down")
        yield* bus.publish(new SchedulerShutdown())
      })

    const pause = Effect.suspend(() => {
      if (state === "stopped") return Effect.fail(new SchedulerNotRunningError())
      if (state === "paused") return Effect.void
      state = "paused"
      return Effect.zipRight(Effect.logInfo("Paused scheduler job processing"), bus.publish(new SchedulerPaused()))
    })

    const resume = Effect.suspend(() => {
      if (state === "stopped") return Effect.fail(new SchedulerNotRunningError())
      if (state === "running") return Effect.void
      state = "running"
      return Effect.logInfo("Resumed scheduler job processing").pipe(
        Effect.zipRight(bus.publish(new SchedulerResumed())),
        Effect.zipRight(wakeup)
      )
    })

    const configure = (changes: unknown) =>
      locked(Effect.gen(function*() {
        if (state !== "stopped") return yield* new SchedulerAlreadyRunningError()
        config = yield* SchedulerConfig.merge(config, changes)
        yield* applyConfig
      }))

    const addJobstore = (alias: string, input: JobStoreInput) =>
      locked(Effect.gen(function*() {
        if (stores.has(alias)) return yield* new ConflictingAliasError({ kind: "jobstore", alias })
        const owned: Owned<JobStore["Type"]> = isStoreService(input)
          ? { service: input, scope: undefined }
          : yield* build<JobStore["Type"]>("jobstore", alias, input)
        yield* addStoreEntry(alias, owned)
        yield* wakeupIfRunning
      }))

    const removeJobstore = (alias: string) =>
      locked(Effect.gen(function*() {
        const owned = stores.get(alias)
        if (owned === undefined) return yield* new PluginLookupError({ kind: "jobstore", alias })
        stores.delete(alias)
        yield* closeOwned(owned)
        yield* bus.publish(new JobstoreRemoved({ alias }))
      }))

    const addExecutor = (alias: string, input: ExecutorInput) =>
      Effect.gen(function*() {
        if (executors.has(alias)) return yield* new ConflictingAliasError({ kind: "executor", alias })
        const owned: Owned<Executor["Type"]> = isExecutorService(input)
          ? { service: input, scope: undefined }
          : yield* build<Executor["Type"]>("executor", alias, input)
        yield* addExecutorEntry(alias, owned)
      })

    const removeExecutor = (alias: string, opts: { readonly wait?: boolean } = {}) =>
      Effect.gen(function*() {
        const owned = executors.get(alias)
        if (owned === undefined) return yield* new PluginLookupError({ kind: "executor", alias })
        executors.delete(alias)
        yield* owned.service.shutdown(opts.wait ?? true)
        yield* closeOwned(owned)
        yield* bus.publish(new ExecutorRemoved({ alias }))
      })

    // closing the layer: shut down (waiting unless told not to), then close owned stores/executors
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (state !== "stopped") yield* Effect.ignore(shutdown({ wait: options.waitOnClose ?? true }))
        for (const owned of executors.values()) yield* closeOwned(owned)
        for (const owned of stores.values()) yield* closeOwned(owned)
      })
    )

    const service: SchedulerService = {
      state: Effect.sync(() => state),
      config: Effect.sync(() => config),
      configure: Effect.fn("Scheduler.configure")(configure),
      start: Effect.fn("Scheduler.start")(start),
      shutdown: Effect.fn("Scheduler.shutdown")(shutdown),
      pause,
      resume,
      wakeup,
      addJob: Effect.fn("Scheduler.addJob")(addJob),
      scheduledJob: (o) => (task) => addJob(task, o),
      modifyJob: Effect.fn("Scheduler.modifyJob")(modifyJob),
      rescheduleJob: Effect.fn("Scheduler.rescheduleJob")(rescheduleJob),
      pauseJob: Effect.fn("Scheduler.pauseJob")(pauseJob),
      resumeJob: Effect.fn("Scheduler.resumeJob")(resumeJob),
      removeJob: Effect.fn("Scheduler.removeJob")(removeJob),
      removeAllJobs: Effect.fn("Scheduler.removeAllJobs")(removeAllJobs),
      getJob,
      getJobs,
      printJobs,
      addJobstore: Effect.fn("Scheduler.addJobstore")(addJobstore),
      removeJobstore: Effect.fn("Scheduler.removeJobstore")(removeJobstore),
      addExecutor: Effect.fn("Scheduler.addExecutor")(addExecutor),
      removeExecutor: Effect.fn("Scheduler.removeExecutor")(removeExecutor),
      addListener: bus.addListener,
      removeListener: bus.removeListener,
      events: bus.stream
    }

    if (options.start !== undefined && options.start !== false) {
      yield* Effect.orDie(start({ paused: typeof options.start === "object" && options.start.paused }))
    }
    return service
  })

/**
 * Options of {@link layer}: the layer options plus the task registry's and the plugins'.
 *
 * @since 0.1.0
 * @category models
 */
export interface SchedulerLayerOptions extends LayerOptions, TaskRegistry.TaskRegistryOptions {
  /** Extra plugins (trigger, job store, executor aliases). */
  readonly plugins?: Plugins.PluginsOptions | undefined
}

/**
 * The scheduler layer with its own event bus, task registry and plugin registry (also provided, so
 * a program can subscribe, register tasks or plugins). A `JobStore`, `Executor` or `Lock` provided
 * to it is used as the default store / executor / lock.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: SchedulerConfig.SchedulerConfigInput | Readonly<Record<string, unknown>> = {},
  options: SchedulerLayerOptions = {}
): Layer.Layer<
  Scheduler | EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins,
  ConfigError | PluginLookupError
> =>
  Layer.scoped(Scheduler, make(config, options)).pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        EventBus.layer,
        TaskRegistry.layer({ tasks: options.tasks, allowImports: options.allowImports }),
        Plugins.layer(options.plugins)
      )
    )
  )

/**
 * The scheduler layer with its configuration read from `Config` (default:
 * {@link SchedulerConfig.config}, i.e. `TIMEZONE`, `JOB_DEFAULTS_*` … from the environment).
 * APScheduler: the scheduler's `gconfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<SchedulerConfig.SchedulerConfigInput> = SchedulerConfig.config,
  options: SchedulerLayerOptions = {}
): Layer.Layer<
  Scheduler | EventBus.EventBus | TaskRegistry.TaskRegistry | Plugins.Plugins,
  ConfigError | PluginLookupError
> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.mapError(config, (e) => new ConfigError({ key: "(Config)", reason: String(e) })),
      (input) => layer(input, options)
    )
  )
