/**
 * Scheduler events: APScheduler 3.x's event codes (bit masks) and one tagged class per event.
 *
 * APScheduler: `apscheduler.events`.
 *
 * @since 0.1.0
 */
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
/**
 * A stored job that cannot be read back was kept aside (ours: APScheduler logs and deletes it).
 * @since 0.1.0 @category codes
 */
export const JOB_QUARANTINED = 131072
/** Every event code OR-ed together (APScheduler's, and `JOB_QUARANTINED`). @since 0.1.0 @category codes APScheduler: EVENT_ALL */
export const EVENT_ALL = SCHEDULER_STARTED | SCHEDULER_SHUTDOWN | SCHEDULER_PAUSED | SCHEDULER_RESUMED |
  EXECUTOR_ADDED | EXECUTOR_REMOVED | JOBSTORE_ADDED | JOBSTORE_REMOVED | ALL_JOBS_REMOVED | JOB_ADDED |
  JOB_REMOVED | JOB_MODIFIED | JOB_EXECUTED | JOB_ERROR | JOB_MISSED | JOB_SUBMITTED | JOB_MAX_INSTANCES |
  JOB_QUARANTINED

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
  JOB_QUARANTINED,
  EVENT_ALL
} as const

/**
 * The base of every event class: an immutable record with its `_tag` and its APScheduler `code`.
 * (Lighter than `Data.TaggedClass`: events are created on the scheduler's hot path.)
 *
 * @since 0.1.0
 * @category constructors
 */
export const Tagged = <const Tag extends string>(tag: Tag, code: number) => {
  class Event {
    readonly _tag: Tag = tag
    constructor(args: object) {
      Object.assign(this, args)
    }
    /** The event code. */
    get code(): number {
      return code
    }
    toJSON(): object {
      return { ...this, code }
    }
  }
  return Event as unknown as new<A extends Record<string, any> = {}>(
    args: keyof A extends never ? void : A
  ) => Readonly<A> & { readonly _tag: Tag; readonly code: number }
}

// --- scheduler events (APScheduler: SchedulerEvent) ---------------------------------------------

/** The scheduler started. @since 0.1.0 @category models */
export class SchedulerStarted extends Tagged("SchedulerStarted", SCHEDULER_STARTED)<{}> {}
/** The scheduler shut down. @since 0.1.0 @category models */
export class SchedulerShutdown extends Tagged("SchedulerShutdown", SCHEDULER_SHUTDOWN)<{}> {}
/** Job processing was paused. @since 0.1.0 @category models */
export class SchedulerPaused extends Tagged("SchedulerPaused", SCHEDULER_PAUSED)<{}> {}
/** Job processing was resumed. @since 0.1.0 @category models */
export class SchedulerResumed extends Tagged("SchedulerResumed", SCHEDULER_RESUMED)<{}> {}
/** An executor was added. @since 0.1.0 @category models */
export class ExecutorAdded extends Tagged("ExecutorAdded", EXECUTOR_ADDED)<{ readonly alias: string }> {}
/** An executor was removed. @since 0.1.0 @category models */
export class ExecutorRemoved extends Tagged("ExecutorRemoved", EXECUTOR_REMOVED)<{ readonly alias: string }> {}
/** A job store was added. @since 0.1.0 @category models */
export class JobstoreAdded extends Tagged("JobstoreAdded", JOBSTORE_ADDED)<{ readonly alias: string }> {}
/** A job store was removed. @since 0.1.0 @category models */
export class JobstoreRemoved extends Tagged("JobstoreRemoved", JOBSTORE_REMOVED)<{ readonly alias: string }> {}
/** All jobs were removed from one job store (`alias`) or from all of them (`undefined`). @since 0.1.0 @category models */
export class AllJobsRemoved extends Tagged("AllJobsRemoved", ALL_JOBS_REMOVED)<{ readonly alias: string | undefined }> {}

// --- job events (APScheduler: JobEvent) ---------------------------------------------------------

/** Fields of every job event. @since 0.1.0 @category models */
export interface JobEventFields {
  readonly jobId: string
  readonly jobstore: string
}

/** A job was added. @since 0.1.0 @category models */
export class JobAdded extends Tagged("JobAdded", JOB_ADDED)<JobEventFields> {}
/** A job was removed (by the user, or because its trigger ended). @since 0.1.0 @category models */
export class JobRemoved extends Tagged("JobRemoved", JOB_REMOVED)<JobEventFields> {}
/** A job was modified (from outside the scheduler loop). @since 0.1.0 @category models */
export class JobModified extends Tagged("JobModified", JOB_MODIFIED)<JobEventFields> {}

// --- submission events (APScheduler: JobSubmissionEvent) ----------------------------------------

/** Fields of a submission event. @since 0.1.0 @category models */
export interface JobSubmissionFields extends JobEventFields {
  readonly scheduledRunTimes: ReadonlyArray<Instant>
}

/** A job was submitted to its executor for the given run times. @since 0.1.0 @category models */
export class JobSubmitted extends Tagged("JobSubmitted", JOB_SUBMITTED)<JobSubmissionFields> {}
/** A job was not submitted: `maxInstances` runs of it are already under way. @since 0.1.0 @category models */
export class JobMaxInstances extends Tagged("JobMaxInstances", JOB_MAX_INSTANCES)<JobSubmissionFields> {}

// --- execution events (APScheduler: JobExecutionEvent) ------------------------------------------

/** Fields of an execution event. @since 0.1.0 @category models */
export interface JobExecutionFields extends JobEventFields {
  readonly scheduledRunTime: Instant
}

/** A run finished; `retval` is what the task returned. @since 0.1.0 @category models */
export class JobExecuted extends Tagged("JobExecuted", JOB_EXECUTED)<JobExecutionFields & { readonly retval: unknown }> {}
/** A run failed: `exception` is the error (or defect), `traceback` its stack / pretty cause. @since 0.1.0 @category models */
export class JobError extends Tagged("JobError", JOB_ERROR)<
  JobExecutionFields & { readonly exception: unknown; readonly traceback: string }
> {}
/** A run time was missed (later than the misfire grace time). @since 0.1.0 @category models */
export class JobMissed extends Tagged("JobMissed", JOB_MISSED)<JobExecutionFields> {}
/**
 * A long backlog of missed run times, reported as a range and a count (code `JOB_MISSED`; sent in
 * addition to the individual `JobMissed` events when more runs were missed than are listed).
 *
 * @since 0.1.0
 * @category models
 */
export class JobMissedBacklog extends Tagged("JobMissedBacklog", JOB_MISSED)<
  JobEventFields & { readonly first: Instant; readonly last: Instant; readonly count: number }
> {}

/**
 * A job row that cannot be read back (bad data, an unknown format version) was kept aside by its
 * store: left untouched, skipped by every query, until the job is replaced or removed.
 *
 * @since 0.1.0
 * @category models
 */
export class JobQuarantined extends Tagged("JobQuarantined", JOB_QUARANTINED)<
  JobEventFields & { readonly reason: string }
> {}

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
  | JobQuarantined

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
