/**
 * The executor contract: runs a job for its run times, counts running instances per job, refuses
 * runs beyond `maxInstances` (`JOB_MAX_INSTANCES`), reports results as events.
 *
 * APScheduler: `BaseExecutor`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Job } from "../job/Job.js"
import type { Instant } from "../triggers/Trigger.js"

/**
 * What `submit` did: the job was queued (`JOB_SUBMITTED` published) or refused because
 * `maxInstances` runs are under way (`JOB_MAX_INSTANCES` published).
 *
 * @since 0.1.0
 * @category models
 */
export type SubmitResult = "submitted" | "maxInstances"

/**
 * An executor.
 *
 * @since 0.1.0
 * @category tags
 */
export class Executor extends Context.Tag("effect-apscheduler/Executor")<Executor, {
  /**
   * Submits one job for its run times: publishes `JOB_SUBMITTED` and queues the runs, or publishes
   * `JOB_MAX_INSTANCES` and does nothing. Runs publish `JOB_EXECUTED`, `JOB_ERROR` or (a run
   * that starts later than the grace time) `JOB_MISSED`. APScheduler: `submit_job`.
   */
  readonly submit: (job: Job, runTimes: ReadonlyArray<Instant>) => Effect.Effect<SubmitResult>
  /** How many instances of the job are queued or running. */
  readonly instances: (jobId: string) => number
  /**
   * Stops accepting nothing new but: with `wait`, waits for the queued and running jobs; without,
   * interrupts them and drops the queue. The executor stays usable. APScheduler: `shutdown`.
   */
  readonly shutdown: (wait: boolean) => Effect.Effect<void>
}>() {}
