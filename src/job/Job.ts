/**
 * The job model. A job is an immutable record: its callable (a function, or a task reference for
 * persistent stores and worker executors), arguments, compiled trigger, options and next run time.
 * The scheduler replaces a job value on every change; stores index it by (next run time, id).
 *
 * APScheduler: `apscheduler.job.Job`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { InvalidArgumentError } from "../errors.js"
import type { CompiledTrigger, Instant } from "../triggers/Trigger.js"
import { isTaskRef, TaskRef } from "./TaskRef.js"

/**
 * A job's callable: called with the job's `args` (then its `kwargs` object as a last argument when
 * it has keys). It may return a plain value, a `Promise` or an `Effect`.
 *
 * @since 0.1.0
 * @category models
 */
export type JobFunction = (...args: ReadonlyArray<any>) => unknown

/**
 * What a job runs: a function (memory store only) or a {@link TaskRef}.
 *
 * @since 0.1.0
 * @category models
 */
export type Task = JobFunction | TaskRef

/**
 * A scheduled job. `nextRunTime` is `null` for a paused job. APScheduler: `Job`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Job {
  /** Unique id in its job store. */
  readonly id: string
  /** Readable name (default: the function's name or the task reference). */
  readonly name: string
  /** The callable. */
  readonly task: Task
  /** Positional arguments. */
  readonly args: ReadonlyArray<unknown>
  /** Keyword arguments (passed as a last object argument when not empty). */
  readonly kwargs: Readonly<Record<string, unknown>>
  /** The compiled trigger (shared between jobs with the same spec). */
  readonly trigger: CompiledTrigger
  /** Alias of the executor that runs the job. */
  readonly executor: string
  /** Alias of the job store that holds the job. */
  readonly jobstore: string
  /** Seconds a run may be late and still run; `null` = no limit. */
  readonly misfireGraceTime: number | null
  /** Run once instead of several times when several run times are due. */
  readonly coalesce: boolean
  /** How many runs of this job may be under way at once. */
  readonly maxInstances: number
  /**
   * What happens to a run whose scheduler died while running it (`Lock.leased`): `"rerun"` (the
   * default: a peer runs it again with a higher fence and `attempt + 1`, at-least-once) or
   * `"abandon"` (it is recorded `abandoned`, at-most-once).
   */
  readonly recovery: Recovery
  /** When the job runs next; `null` = paused (unless `pending`). */
  readonly nextRunTime: Instant | null
  /**
   * `true` for a job added before the scheduler started whose first run time is computed at
   * start: its `nextRunTime` is `null` then, yet it is not paused. Absent otherwise.
   */
  readonly pending?: true | undefined
}

/**
 * A job's recovery policy: `"rerun"` (at-least-once, the default) or `"abandon"` (at-most-once).
 *
 * @since 0.1.0
 * @category models
 */
export type Recovery = "rerun" | "abandon"

/**
 * The recovery policies.
 *
 * @since 0.1.0
 * @category constants
 */
export const RECOVERIES: ReadonlyArray<Recovery> = ["rerun", "abandon"]

const EMPTY_ARGS: ReadonlyArray<unknown> = Object.freeze([])
const EMPTY_KWARGS: Readonly<Record<string, unknown>> = Object.freeze({})

/**
 * Builds a job value (no validation: the scheduler validates user input first).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fields: {
  readonly id: string
  readonly name?: string | undefined
  readonly task: Task
  readonly args?: ReadonlyArray<unknown> | undefined
  readonly kwargs?: Readonly<Record<string, unknown>> | undefined
  readonly trigger: CompiledTrigger
  readonly executor?: string | undefined
  readonly jobstore?: string | undefined
  readonly misfireGraceTime?: number | null | undefined
  readonly coalesce?: boolean | undefined
  readonly maxInstances?: number | undefined
  readonly recovery?: Recovery | undefined
  readonly nextRunTime: Instant | null
}): Job => ({
  id: fields.id,
  name: fields.name ?? taskName(fields.task),
  task: fields.task,
  args: fields.args === undefined || fields.args.length === 0 ? EMPTY_ARGS : fields.args,
  kwargs: fields.kwargs === undefined || isEmpty(fields.kwargs) ? EMPTY_KWARGS : fields.kwargs,
  trigger: fields.trigger,
  executor: fields.executor ?? "default",
  jobstore: fields.jobstore ?? "default",
  misfireGraceTime: fields.misfireGraceTime === undefined ? 1 : fields.misfireGraceTime,
  coalesce: fields.coalesce ?? true,
  maxInstances: fields.maxInstances ?? 1,
  recovery: fields.recovery ?? "rerun",
  nextRunTime: fields.nextRunTime
})

/**
 * The job with another next run time: a record of the same shape as `make`'s (the hot path of
 * adding jobs: one hidden class for every job).
 *
 * @since 0.1.0
 * @category combinators
 */
export const withNextRunTime = (job: Job, nextRunTime: Instant | null): Job =>
  job.pending !== undefined ? modify(job, { nextRunTime }) : {
    id: job.id,
    name: job.name,
    task: job.task,
    args: job.args,
    kwargs: job.kwargs,
    trigger: job.trigger,
    executor: job.executor,
    jobstore: job.jobstore,
    misfireGraceTime: job.misfireGraceTime,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    recovery: job.recovery,
    nextRunTime
  }

const isEmpty = (o: object): boolean => {
  for (const _ in o) return false
  return true
}

/**
 * Returns a copy of the job with some fields changed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const modify = (job: Job, changes: Partial<Omit<Job, "id">>): Job => ({ ...job, ...changes })

/**
 * Is the job paused (no next run time, and not pending)?
 *
 * @since 0.1.0
 * @category guards
 */
export const isPaused = (job: Job): boolean => job.nextRunTime === null && job.pending !== true

/**
 * The job marked as pending (its first run time computed at start) or not.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPending = (job: Job, pending: boolean): Job => {
  if (pending) {
    if (job.pending === true) return job
    // not `{ ...job, pending: true }`: V8 gives each object made so its own hidden class
    const marked: { -readonly [K in keyof Job]: Job[K] } = Object.assign({}, job)
    marked.pending = true
    return marked
  }
  if (job.pending === undefined) return job
  const { pending: _, ...rest } = job
  return rest
}

/**
 * The readable name of a task: the function's name, or the reference text.
 *
 * @since 0.1.0
 * @category utils
 */
export const taskName = (task: Task): string =>
  isTaskRef(task) ? task.ref : (task.name === "" ? "<anonymous>" : task.name)

/**
 * APScheduler's `str(job)`: `name (trigger: …, next run at: …)`.
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (job: Job, formatInstant: (i: Instant) => string = (i) => new Date(i).toISOString()): string =>
  `${job.name} (trigger: ${job.trigger.toString()}, ${
    job.nextRunTime === null ? "paused" : `next run at: ${formatInstant(job.nextRunTime)}`
  })`

// ---------------------------------------------------------------------------------------------
// Serializable form (persistent stores, workers)
// ---------------------------------------------------------------------------------------------

/**
 * The current version of {@link JobRecord}.
 *
 * @since 0.1.0
 * @category models
 */
export const RECORD_VERSION = 1

/**
 * A job's definition as plain JSON data, versioned: what persistent stores write. The callable is
 * a task reference text; the trigger is its spec (compiled again when the record is read). The
 * next run time is not part of it: a store keeps it in a column of its own (indexed), so moving a
 * job on never rewrites its record.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobRecord = Schema.Struct({
  version: Schema.Literal(RECORD_VERSION),
  id: Schema.String,
  name: Schema.String,
  task: Schema.String,
  args: Schema.Array(Schema.Unknown),
  kwargs: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  trigger: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  executor: Schema.String,
  jobstore: Schema.String,
  misfireGraceTime: Schema.NullOr(Schema.Number),
  coalesce: Schema.Boolean,
  maxInstances: Schema.Number,
  recovery: Schema.optional(Schema.Literal("rerun", "abandon"))
})

/**
 * The type of {@link JobRecord}.
 *
 * @since 0.1.0
 * @category models
 */
export type JobRecord = typeof JobRecord.Type

/**
 * Is the value encodable as JSON without loss (plain data: no functions, class instances, cycles,
 * `undefined`, non-finite numbers, bigint)?
 *
 * @since 0.1.0
 * @category guards
 */
export const isJsonEncodable = (value: unknown): boolean => jsonProblem(value, "") === undefined

/**
 * Where and why a value is not plain JSON data: the path of the first offending part
 * (`"[1].when"`, relative to the value) and what it is (`"a function"`, `"a Map instance"`,
 * `"a cycle"`, …); `undefined` when it is JSON data.
 *
 * @since 0.1.0
 * @category guards
 */
export const jsonProblem = (
  value: unknown,
  path: string,
  seen: Set<unknown> = new Set()
): { readonly path: string; readonly what: string } | undefined => {
  if (value === null) return undefined
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined
    case "number":
      return Number.isFinite(value) ? undefined : { path, what: `the number ${value}` }
    case "object": {
      if (seen.has(value)) return { path, what: "a cycle" }
      seen.add(value)
      let found: { readonly path: string; readonly what: string } | undefined
      if (Array.isArray(value)) {
        for (let i = 0; found === undefined && i < value.length; i++) found = jsonProblem(value[i], `${path}[${i}]`, seen)
      } else {
        const proto = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) {
          found = { path, what: `a ${(proto?.constructor?.name as string | undefined) ?? "class"} instance` }
        } else {
          for (const [k, v] of Object.entries(value as object)) {
            found = jsonProblem(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, seen)
            if (found !== undefined) break
          }
        }
      }
      seen.delete(value)
      return found
    }
    case "bigint":
      return { path, what: "a BigInt" }
    default:
      return { path, what: typeof value === "function" ? "a function" : `${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}` }
  }
}

/**
 * Encodes a job as a {@link JobRecord}; fails when the task is a function (not a reference) or an
 * argument is not JSON-encodable.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toRecord = (job: Job): Either.Either<JobRecord, InvalidArgumentError> => {
  if (!isTaskRef(job.task)) {
    return Either.left(
      new InvalidArgumentError({
        field: "task",
        reason: `job "${job.id}": a persistent job store needs a task reference (TaskRef), not a function`
      })
    )
  }
  const problem = jsonProblem(job.args, "args") ?? jsonProblem(job.kwargs, "kwargs")
  if (problem !== undefined) {
    return Either.left(
      new InvalidArgumentError({
        field: problem.path,
        reason: `job "${job.id}": ${problem.what} is not JSON data (arguments of a persisted job must be)`
      })
    )
  }
  return Either.right({
    version: RECORD_VERSION,
    id: job.id,
    name: job.name,
    task: job.task.ref,
    args: job.args,
    kwargs: job.kwargs,
    trigger: job.trigger.spec as Record<string, unknown>,
    executor: job.executor,
    jobstore: job.jobstore,
    misfireGraceTime: job.misfireGraceTime,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    ...(job.recovery === "rerun" ? {} : { recovery: job.recovery })
  })
}

/**
 * Decodes a {@link JobRecord} back into a job with the given next run time (`null`: paused),
 * compiling its trigger spec with `compile`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const fromRecord = <E>(
  record: JobRecord,
  compile: (spec: unknown) => Either.Either<CompiledTrigger, E>,
  nextRunTime: Instant | null
): Either.Either<Job, E> =>
  Either.map(compile(record.trigger), (trigger) =>
    make({
      id: record.id,
      name: record.name,
      task: new TaskRef({ ref: record.task }),
      args: record.args,
      kwargs: record.kwargs,
      trigger,
      executor: record.executor,
      jobstore: record.jobstore,
      misfireGraceTime: record.misfireGraceTime,
      coalesce: record.coalesce,
      maxInstances: record.maxInstances,
      recovery: record.recovery,
      nextRunTime
    }))
