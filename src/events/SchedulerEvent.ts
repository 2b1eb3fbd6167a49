/**
 * Scheduler events: APScheduler 3.x's event codes (bit masks) and one tagged class per event.
 *
 * APScheduler: `apscheduler.events`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type { Instant } from "../triggers/Trigger.js"

/** @since 0.1.0 @category codes APScheduler: EVENT_SCHEDULER_STARTED */
export const SCHEDULER_STARTED = 1
/** Alias of {@link SCHEDULER_STARTED}. @since 0.1.0 @category codes APScheduler: EVENT_SCHEDULER_START */
export const SCHEDULER_START = SCHEDULER_STARTED
/** @since 0.1.0 @category codes APScheduler: EVENT_SCHEDULER_SHUTDOWN */
export const SCHEDULER_SHUTDOWN = 2
/** @since 0.1.0 @category codes APScheduler: EVENT_SCHEDULER_PAUSED */
export const SCHEDULER_PAUSED = 4
/** @since 0.1.0 @category codes APScheduler: EVENT_SCHEDULER_RESUMED */
export const SCHEDULER_RESUMED = 8
/** @since 0.1.0 @category codes APScheduler: EVENT_EXECUTOR_ADDED */
export const EXECUTOR_ADDED = 16
/** @since 0.1.0 @category codes APScheduler: EVENT_EXECUTOR_REMOVED */
export const EXECUTOR_REMOVED = 32
/** @since 0.1.0 @category codes APScheduler: EVENT_JOBSTORE_ADDED */
export const JOBSTORE_ADDED = 64
/** @since 0.1.0 @category codes APScheduler: EVENT_JOBSTORE_REMOVED */
export const JOBSTORE_REMOVED = 128
/** @since 0.1.0 @category codes APScheduler: EVENT_ALL_JOBS_REMOVED */
export const ALL_JOBS_REMOVED = 256
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_ADDED */
export const JOB_ADDED = 512
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_REMOVED */
export const JOB_REMOVED = 1024
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_MODIFIED */
export const JOB_MODIFIED = 2048
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_EXECUTED */
export const JOB_EXECUTED = 4096
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_ERROR */
export const JOB_ERROR = 8192
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_MISSED */
export const JOB_MISSED = 16384
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_SUBMITTED */
export const JOB_SUBMITTED = 32768
/** @since 0.1.0 @category codes APScheduler: EVENT_JOB_MAX_INSTANCES */
export const JOB_MAX_INSTANCES = 65536
/** Every event code OR-ed together. @since 0.1.0 @category codes APScheduler: EVENT_ALL */
export const EVENT_ALL = SCHEDULER_STARTED | SCHEDULER_SHUTDOWN | SCHEDULER_PAUSED | SCHEDULER_RESUMED |
  EXECUTOR_ADDED | EXECUTOR_REMOVED | JOBSTORE_ADDED | JOBSTORE_REMOVED | ALL_JOBS_REMOVED | JOB_ADDED |
  JOB_REMOVED | JOB_MODIFIED | JOB_EXECUTED | JOB_ERROR | JOB_MISSED | JOB_SUBMITTED | JOB_MAX_INSTANCES

/**
 * Every code by its APScheduler name (without the `EVENT_` prefix).
 *
 * @since 0.1.0
 * @category codes
 */
export const codes = {
  SCHEDULER_STARTED,
  SCHEDULER_START,
  SCHEDULER_SHUTDOWN,
  SCHEDULER_PAUSED,
  SCHEDULER_RESUMED,
  EXECUTOR_ADDED,
  EXECUTOR_REMOVED,
  JOBSTORE_ADDED,
  JOBSTORE_REMOVED,
  ALL_JOBS_REMOVED,
  JOB_ADDED,
  JOB_REMOVED,
  JOB_MODIFIED,
  JOB_EXECUTED,
  JOB_ERROR,
  JOB_MISSED,
  JOB_SUBMITTED,
  JOB_MAX_INSTANCES,
  EVENT_ALL
} as const

// --- scheduler events (APScheduler: SchedulerEvent) ---------------------------------------------

/** The scheduler started. @since 0.1.0 @category models */
export class SchedulerStarted extends Data.TaggedClass("SchedulerStarted")<{}> {
  /** The event code. */ get code(): number { return SCHEDULER_STARTED }
}
/** The scheduler shut down. @since 0.1.0 @category models */
export class SchedulerShutdown extends Data.TaggedClass("SchedulerShutdown")<{}> {
  /** The event code. */ get code(): number { return SCHEDULER_SHUTDOWN }
}
/** Job processing was paused. @since 0.1.0 @category models */
export class SchedulerPaused extends Data.TaggedClass("SchedulerPaused")<{}> {
  /** The event code. */ get code(): number { return SCHEDULER_PAUSED }
}
/** Job processing was resumed. @since 0.1.0 @category models */
export class SchedulerResumed extends Data.TaggedClass("SchedulerResumed")<{}> {
  /** The event code. */ get code(): number { return SCHEDULER_RESUMED }
}
/** An executor was added. @since 0.1.0 @category models */
export class ExecutorAdded extends Data.TaggedClass("ExecutorAdded")<{ readonly alias: string }> {
  /** The event code. */ get code(): number { return EXECUTOR_ADDED }
}
/** An executor was removed. @since 0.1.0 @category models */
export class ExecutorRemoved extends Data.TaggedClass("ExecutorRemoved")<{ readonly alias: string }> {
  /** The event code. */ get code(): number { return EXECUTOR_REMOVED }
}
/** A job store was added. @since 0.1.0 @category models */
export class JobstoreAdded extends Data.TaggedClass("JobstoreAdded")<{ readonly alias: string }> {
  /** The event code. */ get code(): number { return JOBSTORE_ADDED }
}
/** A job store was removed. @since 0.1.0 @category models */
export class JobstoreRemoved extends Data.TaggedClass("JobstoreRemoved")<{ readonly alias: string }> {
  /** The event code. */ get code(): number { return JOBSTORE_REMOVED }
}
/** All jobs were removed from one job store (`alias`) or from all of them (`undefined`). @since 0.1.0 @category models */
export class AllJobsRemoved extends Data.TaggedClass("AllJobsRemoved")<{ readonly alias: string | undefined }> {
  /** The event code. */ get code(): number { return ALL_JOBS_REMOVED }
}

// --- job events (APScheduler: JobEvent) ---------------------------------------------------------

/** Fields of every job event. @since 0.1.0 @category models */
export interface JobEventFields {
  readonly jobId: string
  readonly jobstore: string
}

/** A job was added. @since 0.1.0 @category models */
export class JobAdded extends Data.TaggedClass("JobAdded")<JobEventFields> {
  /** The event code. */ get code(): number { return JOB_ADDED }
}
/** A job was removed (by the user, or because its trigger ended). @since 0.1.0 @category models */
export class JobRemoved extends Data.TaggedClass("JobRemoved")<JobEventFields> {
  /** The event code. */ get code(): number { return JOB_REMOVED }
}
/** A job was modified (from outside the scheduler loop). @since 0.1.0 @category models */
export class JobModified extends Data.TaggedClass("JobModified")<JobEventFields> {
  /** The event code. */ get code(): number { return JOB_MODIFIED }
}

// --- submission events (APScheduler: JobSubmissionEvent) ----------------------------------------

/** Fields of a submission event. @since 0.1.0 @category models */
export interface JobSubmissionFields extends JobEventFields {
  readonly scheduledRunTimes: ReadonlyArray<Instant>
}

/** A job was submitted to its executor for the given run times. @since 0.1.0 @category models */
export class JobSubmitted extends Data.TaggedClass("JobSubmitted")<JobSubmissionFields> {
  /** The event code. */ get code(): number { return JOB_SUBMITTED }
}
/** A job was not submitted: `maxInstances` runs of it are already under way. @since 0.1.0 @category models */
export class JobMaxInstances extends Data.TaggedClass("JobMaxInstances")<JobSubmissionFields> {
  /** The event code. */ get code(): number { return JOB_MAX_INSTANCES }
}

// --- execution events (APScheduler: JobExecutionEvent) ------------------------------------------

/** Fields of an execution event. @since 0.1.0 @category models */
export interface JobExecutionFields extends JobEventFields {
  readonly scheduledRunTime: Instant
}

/** A run finished; `retval` is what the task returned. @since 0.1.0 @category models */
export class JobExecuted extends Data.TaggedClass("JobExecuted")<JobExecutionFields & { readonly retval: unknown }> {
  /** The event code. */ get code(): number { return JOB_EXECUTED }
}
/** A run failed: `exception` is the error (or defect), `traceback` its stack / pretty cause. @since 0.1.0 @category models */
export class JobError extends Data.TaggedClass("JobError")<
  JobExecutionFields & { readonly exception: unknown; readonly traceback: string }
> {
  /** The event code. */ get code(): number { return JOB_ERROR }
}
/** A run time was missed (later than the misfire grace time). @since 0.1.0 @category models */
export class JobMissed extends Data.TaggedClass("JobMissed")<JobExecutionFields> {
  /** The event code. */ get code(): number { return JOB_MISSED }
}
/**
 * A long backlog of missed run times, reported as a range and a count (code `JOB_MISSED`; sent in
 * addition to the individual `JobMissed` events when more runs were missed than are listed).
 *
 * @since 0.1.0
 * @category models
 */
export class JobMissedBacklog extends Data.TaggedClass("JobMissedBacklog")<
  JobEventFields & { readonly first: Instant; readonly last: Instant; readonly count: number }
> {
  /** The event code. */ get code(): number { return JOB_MISSED }
}

/**
 * Every scheduler event.
 *
 * @since 0.1.0
 * @category models
 */
export type SchedulerEvent =
  | SchedulerStarted
  | SchedulerShutdown
  | SchedulerPaused
  | SchedulerResumed
  | ExecutorAdded
  | ExecutorRemoved
  | JobstoreAdded
  | JobstoreRemoved
  | AllJobsRemoved
  | JobAdded
  | JobRemoved
  | JobModified
  | JobSubmitted
  | JobMaxInstances
  | JobExecuted
  | JobError
  | JobMissed
  | JobMissedBacklog

/**
 * Does the event's code match the mask?
 *
 * @since 0.1.0
 * @category guards
 */
export const matches = (event: SchedulerEvent, mask: number): boolean => (event.code & mask) !== 0

/**
 * The APScheduler name of a code (`4096` → `"JOB_EXECUTED"`).
 *
 * @since 0.1.0
 * @category utils
 */
export const codeName = (code: number): string => {
  for (const [name, value] of Object.entries(codes)) if (value === code && name !== "SCHEDULER_START") return name
  return String(code)
}
