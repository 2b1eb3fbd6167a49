/**
 * A job store over a driver that keeps jobs as versioned JSON rows: what every persistent store
 * (SQL, Redis, MongoDB) builds on. The driver only stores and orders rows (`id`, `nextRunTime`,
 * `data`); this module encodes jobs as {@link Job.JobRecord}s (task references and JSON
 * arguments only: a function or a non-JSON argument is refused at add time) and decodes rows one
 * by one, recompiling their trigger specs. A row that cannot be decoded is logged, reported to
 * the driver's `quarantine` (kept aside, never deleted) and left out of the results.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type ConflictingIdError, JobLookupError, type StoreError } from "../errors.js"
import * as Job from "../job/Job.js"
import { compile } from "../triggers/compile.js"
import type { Instant } from "../triggers/Trigger.js"
import { JobStore } from "./JobStore.js"

/**
 * A stored row: the job's id, its next run time (indexed; `null` = paused) and its JSON record.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedRow {
  readonly id: string
  readonly nextRunTime: Instant | null
  readonly data: string
}

/**
 * What a persistent backend implements. Queries return rows ordered by next run time then id,
 * paused rows (no next run time) last.
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodedDriver {
  /** The store's name in errors and logs. */
  readonly name: string
  /** Inserts a row; `ConflictingIdError` when the id exists. */
  readonly insert: (row: EncodedRow) => Effect.Effect<void, ConflictingIdError | StoreError>
  /** Inserts or replaces a row. */
  readonly upsert: (row: EncodedRow) => Effect.Effect<void, StoreError>
  /** Replaces a row; `false` when there is none with its id. */
  readonly update: (row: EncodedRow) => Effect.Effect<boolean, StoreError>
  /** Deletes a row; `false` when there is none. */
  readonly delete: (id: string) => Effect.Effect<boolean, StoreError>
  /** Deletes every row (quarantined ones included). */
  readonly deleteAll: Effect.Effect<void, StoreError>
  /** The row with this id. */
  readonly select: (id: string) => Effect.Effect<Option.Option<EncodedRow>, StoreError>
  /** The rows with `nextRunTime <= now`, ordered. */
  readonly selectDue: (now: Instant) => Effect.Effect<ReadonlyArray<EncodedRow>, StoreError>
  /** The smallest next run time. */
  readonly selectNextRunTime: Effect.Effect<Option.Option<Instant>, StoreError>
  /** Every row, ordered. */
  readonly selectAll: Effect.Effect<ReadonlyArray<EncodedRow>, StoreError>
  /** Keeps a row that cannot be decoded aside (it is not returned by the queries any more). */
  readonly quarantine?: ((id: string, reason: string) => Effect.Effect<void, StoreError>) | undefined
}

const decodeRecord = Schema.decodeUnknownEither(Schema.parseJson(Job.JobRecord))

/**
 * Encodes a job as a row; fails with `InvalidArgumentError` for a function task or non-JSON
 * arguments.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeRow = (job: Job.Job) =>
  Either.map(Job.toRecord(job), (record): EncodedRow => ({
    id: job.id,
    nextRunTime: job.nextRunTime,
    data: JSON.stringify(record)
  }))

/**
 * Decodes a row into a job; the error says why it cannot be.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeRow = (row: EncodedRow): Either.Either<Job.Job, string> =>
  Either.flatMap(
    Either.mapLeft(decodeRecord(row.data), (e) => ParseResult.TreeFormatter.formatErrorSync(e)),
    (record) => Either.mapLeft(Job.fromRecord(record, compile), (e) => e.message)
  )

/**
 * Builds a job store over a driver.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeEncoded = (driver: EncodedDriver): JobStore["Type"] => {
  const decodeAll = (rows: ReadonlyArray<EncodedRow>) =>
    Effect.gen(function*() {
      const jobs: Array<Job.Job> = []
      for (const row of rows) {
        const decoded = decodeRow(row)
        if (Either.isRight(decoded)) {
          jobs.push(decoded.right)
          continue
        }
        yield* Effect.logError(`Unable to restore job "${row.id}" from job store "${driver.name}" -- keeping it aside`)
          .pipe(Effect.annotateLogs({ reason: decoded.left }))
        if (driver.quarantine !== undefined) yield* driver.quarantine(row.id, decoded.left)
      }
      return jobs
    })

  return JobStore.of({
    add: (job, replaceExisting = false) =>
      Effect.flatMap(encodeRow(job), (row) => (replaceExisting ? driver.upsert(row) : driver.insert(row))),
    update: (job) =>
      Effect.flatMap(encodeRow(job), (row) =>
        Effect.flatMap(driver.update(row), (found) =>
          found ? Effect.void : Effect.fail(new JobLookupError({ jobId: job.id })))),
    remove: (jobId) =>
      Effect.flatMap(driver.delete(jobId), (found) => found ? Effect.void : Effect.fail(new JobLookupError({ jobId }))),
    removeAll: driver.deleteAll,
    lookup: (jobId) =>
      Effect.flatMap(driver.select(jobId), (row) =>
        Option.isNone(row)
          ? Effect.succeedNone
          : Effect.map(decodeAll([row.value]), (jobs) => Option.fromNullable(jobs[0]))),
    getDueJobs: (now) => Effect.flatMap(driver.selectDue(now), decodeAll),
    getNextRunTime: driver.selectNextRunTime,
    getAll: Effect.flatMap(driver.selectAll, decodeAll)
  })
}
