/**
 * The executor contract: runs the runs that the store's `release` handed out, reports each run's
 * end to a sink (which the scheduler turns into the store's `complete`) and publishes the
 * execution events (`JOB_EXECUTED`, `JOB_ERROR`, `JOB_MISSED` for a first attempt that starts later than the
 * grace time). `maxInstances` is decided by the store (live runs), not here.
 *
 * APScheduler: `BaseExecutor`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Job, Task } from "../job/Job.js"
import type { LazyRunContext } from "../job/JobContext.js"
import type { Completion, Run } from "../stores/JobStore.js"

/**
 * The runs of one job to run, in order (one instance: run one after the other).
 *
 * @since 0.1.0
 * @category models
 */
export interface Submission {
  readonly job: Job
  readonly runs: ReadonlyArray<Run>
}

/**
 * Where an executor reports the end of every run it was given (exactly once per run).
 *
 * @since 0.1.0
 * @category models
 */
export interface CompletionSink {
  readonly done: (job: Job, completion: Completion) => void
  /**
   * When given (a sink that holds run leases, `Lock.leased`), asked before each run starts:
   * `false` means the run must not start (its lease is lost): it ends `interrupted` unstarted.
   * `stop` stops the run later: an Effect or promise job is interrupted (its `AbortSignal`
   * fires) and ends `interrupted` with `reason`; a synchronous job has ended before it can be.
   * `context` is the run's context: the sink binds the run's lease to it (`isLeaseValid`).
   */
  readonly starting?: ((run: Run, stop: (reason: string) => void, context: LazyRunContext) => boolean) | undefined
  /**
   * When given, the time of the runs' store when the executor's clock reads `now` (a shared
   * store judges time by its own clock, which may be off the scheduler's): the executor judges a
   * run's lateness (`misfireGraceTime`) by it.
   */
  readonly storeNow?: ((now: number) => number) | undefined
}

/**
 * An executor.
 *
 * @since 0.1.0
 * @category tags
 */
export class Executor extends Context.Tag("effect-apscheduler/Executor")<Executor, {
  /**
   * Queues a batch of submissions (one call per batch); each run's end goes to `sink`.
   * APScheduler: `submit_job`.
   */
  readonly submit: (batch: ReadonlyArray<Submission>, sink: CompletionSink) => Effect.Effect<void>
  /** How many runs are queued or running. */
  readonly pending: () => number
  /**
   * With `wait`, waits for the queued and running runs; without, interrupts them (each ends
   * `interrupted`, with one `JOB_ERROR`) and drops the queue (each dropped run ends `interrupted`
   * too). The executor stays usable. APScheduler: `shutdown`.
   */
  readonly shutdown: (wait: boolean) => Effect.Effect<void>
  /**
   * Why this executor cannot run a task (`undefined`: it can). Asked when a job is added or its
   * task or executor changes, so a job it could never run is refused before it is stored.
   */
  readonly refusal?: ((task: Task) => string | undefined) | undefined
}>() {}
