/**
 * The promise API: APScheduler's classes for programs that never touch Effect. A thin layer over
 * the Effect scheduler run in a `ManagedRuntime`; no scheduling logic lives here. Every method
 * resolves with plain values and rejects with the library's own error classes (`instanceof
 * JobLookupError` works, the message is the original).
 *
 * ```ts
 * const scheduler = new BackgroundScheduler({ timezone: "Europe/Berlin" })
 * await scheduler.addJob(tick, "interval", { seconds: 3, id: "tick" })
 * await scheduler.start()
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { InvalidArgumentError } from "../errors.js"
import type * as EventBus from "../events/EventBus.js"
import type { SchedulerEvent } from "../events/SchedulerEvent.js"
import * as JobModel from "../job/Job.js"
import * as Scheduler from "../scheduler/Scheduler.js"
import { ADD_JOB_KEYS, camelCase } from "../scheduler/internal/options.js"
import type { FlatOptions, SchedulerConfigInput, SchedulerConfigLike } from "../scheduler/SchedulerConfig.js"
import type { Run } from "../stores/JobStore.js"
import type { CompiledTrigger, Instant } from "../triggers/Trigger.js"
import type * as TriggerOptions from "../triggers/TriggerOptions.js"

/**
 * The job options `addJob` takes beside the trigger's fields (camelCase or snake_case).
 *
 * @since 0.1.0
 * @category models
 */
export const JOB_OPTIONS: ReadonlyArray<string> = ADD_JOB_KEYS.filter((k) => k !== "trigger" && k !== "triggerArgs")

/**
 * The job's options of `addJob` (camelCase or snake_case): `{ id: "tick", maxInstances: 2 }`.
 *
 * @since 0.1.0
 * @category models
 */
export type JobOptions = TriggerOptions.WithSnakeCase<Scheduler.JobOptions>

/**
 * `addJob`'s third argument with a trigger alias: the job's options and the alias' trigger fields
 * together, as APScheduler's keyword arguments (`{ seconds: 3, id: "tick" }`), typed by the alias.
 *
 * @since 0.1.0
 * @category models
 */
export type AddJobOptions<A extends string = string> = JobOptions & TriggerOptions.TriggerOptionsFor<A>

/**
 * Options of a facade scheduler beyond its configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type FacadeOptions = Scheduler.SchedulerLayerOptions

/** Runs an Effect; a failure rejects with the error itself (the library's error classes). */
const run = <A, E>(runtime: ManagedRuntime.ManagedRuntime<Scheduler.Scheduler, unknown>, effect: Effect.Effect<A, E, Scheduler.Scheduler>): Promise<A> =>
  runtime.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
  })

/** Splits APScheduler keyword arguments into the job's options and the trigger's fields. */
const split = (options: Readonly<Record<string, unknown>> | undefined): { job: Record<string, unknown>; trigger: Record<string, unknown> } => {
  const job: Record<string, unknown> = {}
  const trigger: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options ?? {})) {
    if (JOB_OPTIONS.includes(camelCase(key))) job[key] = value
    else trigger[key] = value
  }
  return { job, trigger }
}

const toDate = (t: Instant | null): Date | null => (t === null ? null : new Date(t))

/**
 * A job as the promise API shows it, with APScheduler's `Job` methods. Its fields are a snapshot,
 * refreshed by each of its own methods.
 *
 * @since 0.1.0
 * @category models
 */
export class Job {
  /** @internal */
  constructor(private readonly scheduler: BackgroundScheduler, private record: JobModel.Job) {}
  /** The job's id. */
  get id(): string {
    return this.record.id
  }
  /** The job's name. */
  get name(): string {
    return this.record.name
  }
  /** The next run time (`null`: paused, or pending). APScheduler: `next_run_time`. */
  get nextRunTime(): Date | null {
    return toDate(this.record.nextRunTime)
  }
  /** Added before `start()`, its first run time is computed at start (not paused). */
  get pending(): boolean {
    return this.record.pending === true
  }
  /** Paused: no next run time, and not pending. */
  get paused(): boolean {
    return JobModel.isPaused(this.record)
  }
  /** The trigger, as APScheduler prints it (`interval[0:00:03]`). */
  get trigger(): string {
    return String(this.record.trigger)
  }
  /** The job store alias. */
  get jobstore(): string {
    return this.record.jobstore
  }
  /** The executor alias. */
  get executor(): string {
    return this.record.executor
  }
  /** The underlying job record of the Effect API. */
  get job(): JobModel.Job {
    return this.record
  }
  /** Changes the job's attributes. APScheduler: `Job.modify`. */
  async modify<A extends string = string>(changes: Scheduler.JobChanges<A>): Promise<this> {
    this.record = (await this.scheduler.modifyJob(this.id, changes, this.jobstore)).record
    return this
  }
  /** Gives the job a new trigger. APScheduler: `Job.reschedule`. */
  async reschedule<A extends string = string>(
    trigger: Scheduler.TriggerInput<A>,
    triggerArgs?: TriggerOptions.TriggerOptionsFor<A>
  ): Promise<this> {
    this.record = (await this.scheduler.rescheduleJob(this.id, trigger, triggerArgs, this.jobstore)).record
    return this
  }
  /** Pauses the job. APScheduler: `Job.pause`. */
  async pause(): Promise<this> {
    this.record = (await this.scheduler.pauseJob(this.id, this.jobstore)).record
    return this
  }
  /** Resumes the job (`undefined` when its trigger has ended and it was removed). APScheduler: `Job.resume`. */
  async resume(): Promise<this | undefined> {
    const resumed = await this.scheduler.resumeJob(this.id, this.jobstore)
    if (resumed === undefined) return undefined
    this.record = resumed.record
    return this
  }
  /** Removes the job. APScheduler: `Job.remove`. */
  remove(): Promise<void> {
    return this.scheduler.removeJob(this.id, this.jobstore)
  }
  /** APScheduler's `str(job)`. */
  toString(): string {
    return String(this.record)
  }
}

/**
 * A scheduler that runs beside the application (its loop in the background of the event loop).
 * APScheduler: `BackgroundScheduler` (and `AsyncIOScheduler`: on Node they are the same).
 *
 * @since 0.1.0
 * @category constructors
 */
export class BackgroundScheduler {
  /** @internal */
  protected readonly runtime: ManagedRuntime.ManagedRuntime<Scheduler.Scheduler, unknown>
  /** Jobs being added by `scheduledJob`, awaited by `start()`. */
  private adding: Array<Promise<void>> = []

  /**
   * A scheduler with this configuration (camelCase, or APScheduler's flat `"apscheduler."`
   * dictionary); more can be set with `configure()` before `start()`.
   */
  constructor(config: SchedulerConfigLike = {}, options: FacadeOptions = {}) {
    this.runtime = ManagedRuntime.make(Scheduler.layerDefault(config, { ...options, start: false }))
  }

  private call<A, E>(f: (scheduler: Scheduler.SchedulerService) => Effect.Effect<A, E>): Promise<A> {
    return run(this.runtime, Effect.flatMap(Scheduler.Scheduler, f))
  }

  private handle(job: JobModel.Job): Job {
    return new Job(this, job)
  }

  /** The current state: `"stopped"`, `"running"` or `"paused"`. APScheduler: `state`. */
  state(): Promise<Scheduler.SchedulerState> {
    return this.call((s) => s.state)
  }
  /** Is the scheduler started (running or paused)? APScheduler: `running`. */
  async running(): Promise<boolean> {
    return (await this.state()) !== "stopped"
  }
  /** Changes the configuration before `start()`. APScheduler: `configure`. */
  configure(changes: SchedulerConfigInput | FlatOptions): Promise<void> {
    return this.call((s) => s.configure(changes))
  }
  /** Starts the scheduler (`paused`: only accept jobs). APScheduler: `start`. */
  async start(options: { readonly paused?: boolean } = {}): Promise<void> {
    const adding = this.adding
    this.adding = []
    await Promise.all(adding)
    return this.call((s) => s.start(options))
  }
  /**
   * Shuts the scheduler down, waiting for running jobs unless `wait: false`, and releases its
   * resources (a shut-down facade cannot be started again). APScheduler: `shutdown`.
   */
  async shutdown(options: { readonly wait?: boolean } = {}): Promise<void> {
    try {
      await this.call((s) => s.shutdown(options))
    } finally {
      await this.runtime.dispose()
    }
  }
  /** Pauses job processing. APScheduler: `pause`. */
  pause(): Promise<void> {
    return this.call((s) => s.pause)
  }
  /** Resumes job processing. APScheduler: `resume`. */
  resume(): Promise<void> {
    return this.call((s) => s.resume)
  }
  /** Wakes the loop to look for due jobs now. APScheduler: `wakeup`. */
  wakeup(): Promise<void> {
    return this.call((s) => s.wakeup)
  }

  /**
   * Adds a job: `addJob(fn, "interval", { seconds: 3, id: "tick" })`. The third argument holds the
   * trigger's fields and the job's options together, as APScheduler's keyword arguments; an unknown
   * key is an error. No trigger: the job runs once, now. APScheduler: `add_job`.
   */
  addJob<A extends string>(task: JobModel.Task | string, trigger: A, options?: AddJobOptions<A>): Promise<Job>
  addJob<A extends string>(
    task: JobModel.Task | string,
    trigger?: TriggerOptions.TriggerSpecInput<A> | CompiledTrigger | undefined,
    options?: JobOptions
  ): Promise<Job>
  async addJob(
    task: JobModel.Task | string,
    trigger?: Scheduler.TriggerInput,
    options?: Readonly<Record<string, unknown>>
  ): Promise<Job> {
    const { job, trigger: fields } = split(options)
    if (trigger === undefined && Object.keys(fields).length > 0) {
      const key = Object.keys(fields)[0]!
      throw new InvalidArgumentError({
        field: key,
        reason: `is not a job option, and there is no trigger to take it (give a trigger: addJob(fn, "interval", { ${key}: … }))`
      })
    }
    const withTrigger = trigger === undefined
      ? job
      : { ...job, trigger, ...(Object.keys(fields).length > 0 ? { triggerArgs: fields } : {}) }
    return this.handle(await this.call((s) => s.addJob(task, withTrigger as Scheduler.AddJobOptions)))
  }
  /**
   * `addJob` as a decorator-like wrapper: `scheduler.scheduledJob("cron", { hour: 9 })(report)`
   * adds the job and returns the function itself; an error in adding it rejects the next
   * `start()`. APScheduler: `scheduled_job`.
   */
  scheduledJob<A extends string>(trigger: A, options?: AddJobOptions<A>): <F extends JobModel.JobFunction>(fn: F) => F
  scheduledJob<A extends string>(
    trigger?: TriggerOptions.TriggerSpecInput<A> | CompiledTrigger | undefined,
    options?: JobOptions
  ): <F extends JobModel.JobFunction>(fn: F) => F
  scheduledJob(trigger?: Scheduler.TriggerInput, options?: Readonly<Record<string, unknown>>) {
    return <F extends JobModel.JobFunction>(fn: F): F => {
      this.adding.push(this.addJob(fn, trigger as string, options).then(() => undefined))
      return fn
    }
  }
  /** Changes a job's attributes. APScheduler: `modify_job`. */
  async modifyJob<A extends string = string>(jobId: string, changes: Scheduler.JobChanges<A>, jobstore?: string): Promise<Job> {
    return this.handle(await this.call((s) => s.modifyJob(jobId, changes, jobstore)))
  }
  /**
   * Gives a job a new trigger (`rescheduleJob(id, "cron", { hour: 9 })`) and recomputes its next
   * run time. APScheduler: `reschedule_job`.
   */
  async rescheduleJob<A extends string = string>(
    jobId: string,
    trigger: Scheduler.TriggerInput<A>,
    triggerArgs?: TriggerOptions.TriggerOptionsFor<A>,
    jobstore?: string
  ): Promise<Job> {
    return this.handle(await this.call((s) => s.rescheduleJob(jobId, trigger, triggerArgs, jobstore)))
  }
  /** Pauses a job. APScheduler: `pause_job`. */
  async pauseJob(jobId: string, jobstore?: string): Promise<Job> {
    return this.handle(await this.call((s) => s.pauseJob(jobId, jobstore)))
  }
  /** Resumes a job; `undefined` when its trigger has ended and it was removed. APScheduler: `resume_job`. */
  async resumeJob(jobId: string, jobstore?: string): Promise<Job | undefined> {
    const job = await this.call((s) => s.resumeJob(jobId, jobstore))
    return Option.isSome(job) ? this.handle(job.value) : undefined
  }
  /** Removes a job. APScheduler: `remove_job`. */
  removeJob(jobId: string, jobstore?: string): Promise<void> {
    return this.call((s) => s.removeJob(jobId, jobstore))
  }
  /** Removes every job (of one store). APScheduler: `remove_all_jobs`. */
  removeAllJobs(jobstore?: string): Promise<void> {
    return this.call((s) => s.removeAllJobs(jobstore))
  }
  /** The job with this id, or `undefined`. APScheduler: `get_job`. */
  async getJob(jobId: string, jobstore?: string): Promise<Job | undefined> {
    const job = await this.call((s) => s.getJob(jobId, jobstore))
    return Option.isSome(job) ? this.handle(job.value) : undefined
  }
  /** Every job (of one store). APScheduler: `get_jobs`. */
  async getJobs(jobstore?: string): Promise<Array<Job>> {
    return (await this.call((s) => s.getJobs(jobstore))).map((job) => this.handle(job))
  }
  /** The job table as text (also written to the console). APScheduler: `print_jobs`. */
  printJobs(jobstore?: string): Promise<string> {
    return this.call((s) => s.printJobs(jobstore))
  }
  /** The run records of a job, ordered by scheduled time. */
  getRuns(jobId: string, jobstore?: string): Promise<ReadonlyArray<Run>> {
    return this.call((s) => s.getRuns(jobId, jobstore))
  }
  /**
   * The scheduler's health (state, last successful pass, each store answering, runs held): what a
   * readiness probe checks.
   */
  health(): Promise<Scheduler.Health> {
    return this.call((s) => s.health)
  }
  /** Adds a listener for the event codes in `mask`; returns its id. APScheduler: `add_listener`. */
  addListener(listener: (event: SchedulerEvent) => unknown, mask?: number): Promise<number> {
    return this.call((s) => s.addListener(listener as EventBus.Listener, mask))
  }
  /** Removes a listener (by id or function). APScheduler: `remove_listener`. */
  removeListener(listener: number | ((event: SchedulerEvent) => unknown)): Promise<void> {
    return this.call((s) => s.removeListener(listener as number | EventBus.Listener))
  }
  /** Adds a job store (a store service or `{ type: "memory" }`-style configuration). APScheduler: `add_jobstore`. */
  addJobstore(store: Scheduler.JobStoreInput, alias = "default"): Promise<void> {
    return this.call((s) => s.addJobstore(alias, store))
  }
  /** Removes a job store. APScheduler: `remove_jobstore`. */
  removeJobstore(alias: string): Promise<void> {
    return this.call((s) => s.removeJobstore(alias))
  }
  /** Adds an executor (a service or `{ type: "processpool", maxWorkers: 4 }`-style configuration). APScheduler: `add_executor`. */
  addExecutor(executor: Scheduler.ExecutorInput, alias = "default"): Promise<void> {
    return this.call((s) => s.addExecutor(alias, executor))
  }
  /** Removes an executor. APScheduler: `remove_executor`. */
  removeExecutor(alias: string, options: { readonly wait?: boolean } = {}): Promise<void> {
    return this.call((s) => s.removeExecutor(alias, options))
  }
}

/**
 * A scheduler that is the whole program: `start()` resolves when the scheduler shuts down (by
 * `shutdown()`, or SIGINT / SIGTERM, which shut it down gracefully). APScheduler:
 * `BlockingScheduler`.
 *
 * @since 0.1.0
 * @category constructors
 */
export class BlockingScheduler extends BackgroundScheduler {
  private stopped: (() => void) | undefined

  /** Starts the scheduler; resolves once it has shut down. */
  override async start(options: { readonly paused?: boolean } = {}): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.stopped = resolve
    })
    const onSignal = () => {
      void this.shutdown().catch(() => undefined)
    }
    process.once("SIGINT", onSignal)
    process.once("SIGTERM", onSignal)
    try {
      await super.start(options)
      await done
    } finally {
      process.removeListener("SIGINT", onSignal)
      process.removeListener("SIGTERM", onSignal)
    }
  }

  override async shutdown(options: { readonly wait?: boolean } = {}): Promise<void> {
    try {
      await super.shutdown(options)
    } finally {
      this.stopped?.()
    }
  }
}
