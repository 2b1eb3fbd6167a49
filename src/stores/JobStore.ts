/**
 * The job store contract. APScheduler: `BaseJobStore`.
 *
 * Jobs are ordered by next run time, then id; paused jobs (no next run time) come last, by id.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { ConflictingIdError, InvalidArgumentError, JobLookupError, StoreError } from "../errors.js"
import type { Job } from "../job/Job.js"
import type { Instant } from "../triggers/Trigger.js"

/**
 * A job store.
 *
 * @since 0.1.0
 * @category tags
 */
export class JobStore extends Context.Tag("effect-apscheduler/JobStore")<JobStore, {
  /** Adds a job; fails with `ConflictingIdError` on a duplicate id unless `replaceExisting`. APScheduler: `add_job`. */
  readonly add: (
    job: Job,
    replaceExisting?: boolean
  ) => Effect.Effect<void, ConflictingIdError | InvalidArgumentError | StoreError>
  /** Replaces a stored job (same id). APScheduler: `update_job`. */
  readonly update: (job: Job) => Effect.Effect<void, JobLookupError | InvalidArgumentError | StoreError>
  /** Removes a job. APScheduler: `remove_job`. */
  readonly remove: (jobId: string) => Effect.Effect<void, JobLookupError | StoreError>
  /** Removes every job. APScheduler: `remove_all_jobs`. */
  readonly removeAll: Effect.Effect<void, StoreError>
  /** The job with this id, if any. APScheduler: `lookup_job`. */
  readonly lookup: (jobId: string) => Effect.Effect<Option.Option<Job>, StoreError>
  /** The jobs whose next run time is at or before `now`, ordered. APScheduler: `get_due_jobs`. */
  readonly getDueJobs: (now: Instant) => Effect.Effect<ReadonlyArray<Job>, StoreError>
  /** The earliest next run time of any job (paused jobs excluded). APScheduler: `get_next_run_time`. */
  readonly getNextRunTime: Effect.Effect<Option.Option<Instant>, StoreError>
  /** Every job, ordered (paused last). APScheduler: `get_all_jobs`. */
  readonly getAll: Effect.Effect<ReadonlyArray<Job>, StoreError>
}>() {}

/**
 * The order of jobs in a store: next run time, then id; paused jobs last (by id).
 *
 * @since 0.1.0
 * @category utils
 */
export const compareJobs = (a: Job, b: Job): number => {
  const x = a.nextRunTime
  const y = b.nextRunTime
  if (x !== y) {
    if (x === null) return 1
    if (y === null) return -1
    return x - y
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
