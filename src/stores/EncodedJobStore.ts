/**
 * A job store over a driver that keeps jobs and their runs as rows of plain data: what every
 * persistent store (SQL, Redis, MongoDB) builds on. The rows are persisted schema version
 * {@link SCHEMA_VERSION} (ARCHITECTURE §2):
 *
 * - jobs ({@link EncodedRow}): `id`, `nextRunTime` (`null` = paused), `data` (the job's definition
 *   as a JSON {@link Job.JobRecord}: task reference, JSON arguments, versioned trigger spec,
 *   options; written by user writes only: `release` moves a job on in its columns and never
 *   rewrites it), `version`, `fenceSeq`, `acquiredBy`, `acquiredUntil`;
 * - runs ({@link EncodedRun}): a {@link Run} keyed `(jobId, scheduledTime)`, its result as JSON
 *   text.
 *
 * Every time is epoch milliseconds (a `BIGINT` in SQL). The driver only stores rows and applies
 * the claiming primitives at row level — `acquire`, `release`, `complete`, each one atomic step in
 * its backend — with every decision that must be atomic handed to it as data ({@link RowDecision}),
 * so it never decodes a job. This module encodes jobs (task references and JSON arguments only: a
 * function or a non-JSON argument is refused at add time with `InvalidArgumentError`), turns the
 * loop's plans into row decisions, and decodes rows one by one, recompiling their trigger specs.
 * A job row that cannot be decoded is logged, reported to the driver's `quarantine` (kept aside,
 * never deleted, its lease cleared) and left out of every result; a run row that cannot be
 * decoded is logged and left out. Runs that ended are purged after the retention period
 * (`purgeRuns`, before each `release` and `complete`); a job's runs outlive it until then.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import { type ConflictingIdError, JobLookupError, type StoreError } from "../errors.js"
import { EventBus } from "../events/EventBus.js"
import { JobQuarantined } from "../events/SchedulerEvent.js"
import * as Job from "../job/Job.js"
import { compile } from "../triggers/compile.js"
import type { Instant } from "../triggers/Trigger.js"
import {
  type Acquired,
  type Claim,
  compareJobs,
  type Completion,
  type Decision,
  DEFAULT_RUN_RETENTION_MS,
  JobStore,
  type LeasedJob,
  type Recovered,
  type RecoveredRun,
  type ReleaseOutcome,
  type Run,
  type RunKey,
  type RunState
} from "./JobStore.js"

/**
 * The version of the persisted schema (the tables / keys / collections of jobs and runs and their
 * columns), for the migrations of persistent stores; distinct from {@link Job.RECORD_VERSION}, the
 * version of the JSON record in a job row's `data`. A store that finds a newer schema version
 * than it knows refuses to claim.
 *
 * @since 0.1.0
 * @category constants
 */
export const SCHEMA_VERSION = 1

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/**
 * What a user write (add, update) stores of a job: its id, its next run time (indexed; `null` =
 * paused) and its JSON record. The driver keeps the other columns of the row.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedJob {
  readonly id: string
  readonly nextRunTime: Instant | null
  readonly data: string
}

/**
 * A stored job row (schema version 1).
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedRow extends EncodedJob {
  /** Bumped by every user write (`1` after the first); `release` compares and sets on it. */
  readonly version: number
  /** The last fencing token given to a run of the job (`0`: none yet). */
  readonly fenceSeq: number
  /** The owner leasing the job (set by `acquire`, cleared by `release`), else `null`. */
  readonly acquiredBy: string | null
  /** The end of the lease, else `null`; a lease until `t` is live while `now < t`. */
  readonly acquiredUntil: Instant | null
}

/**
 * A stored run row (schema version 1): a {@link Run} with its result as JSON text. Keyed
 * `(jobId, scheduledTime)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedRun {
  readonly jobId: string
  readonly scheduledTime: Instant
  readonly recordedAt: Instant
  readonly state: RunState
  readonly fence: number
  readonly attempt: number
  readonly acquiredBy: string | null
  readonly acquiredUntil: Instant | null
  readonly startedAt: Instant | null
  readonly finishedAt: Instant | null
  /** The result as JSON text; `null` when there is none or it is not JSON-encodable. */
  readonly result: string | null
  readonly error: string | null
  readonly count: number
  readonly lastTime: Instant
  /**
   * The job's record, on the `ready` runs of a `release` that removed the job (the last run of a
   * one-shot job): recovery runs them again from it. Absent (or `null`) otherwise.
   */
  readonly jobData?: string | null | undefined
  /**
   * When the run ended: `finishedAt` once completed, `recordedAt` for a run that never starts
   * (missed, skipped); `null` while live. Not part of {@link Run}: the purge's index.
   */
  readonly endedAt: Instant | null
}

/**
 * A run that `release` is asked to record: a missed time (or a missed summary: the first time,
 * how many, the last) or a time to start (`"ready"`; the driver records it `"skipped"` when the
 * job has `maxInstances` live runs).
 *
 * @since 0.1.0
 * @category models
 */
export interface PlannedRun {
  readonly scheduledTime: Instant
  readonly state: "missed" | "ready"
  /** How many times a missed summary stands for; `1` otherwise. */
  readonly count: number
  /** The last missed time of a summary; `scheduledTime` otherwise. */
  readonly lastTime: Instant
}

/**
 * The row-level decision for one leased job, for {@link EncodedDriver.release}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RowDecision {
  readonly id: string
  /** The version the job had when it was acquired (compare-and-set). */
  readonly version: number
  /**
   * The job's new next run time (`null`: paused); `null`: remove the job. Its record (`data`)
   * stays as it is: a plan never changes a job's definition.
   */
  readonly next: { readonly nextRunTime: Instant | null } | null
  /** The runs to record, missed ones first, in time order. */
  readonly runs: ReadonlyArray<PlannedRun>
  /** With `next: null`: the removed job's record, stored as `jobData` on the runs it starts. */
  readonly removedData?: string | undefined
  /** The job's `maxInstances`: how many live runs it may have. */
  readonly maxInstances: number
}

/**
 * What {@link EncodedDriver.release} did with one decision; `runs` are the new `ready` runs, in
 * time order.
 *
 * @since 0.1.0
 * @category models
 */
export type RowOutcome =
  | { readonly _tag: "Refused" }
  | { readonly _tag: "Released"; readonly runs: ReadonlyArray<EncodedRun>; readonly skipped: boolean }

/**
 * A run's end at row level, for {@link EncodedDriver.complete}.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedCompletion {
  readonly jobId: string
  readonly scheduledTime: Instant
  readonly fence: number
  readonly state: Completion["state"]
  readonly startedAt: Instant | null
  readonly finishedAt: Instant
  readonly result: string | null
  readonly error: string | null
}

/**
 * What {@link EncodedDriver.acquire} returns: the driver's clock and the leased rows (with their
 * new lease), ordered by next run time then id.
 *
 * @since 0.1.0
 * @category models
 */
export interface AcquiredRows {
  readonly now: Instant
  readonly rows: ReadonlyArray<EncodedRow>
}

/**
 * The `maxInstances` of a job row's data (its JSON record), for a driver's `recover`; `Infinity`
 * when the data cannot be read (the run is then taken over and completed `abandoned`).
 *
 * @since 0.1.0
 * @category utils
 */
export const maxInstancesOf = (data: string): number => {
  try {
    const n = (JSON.parse(data) as { readonly maxInstances?: unknown } | null)?.maxInstances
    return typeof n === "number" && n >= 1 ? n : Infinity
  } catch {
    return Infinity
  }
}

/**
 * What {@link EncodedDriver.recover} returns: the driver's clock, the runs taken over with their
 * job rows, and the runs recorded `abandoned` because their job row is gone (or quarantined).
 *
 * @since 0.1.0
 * @category models
 */
export interface RecoveredRows {
  readonly now: Instant
  readonly runs: ReadonlyArray<{ readonly run: EncodedRun; readonly job: EncodedRow }>
  readonly abandoned: ReadonlyArray<EncodedRun>
}

/**
 * What a persistent backend implements. Queries leave quarantined rows out and return job rows
 * ordered by next run time then id, paused rows (no next run time) last. `now` is the driver's one
 * clock source: Effect's `Clock`, or the database's clock (ARCHITECTURE §2). Numbers are returned
 * as numbers (a driver converts PostgreSQL's BIGINT strings).
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedDriver {
  /** The store's name in errors and logs. */
  readonly name: string
  /**
   * Inserts a job row with `version = 1`, no lease and `fenceSeq` = the greatest `fence` among
   * the runs kept for its id (`0` when none: a re-added job's fences keep increasing while its
   * history is kept); `ConflictingIdError` when the id exists (a quarantined row included).
   */
  readonly insert: (job: EncodedJob) => Effect.Effect<void, ConflictingIdError | StoreError>
  /**
   * Inserts a job row as {@link insert}, or replaces the `nextRunTime` and `data` of an existing
   * one as {@link update} does (`version = version + 1`), lifting a quarantine. One atomic step
   * (SQL: `INSERT … ON CONFLICT (id) DO UPDATE` / `ON DUPLICATE KEY UPDATE`).
   */
  readonly upsert: (job: EncodedJob) => Effect.Effect<void, StoreError>
  /**
   * Replaces the `nextRunTime` and `data` of a (not quarantined) job row and bumps its version in
   * the same write (SQL: `UPDATE … SET version = version + 1`); keeps `fenceSeq` and the lease (a
   * leased job's `release` is then refused). `false` when there is no such row.
   */
  readonly update: (job: EncodedJob) => Effect.Effect<boolean, StoreError>
  /** Deletes a job row (quarantined or not); its runs stay. `false` when there is none. */
  readonly delete: (id: string) => Effect.Effect<boolean, StoreError>
  /** Deletes every job row, quarantined ones included; the runs stay. */
  readonly deleteAll: Effect.Effect<void, StoreError>
  /** The job row with this id. */
  readonly select: (id: string) => Effect.Effect<Option.Option<EncodedRow>, StoreError>
  /** Every job row, ordered. */
  readonly selectAll: Effect.Effect<ReadonlyArray<EncodedRow>, StoreError>
  /**
   * When the loop should look again: the minimum over rows with a next run time of
   * `max(nextRunTime, acquiredUntil)` (`acquiredUntil` counted when not `null`), so a job leased
   * by a peer is looked at again when its lease ends.
   */
  readonly getNextRunTime: Effect.Effect<Option.Option<Instant>, StoreError>
  /**
   * One atomic step: reads `now`, selects up to `limit` rows with
   * `nextRunTime <= now + (horizonMs ?? 0)` that are
   * not leased by a live lease (`acquiredUntil === null || acquiredUntil <= now`), ordered by next
   * run time then id, sets `acquiredBy = owner, acquiredUntil = now + leaseMs` on them and
   * returns them with the new lease. SQL: one transaction (`SELECT … FOR UPDATE SKIP LOCKED` then
   * `UPDATE … WHERE id IN (…)`; SQLite `BEGIN IMMEDIATE`); Redis: one Lua script; MongoDB: a
   * transaction.
   */
  readonly acquire: (claim: Claim) => Effect.Effect<AcquiredRows, StoreError>
  /**
   * One atomic step for the whole batch (SQL: one transaction; Redis: one Lua script), reading
   * `now` once; the decisions are applied in order, each one:
   * 1. Refused (nothing written) when the row is gone or quarantined, `acquiredBy !== owner`, or
   *    the lease expired (`acquiredUntil <= now`). When the lease is the owner's and live but the
   *    version differs (a user write meanwhile): clear the lease and refuse.
   * 2. `live` = the job's runs in state `ready` / `running`, expired leases included (a run
   *    whose holder died keeps its slot until `recover` takes it over, so the job's newer runs
   *    never starve its recovery). When the decision has `ready` runs and `live >= maxInstances`,
   *    they are all recorded `skipped` instead (`skipped: true`).
   * 3. Inserts each planned run whose key `(jobId, scheduledTime)` is new (a second insert of a
   *    key is a no-op: SQL primary key + `ON CONFLICT DO NOTHING` / `INSERT IGNORE`), with
   *    `recordedAt = now`, `startedAt = finishedAt = result = error = null`, `count`, `lastTime`
   *    as planned, and: `missed` / `skipped`: `fence = 0`, `attempt = 0`, no lease,
   *    `endedAt = now`; `ready`: `fence = ++fenceSeq` (in time order), `attempt = 1`,
   *    `acquiredBy = owner`, `acquiredUntil` = `now + runLeaseMs` (`null` with `runLeaseMs: null`:
   *    held until completed; the job's lease end when `undefined`), `endedAt = null`, and
   *    `jobData = removedData` when the decision removes the job.
   * 4. Deletes the job row (`next === null`; its runs stay) or sets its `nextRunTime` (`null`:
   *    paused) and `fenceSeq`; clears its lease; `data` and `version` are unchanged.
   * Returns one outcome per decision: `Released` with the new `ready` runs in time order.
   */
  readonly release: (
    owner: string,
    decisions: ReadonlyArray<RowDecision>,
    runLeaseMs?: number | null
  ) => Effect.Effect<ReadonlyArray<RowOutcome>, StoreError>
  /**
   * One atomic step: for each completion, a compare-and-set on the run with key
   * `(jobId, scheduledTime)`, `fence` equal and state `ready` or `running`; sets `state`,
   * `startedAt`, `finishedAt`, `result`, `error`, `endedAt = finishedAt` and clears the run's
   * lease. `true` per run updated, `false` when refused (stale fence, finished, or no such run).
   */
  readonly complete: (completions: ReadonlyArray<EncodedCompletion>) => Effect.Effect<ReadonlyArray<boolean>, StoreError>
  /**
   * One atomic step: for each run key, when the run row is `ready` / `running` with this `fence`,
   * `acquiredBy === owner` and `now < acquiredUntil`, sets `acquiredUntil = now + leaseMs`; one
   * boolean per key (`true`: renewed). `leaseMs` 0 hands the runs back (their lease ends now).
   */
  readonly renewRuns: (
    owner: string,
    runs: ReadonlyArray<RunKey>,
    leaseMs: number
  ) => Effect.Effect<ReadonlyArray<boolean>, StoreError>
  /**
   * One atomic step: takes up to `limit` run rows in state `ready` / `running` whose
   * `acquiredUntil` is set and `<= now` (earliest first; SQL: `FOR UPDATE SKIP LOCKED`). A run
   * whose job row exists (not quarantined) gets `fence = ++fenceSeq` of the job (written back to
   * the job row), `attempt + 1`, `state = ready`, `startedAt = null`, `acquiredBy = owner`,
   * `acquiredUntil = now + leaseMs`, and is returned with its job row. A run whose job row is gone
   * but that carries `jobData` gets the same with `fence` = the greatest fence of the job's runs
   * + 1, returned with the row `{ id, data: jobData, nextRunTime: null, version: 0, fenceSeq }`.
   * Any other is set `abandoned` (`endedAt = now`, lease cleared) and returned in `abandoned`.
   * `maxInstances` holds: a run of a job (or of a carried record) is taken over only while the job
   * has a free slot — its `maxInstances` ({@link maxInstancesOf} its data) minus its live runs
   * holding a valid lease (`acquiredUntil` null or `> now`), the runs taken over in this call
   * included. The others are left as they are (still expired, never lost): a later call takes
   * them over once a slot is free.
   */
  readonly recover: (claim: Claim) => Effect.Effect<RecoveredRows, StoreError>
  /** The run rows of a job, ordered by scheduled time. */
  readonly selectRuns: (jobId: string) => Effect.Effect<ReadonlyArray<EncodedRun>, StoreError>
  /**
   * Deletes the runs that ended before `now - retentionMs` (`endedAt < now - retentionMs`; live
   * runs, with `endedAt = null`, are never purged). SQL: one `DELETE` over an index on
   * `ended_at`. Called before each `release` and `complete`; a driver may throttle it (at most
   * once a minute by its clock, say).
   */
  readonly purgeRuns: (retentionMs: number) => Effect.Effect<void, StoreError>
  /**
   * Keeps a job row that cannot be decoded aside: it stays stored (never deleted), its lease is
   * cleared, and no query returns it any more (SQL: a nullable `quarantined` reason column that
   * every query filters on). An upsert of its id or a delete ends the quarantine.
   */
  readonly quarantine: (id: string, reason: string) => Effect.Effect<void, StoreError>
  /** Hints that another process changed the jobs (see `JobStoreService.changes`); optional. */
  readonly changes?: Stream.Stream<void> | undefined
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

const decodeRecord = Schema.decodeUnknownEither(Schema.parseJson(Job.JobRecord))

/**
 * Encodes a job for a user write; fails with `InvalidArgumentError` (field `task`, `args` or
 * `kwargs`) for a function task or non-JSON arguments.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeJob = (job: Job.Job) =>
  Either.map(Job.toRecord(job), (record): EncodedJob => ({
    id: job.id,
    nextRunTime: job.nextRunTime,
    data: JSON.stringify(record)
  }))

/**
 * Decodes a job row into a job (its next run time is the row's column); the error says why it
 * cannot be.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeRow = (row: EncodedJob): Either.Either<Job.Job, string> =>
  Either.flatMap(
    Either.mapLeft(decodeRecord(row.data), (e) => ParseResult.TreeFormatter.formatErrorSync(e)),
    (record) =>
      record.id !== row.id
        ? Either.left(`the record's id "${record.id}" is not the row's`)
        : Either.mapLeft(Job.fromRecord(record, compile, row.nextRunTime), (e) => e.message)
  )

/**
 * A run's result as JSON text: `null` when there is none (`undefined`) or it is not
 * JSON-encodable ({@link Job.isJsonEncodable}).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeResult = (result: unknown): string | null =>
  result !== undefined && Job.isJsonEncodable(result) ? JSON.stringify(result) : null

const RunState = Schema.Literal(
  "ready",
  "running",
  "succeeded",
  "failed",
  "interrupted",
  "missed",
  "skipped",
  "abandoned"
)

const RunRow = Schema.Struct({
  jobId: Schema.String,
  scheduledTime: Schema.Number,
  recordedAt: Schema.Number,
  state: RunState,
  fence: Schema.Number,
  attempt: Schema.Number,
  acquiredBy: Schema.NullOr(Schema.String),
  acquiredUntil: Schema.NullOr(Schema.Number),
  startedAt: Schema.NullOr(Schema.Number),
  finishedAt: Schema.NullOr(Schema.Number),
  result: Schema.NullOr(Schema.parseJson()),
  error: Schema.NullOr(Schema.String),
  count: Schema.Number,
  lastTime: Schema.Number
})

const decodeRunRow = Schema.decodeUnknownEither(RunRow)

/**
 * Decodes a run row (its result from JSON text; `null` is no result); the error says why it
 * cannot be.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeRun = (row: EncodedRun): Either.Either<Run, string> => {
  // the common case without the Schema machinery (a release returns up to a batch of runs): the
  // same checks as `RunRow`, which reports why a row fails
  if (isRunRow(row)) {
    let result: unknown = undefined
    if (row.result !== null) {
      try {
        result = JSON.parse(row.result) ?? undefined
      } catch {
        result = invalid
      }
    }
    if (result !== invalid) {
      return Either.right({
        jobId: row.jobId,
        scheduledTime: row.scheduledTime,
        recordedAt: row.recordedAt,
        state: row.state,
        fence: row.fence,
        attempt: row.attempt,
        acquiredBy: row.acquiredBy,
        acquiredUntil: row.acquiredUntil,
        startedAt: row.startedAt,
        finishedAt: row.finishedAt,
        result,
        error: row.error,
        count: row.count,
        lastTime: row.lastTime
      })
    }
  }
  return Either.mapBoth(decodeRunRow(row), {
    onLeft: (e) => ParseResult.TreeFormatter.formatErrorSync(e),
    onRight: (r): Run => ({ ...r, result: r.result === null ? undefined : r.result })
  })
}

const invalid: unique symbol = Symbol("invalid")
const runStates: ReadonlySet<unknown> = new Set(RunState.literals)
const isNum = (u: unknown) => typeof u === "number"
const isNumOrNull = (u: unknown) => u === null || typeof u === "number"
const isStrOrNull = (u: unknown) => u === null || typeof u === "string"
const isRunRow = (r: EncodedRun): boolean =>
  typeof r.jobId === "string" && isNum(r.scheduledTime) && isNum(r.recordedAt) && runStates.has(r.state) &&
  isNum(r.fence) && isNum(r.attempt) && isStrOrNull(r.acquiredBy) && isNumOrNull(r.acquiredUntil) &&
  isNumOrNull(r.startedAt) && isNumOrNull(r.finishedAt) && isStrOrNull(r.result) && isStrOrNull(r.error) &&
  isNum(r.count) && isNum(r.lastTime)

/**
 * Turns the loop's plan for a leased job into its row-level decision: the missed times one run
 * each (or one summary run keyed by the first, when the plan lists fewer than it missed), the run
 * times as `ready` runs, and the job's new next run time (or removal).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeDecision = (decision: Decision): Either.Either<RowDecision, string> => {
  const { leased: { job, version }, plan } = decision
  const runs: Array<PlannedRun> = []
  const summary = plan.missedSummary
  if (summary === undefined || plan.missed.length === summary.count) {
    for (const t of plan.missed) runs.push({ scheduledTime: t, state: "missed", count: 1, lastTime: t })
  } else {
    runs.push({ scheduledTime: summary.first, state: "missed", count: summary.count, lastTime: summary.last })
  }
  for (const t of plan.runTimes) runs.push({ scheduledTime: t, state: "ready", count: 1, lastTime: t })
  if (plan.jobRemoved) {
    // the removed job's record goes on the runs it starts (a one-shot job's run can be recovered)
    return Either.mapBoth(encodeJob(job), {
      onLeft: (e) => e.message,
      onRight: (row): RowDecision => ({ id: job.id, version, next: null, runs, maxInstances: job.maxInstances, removedData: row.data })
    })
  }
  return Either.right({ id: job.id, version, next: { nextRunTime: plan.nextRunTime ?? null }, runs, maxInstances: job.maxInstances })
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

/**
 * Options of an encoded store.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedOptions {
  /** How long finished runs are kept, in ms (default `DEFAULT_RUN_RETENTION_MS`, 7 days). */
  readonly runRetentionMs?: number | undefined
}

/** How many decoded jobs an encoded store keeps for rows whose record has not changed. */
const DECODED_CACHE_SIZE = 200_000

/**
 * Builds a job store over a driver.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeEncoded = (driver: EncodedDriver, options: EncodedOptions = {}): JobStore["Type"] => {
  const purge = driver.purgeRuns(options.runRetentionMs ?? DEFAULT_RUN_RETENTION_MS)

  // the jobs last decoded, by id, with the record they came from: a row whose record
  // is unchanged is not decoded again (decoding is a function of the record; the next run time is
  // the row's column). Bounded: cleared when it outgrows DECODED_CACHE_SIZE.
  const decodedCache = new Map<string, { readonly data: string; readonly job: Job.Job }>()
  const remember = (id: string, data: string, job: Job.Job) => {
    if (decodedCache.size >= DECODED_CACHE_SIZE) decodedCache.clear()
    decodedCache.set(id, { data, job })
  }

  /**
   * Decodes a job row; a bad one is quarantined (`undefined`), logged, and reported as
   * `JobQuarantined` on the `EventBus` of the calling fiber's context, when there is one.
   */
  const decodeOne = (row: EncodedRow): Effect.Effect<Job.Job | undefined, StoreError> => {
    const hit = decodedCache.get(row.id)
    if (hit !== undefined && hit.data === row.data) {
      return Effect.succeed(
        hit.job.nextRunTime === row.nextRunTime ? hit.job : Job.modify(hit.job, { nextRunTime: row.nextRunTime })
      )
    }
    const decoded = decodeRow(row)
    if (Either.isRight(decoded)) {
      remember(row.id, row.data, decoded.right)
      return Effect.succeed(decoded.right)
    }
    const reason = decoded.left
    return driver.quarantine(row.id, reason).pipe(
      Effect.zipRight(
        Effect.logError(`Unable to restore job "${row.id}" from job store "${driver.name}" -- keeping it aside`).pipe(
          Effect.annotateLogs({ jobstore: driver.name, jobId: row.id, reason })
        )
      ),
      Effect.zipRight(Effect.serviceOption(EventBus)),
      Effect.flatMap(Option.match({
        onNone: () => Effect.void,
        onSome: (bus) => bus.publish(new JobQuarantined({ jobId: row.id, jobstore: driver.name, reason }))
      })),
      Effect.as(undefined)
    )
  }

  const decodeAll = (rows: ReadonlyArray<EncodedRow>) =>
    Effect.gen(function*() {
      const jobs: Array<Job.Job> = []
      for (const row of rows) {
        const job = yield* decodeOne(row)
        if (job !== undefined) jobs.push(job)
      }
      return jobs
    })

  /** Decodes run rows; a bad one is left out and told to `bad` (run history is never acted on). */
  const decodeRunsInto = (
    rows: ReadonlyArray<EncodedRun>,
    bad: Array<{ readonly row: EncodedRun; readonly reason: string }>
  ): Array<Run> => {
    const runs: Array<Run> = []
    for (const row of rows) {
      const decoded = decodeRun(row)
      if (Either.isRight(decoded)) runs.push(decoded.right)
      else bad.push({ row, reason: decoded.left })
    }
    return runs
  }

  const logBadRuns = (bad: ReadonlyArray<{ readonly row: EncodedRun; readonly reason: string }>) =>
    Effect.forEach(bad, ({ reason, row }) =>
      Effect.logError(
        `Unable to read run ${row.jobId}@${row.scheduledTime} from job store "${driver.name}" -- leaving it out`
      ).pipe(Effect.annotateLogs({ reason })), { discard: true })

  /** Decodes run rows; a bad one is logged and left out. */
  const decodeRuns = (rows: ReadonlyArray<EncodedRun>) =>
    Effect.suspend(() => {
      const bad: Array<{ readonly row: EncodedRun; readonly reason: string }> = []
      const runs = decodeRunsInto(rows, bad)
      return bad.length === 0 ? Effect.succeed(runs) : Effect.as(logBadRuns(bad), runs)
    })

  const acquire = (claim: Claim): Effect.Effect<Acquired, StoreError> =>
    Effect.gen(function*() {
      const jobs: Array<LeasedJob> = []
      let now: Instant
      // a bad row is quarantined (its lease cleared) and does not take a place in the batch:
      // claim again for the places it took, until a claim brings no bad row or runs dry
      for (;;) {
        const want = claim.limit - jobs.length
        const got = yield* driver.acquire({ ...claim, limit: want })
        now = got.now
        let bad = 0
        for (const row of got.rows) {
          const job = yield* decodeOne(row)
          if (job === undefined) bad++
          else jobs.push({ job, version: row.version })
        }
        if (bad === 0 || got.rows.length < want) break
      }
      jobs.sort((a, b) => compareJobs(a.job, b.job))
      return { now, jobs }
    })

  const release = (owner: string, decisions: ReadonlyArray<Decision>, runLeaseMs?: number | null) =>
    Effect.gen(function*() {
      if (decisions.length === 0) return []
      const rows: Array<RowDecision> = []
      for (const decision of decisions) {
        const row = encodeDecision(decision)
        // a leased job was decoded from its record, so it encodes again
        if (Either.isLeft(row)) return yield* Effect.dieMessage(`release: ${row.left}`)
        rows.push(row.right)
      }
      yield* purge
      const outcomes = yield* driver.release(owner, rows, runLeaseMs)
      const bad: Array<{ readonly row: EncodedRun; readonly reason: string }> = []
      const result = outcomes.map((outcome): ReleaseOutcome =>
        outcome._tag === "Refused"
          ? outcome
          : { _tag: "Released", runs: decodeRunsInto(outcome.runs, bad), skipped: outcome.skipped }
      )
      if (bad.length > 0) yield* logBadRuns(bad)
      return result
    })

  const complete = (completions: ReadonlyArray<Completion>) =>
    completions.length === 0 ? Effect.succeed([]) : Effect.zipRight(
      purge,
      driver.complete(completions.map((c) => ({
        jobId: c.jobId,
        scheduledTime: c.scheduledTime,
        fence: c.fence,
        state: c.state,
        startedAt: c.startedAt,
        finishedAt: c.finishedAt,
        result: encodeResult(c.result),
        error: c.error ?? null
      })))
    )

  /** Takes over expired runs; a run whose job row cannot be decoded is completed `abandoned`. */
  const recover = (claim: Claim): Effect.Effect<Recovered, StoreError> =>
    Effect.gen(function*() {
      const got = yield* driver.recover(claim)
      const runs: Array<RecoveredRun> = []
      const abandoned: Array<Run> = yield* decodeRuns(got.abandoned)
      const unreadable: Array<Completion> = []
      for (const { job: row, run: runRow } of got.runs) {
        // version 0: the record a removed one-shot job left on its run (no row to quarantine)
        const job = row.version === 0 ? Either.getOrUndefined(decodeRow(row)) : yield* decodeOne(row)
        const decoded = yield* decodeRuns([runRow])
        if (decoded.length === 0) continue
        const run = decoded[0]!
        if (job !== undefined) runs.push({ job, run })
        else {
          unreadable.push({
            jobId: run.jobId,
            scheduledTime: run.scheduledTime,
            fence: run.fence,
            state: "abandoned",
            startedAt: null,
            finishedAt: got.now,
            error: "its job cannot be read"
          })
          abandoned.push({ ...run, state: "abandoned", acquiredBy: null, acquiredUntil: null })
        }
      }
      if (unreadable.length > 0) yield* complete(unreadable)
      return { now: got.now, runs, abandoned }
    })

  return JobStore.of({
    add: (job, replaceExisting = false) =>
      Effect.flatMap(encodeJob(job), (row) => (replaceExisting ? driver.upsert(row) : driver.insert(row))),
    update: (job) =>
      Effect.flatMap(encodeJob(job), (row) =>
        Effect.flatMap(driver.update(row), (found) =>
          found ? Effect.void : Effect.fail(new JobLookupError({ jobId: job.id })))),
    remove: (jobId) =>
      Effect.flatMap(driver.delete(jobId), (found) => found ? Effect.void : Effect.fail(new JobLookupError({ jobId }))),
    removeAll: driver.deleteAll,
    lookup: (jobId) =>
      Effect.flatMap(driver.select(jobId), (row) =>
        Option.isNone(row) ? Effect.succeedNone : Effect.map(decodeOne(row.value), Option.fromNullable)),
    getNextRunTime: driver.getNextRunTime,
    getAll: Effect.flatMap(driver.selectAll, decodeAll),
    acquire,
    release,
    complete,
    renewRuns: (owner, runs, leaseMs) => runs.length === 0 ? Effect.succeed([]) : driver.renewRuns(owner, runs, leaseMs),
    recover,
    getRuns: (jobId) => Effect.flatMap(driver.selectRuns(jobId), decodeRuns),
    changes: driver.changes,
    persistent: true
  })
}
