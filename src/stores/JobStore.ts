/**
 * The job store contract. APScheduler: `BaseJobStore`, plus the claiming primitives that let
 * several schedulers share one store (ARCHITECTURE §2).
 *
 * Jobs are ordered by next run time, then id; paused jobs (no next run time) come last, by id.
 *
 * The scheduler's loop never reads due jobs and writes them back: it claims them in batches with
 * three atomic primitives.
 * - {@link JobStoreService.acquire}: the store's current time and up to `limit` due jobs, each
 *   leased to `owner` until `now + leaseMs` in the same atomic step. A job leased by another
 *   owner whose lease is live is not returned.
 * - {@link JobStoreService.release}: for each job planned with the pure `planRuns`, and only while
 *   its lease is still the owner's and its `version` unchanged, records one run per planned time
 *   (keyed `(jobId, scheduledTime)`: a second insert of a key is a no-op), gives each run to start a
 *   fencing token (`fence = ++fenceSeq` of the job), records the missed times (above
 *   {@link MAX_LISTED_MISSES} as one summary run), advances or removes the job and clears its lease.
 *   A run starts only after `release` has returned it.
 * - {@link JobStoreService.complete}: compare-and-set on `(jobId, scheduledTime, fence)` storing a
 *   run's outcome; a stale holder's completion is refused.
 *
 * Every user write (add, update) bumps the job's `version`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { ConflictingIdError, InvalidArgumentError, JobLookupError, StoreError } from "../errors.js"
import type { Job } from "../job/Job.js"
import type { RunPlan } from "../planning/planRuns.js"
import type { Instant } from "../triggers/Trigger.js"

/**
 * The state of a run. `ready`: recorded by `release`, handed to an executor; `running`: started;
 * `succeeded` / `failed`: finished; `interrupted`: stopped (shutdown without waiting, lease lost);
 * `missed`: not run (outside the grace time; a summary run when the backlog is long); `skipped`:
 * not run because `maxInstances` runs were live; `abandoned`: its holder died and the job asked
 * for at-most-once recovery.
 *
 * @since 0.1.0
 * @category models
 */
export type RunState =
  | "ready"
  | "running"
  | "succeeded"
  | "failed"
  | "interrupted"
  | "missed"
  | "skipped"
  | "abandoned"

/**
 * The states of a run that is still under way (counted by `maxInstances`; one whose holder's lease
 * expired counts until `recover` takes it over or it completes).
 *
 * @since 0.1.0
 * @category utils
 */
export const isLive = (state: RunState): boolean => state === "ready" || state === "running"

/**
 * A run record: one per planned (or missed, or skipped) time of a job, keyed
 * `(jobId, scheduledTime)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Run {
  readonly jobId: string
  /** The planned time (the key, with `jobId`). For a missed summary: the first missed time. */
  readonly scheduledTime: Instant
  /** When the run was recorded (the store's `now` at `release`). */
  readonly recordedAt: Instant
  readonly state: RunState
  /** The fencing token of a run to start (`0` for runs that never start). */
  readonly fence: number
  /** 1 for the first start; recovery re-runs with `attempt + 1`. */
  readonly attempt: number
  /** The owner holding a live run, else `null`. */
  readonly acquiredBy: string | null
  /** Until when the owner holds it, else `null`. */
  readonly acquiredUntil: Instant | null
  readonly startedAt: Instant | null
  readonly finishedAt: Instant | null
  /** What a succeeded run returned, when JSON-encodable (else `undefined`). */
  readonly result: unknown
  /** Why a run failed (message / trace), else `null`. */
  readonly error: string | null
  /** A missed summary: how many times were missed (1 for a single run). */
  readonly count: number
  /** A missed summary: the last missed time (= `scheduledTime` for a single run). */
  readonly lastTime: Instant
}

/**
 * How many missed times `release` records one by one; a longer backlog is one summary run.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_LISTED_MISSES = 100

/**
 * What `acquire` asks for.
 *
 * @since 0.1.0
 * @category models
 */
export interface Claim {
  /** The scheduler claiming (the `Lock`'s owner id). */
  readonly owner: string
  /** At most this many jobs. */
  readonly limit: number
  /** How long the lease lasts, in ms of the store's clock. */
  readonly leaseMs: number
  /**
   * Also claim the jobs due within this many ms after the store's `now` (default 0): the loop
   * claims a little ahead and starts each run at its time. Leases are still judged at `now`.
   */
  readonly horizonMs?: number | undefined
}

/**
 * A job leased by `acquire`, with the `version` that `release` compares and sets on.
 *
 * @since 0.1.0
 * @category models
 */
export interface LeasedJob {
  readonly job: Job
  readonly version: number
}

/**
 * What `acquire` returns: the store's current time (the loop plans with it) and the leased jobs,
 * ordered by next run time then id.
 *
 * @since 0.1.0
 * @category models
 */
export interface Acquired {
  readonly now: Instant
  readonly jobs: ReadonlyArray<LeasedJob>
}

/**
 * The loop's plan for one leased job.
 *
 * @since 0.1.0
 * @category models
 */
export interface Decision {
  readonly leased: LeasedJob
  readonly plan: RunPlan
}

/**
 * What `release` did with one decision.
 * - `Refused`: the lease is no longer the owner's or the job changed (version) or is gone: nothing
 *   was recorded; the job is planned again on a later pass.
 * - `Released`: recorded. `runs` are the runs to start now (with their fences; empty when nothing
 *   runs or when they were `skipped`); `skipped` when `maxInstances` live runs already existed.
 *
 * @since 0.1.0
 * @category models
 */
export type ReleaseOutcome =
  | { readonly _tag: "Refused" }
  | { readonly _tag: "Released"; readonly runs: ReadonlyArray<Run>; readonly skipped: boolean }

/**
 * A run's end, for `complete`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Completion {
  readonly jobId: string
  readonly scheduledTime: Instant
  readonly fence: number
  /** `abandoned`: a recovered run of a job asking for at-most-once (`recovery: "abandon"`), not run again. */
  readonly state: "succeeded" | "failed" | "interrupted" | "missed" | "abandoned"
  readonly startedAt: Instant | null
  readonly finishedAt: Instant
  /** What the run returned (kept when JSON-encodable). */
  readonly result?: unknown
  /** Why it failed. */
  readonly error?: string | undefined
}

/**
 * A run as its holder names it to {@link JobStoreService.renewRuns}: its key and fencing token.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunKey {
  readonly jobId: string
  readonly scheduledTime: Instant
  readonly fence: number
}

/**
 * A run taken over by {@link JobStoreService.recover}, with its job (to start it again).
 *
 * @since 0.1.0
 * @category models
 */
export interface RecoveredRun {
  readonly job: Job
  readonly run: Run
}

/**
 * What {@link JobStoreService.recover} returns: the store's current time, the runs taken over (to
 * start again, or to complete as `abandoned` when their job asks for at-most-once) and the runs
 * recorded `abandoned` because their job is gone.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recovered {
  readonly now: Instant
  readonly runs: ReadonlyArray<RecoveredRun>
  readonly abandoned: ReadonlyArray<Run>
}

/**
 * The job store service.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobStoreService {
  /** Adds a job; fails with `ConflictingIdError` on a duplicate id unless `replaceExisting`. APScheduler: `add_job`. */
  readonly add: (
    job: Job,
    replaceExisting?: boolean
  ) => Effect.Effect<void, ConflictingIdError | InvalidArgumentError | StoreError>
  /** Replaces a stored job (same id); bumps its version. APScheduler: `update_job`. */
  readonly update: (job: Job) => Effect.Effect<void, JobLookupError | InvalidArgumentError | StoreError>
  /** Removes a job (its run history stays until purged). APScheduler: `remove_job`. */
  readonly remove: (jobId: string) => Effect.Effect<void, JobLookupError | StoreError>
  /** Removes every job. APScheduler: `remove_all_jobs`. */
  readonly removeAll: Effect.Effect<void, StoreError>
  /** The job with this id, if any. APScheduler: `lookup_job`. */
  readonly lookup: (jobId: string) => Effect.Effect<Option.Option<Job>, StoreError>
  /**
   * When the loop should look again: the earliest next run time of any job not leased, or the
   * end of the lease of a leased one (paused jobs excluded). APScheduler: `get_next_run_time`.
   */
  readonly getNextRunTime: Effect.Effect<Option.Option<Instant>, StoreError>
  /** Every job, ordered (paused last). APScheduler: `get_all_jobs`. */
  readonly getAll: Effect.Effect<ReadonlyArray<Job>, StoreError>
  /** Leases up to `limit` due jobs to `owner`; see the module doc. */
  readonly acquire: (claim: Claim) => Effect.Effect<Acquired, StoreError>
  /**
   * Records the plans of leased jobs; one outcome per decision, in order. See the module doc.
   * The runs to start are held by `owner` until `now + runLeaseMs` (renewed by the `Lock`'s
   * heartbeat), or, with `runLeaseMs: null` (`Lock.single`), until they complete; omitted, until
   * the end of the job's lease.
   */
  readonly release: (
    owner: string,
    decisions: ReadonlyArray<Decision>,
    runLeaseMs?: number | null
  ) => Effect.Effect<ReadonlyArray<ReleaseOutcome>, StoreError>
  /** Stores the ends of runs; `true` per accepted completion, `false` for a stale one (refused). */
  readonly complete: (completions: ReadonlyArray<Completion>) => Effect.Effect<ReadonlyArray<boolean>, StoreError>
  /**
   * Renews the leases of runs `owner` holds (the `Lock`'s heartbeat), in one atomic step: each
   * run that is live (`ready` / `running`), has this fence, is held by `owner` and whose lease has
   * not expired (`now < acquiredUntil`) is held until `now + leaseMs`. One boolean per run: `false`
   * when the run is not this owner's any more (completed, expired, taken over): its holder must
   * stop it. `leaseMs: 0` hands the runs back: their leases end now and a peer's `recover` takes
   * them over at once (a graceful shutdown, a run stopped because its lease was lost).
   */
  readonly renewRuns: (
    owner: string,
    runs: ReadonlyArray<RunKey>,
    leaseMs: number
  ) => Effect.Effect<ReadonlyArray<boolean>, StoreError>
  /**
   * Takes over, in one atomic step, up to `limit` runs whose holder's lease expired (live state,
   * `acquiredUntil <= now`), earliest lease end first. A run whose job exists gets a new fence
   * (`++fenceSeq` of the job), `attempt + 1`, state `ready`, no start time and a lease to `owner`
   * until `now + leaseMs`, and is returned with its job: the scheduler starts it again
   * (at-least-once) or completes it `abandoned` (the job's `recovery: "abandon"`, at-most-once).
   * The old holder's fence is stale from then on: its completion is refused. A run whose job was
   * removed by the `release` that started it (the last run of a one-shot job) is run again from
   * the job as it was then; a run whose job is gone otherwise (removed by a user) is recorded
   * `abandoned`.
   */
  readonly recover: (claim: Claim) => Effect.Effect<Recovered, StoreError>
  /** The run records of a job (kept for the retention period), ordered by scheduled time. */
  readonly getRuns: (jobId: string) => Effect.Effect<ReadonlyArray<Run>, StoreError>
  /**
   * Hints that another process changed the store's jobs (a due time may now be earlier): the loop
   * looks again at once. Optional (PostgreSQL: `LISTEN`); hints may be lost, so a loop on a shared
   * store also polls (`Lock.leased`'s `pollMs`).
   */
  readonly changes?: Stream.Stream<void> | undefined
  /**
   * Whether the store keeps its jobs outside the process (SQL, Redis, MongoDB), so several
   * schedulers may share it and runs outlive a killed process: a scheduler given no `Lock` then
   * uses `Lock.leased` (see `Lock.defaultMode`). Absent: an in-process store (`Lock.single`).
   */
  readonly persistent?: boolean | undefined
}

/**
 * A job store.
 *
 * @since 0.1.0
 * @category tags
 */
export class JobStore extends Context.Tag("effect-apscheduler/JobStore")<JobStore, JobStoreService>() {}

/**
 * How long a store keeps finished runs by default: 7 days.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_RUN_RETENTION_MS = 7 * 86_400_000

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

