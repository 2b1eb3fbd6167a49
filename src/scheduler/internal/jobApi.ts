/**
 * The job API (APScheduler's `add_job`, `modify_job`, … `print_jobs`): pending jobs while the
 * scheduler is stopped, the stores' job operations once it runs, and the events of each change.
 * Every store write bumps the job's version, so a job changed while the loop holds it is planned
 * again instead of being overwritten by the loop. A message per job change is logged at debug level
 * (APScheduler logs it at INFO, which Python's default logging does not show; Effect's does).
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { ConflictingIdError, JobLookupError, PluginLookupError, TaskLookupError } from "../../errors.js"
import { AllJobsRemoved, JobAdded, JobModified, JobRemoved } from "../../events/SchedulerEvent.js"
import * as Job from "../../job/Job.js"
import { isTaskRef } from "../../job/TaskRef.js"
import type { JobStoreService } from "../../stores/JobStore.js"
import type { AddJobError, AddJobOptions, JobChanges, TriggerInput } from "../Scheduler.js"
import { type Core, findStore, type Pending, wakeupIfRunning } from "./core.js"
import { table } from "./formatting.js"
import { ADD_JOB_KEYS, JOB_CHANGE_KEYS, normalizeKeys } from "./options.js"
import { claimTime } from "./storeTime.js"
import {
  firstRunTime,
  firstRunTimeSync,
  invalid,
  isPlainObject,
  randomHexId,
  resolveTrigger,
  resolveTriggerSync,
  validateFields,
  validateFieldsSync,
  validateTask
} from "./validation.js"

/** The job options that take the configuration's job defaults when not given. */
const DEFAULTABLE: ReadonlyArray<"misfireGraceTime" | "coalesce" | "maxInstances"> = ["misfireGraceTime", "coalesce", "maxInstances"]

type Found =
  | { readonly _tag: "pending"; readonly entry: Pending }
  | { readonly _tag: "stored"; readonly store: JobStoreService; readonly job: Job.Job }

/** The job API over a scheduler's core. */
export const makeJobApi = (core: Core) => {
  const { state, bus, locked } = core

  /**
   * A job's task must be one its executor can run (when the executor is there yet) and, for a
   * reference, resolve through the registry (a registered name, or an allowed import with that
   * function export): else `TaskLookupError` naming the job, before anything is stored.
   * APScheduler resolves textual references when a job is made.
   */
  const checkTask = (job: Job.Job): Effect.Effect<void, TaskLookupError> => {
    const refused = state.executors.get(job.executor)?.service.refusal?.(job.task)
    if (refused !== undefined) {
      const task = isTaskRef(job.task) ? job.task.ref : job.task.name || "<function>"
      return Effect.fail(new TaskLookupError({ task, reason: refused, jobId: job.id }))
    }
    // a registered name, or a module imported before: known at once, nothing to resolve
    if (!isTaskRef(job.task) || core.registry.lookup(job.task) !== undefined) return Effect.void
    return Effect.asVoid(
      Effect.mapError(core.registry.resolve(job.task), (e) => new TaskLookupError({ ...e, jobId: job.id }))
    )
  }

  /**
   * APScheduler `_real_add_job`; `checked`: the task was checked against the executors in place;
   * `clock`: the fiber's clock, already read by the caller (no second read of the service).
   */
  const realAdd = (
    job: Job.Job,
    replaceExisting: boolean,
    computeNext: boolean,
    checked = false,
    clock?: Clock.Clock
  ): Effect.Effect<
    Job.Job,
    AddJobError
  > => {
    const store = findStore(core, job.jobstore)
    if (store === undefined) return Effect.fail(new PluginLookupError({ kind: "jobstore", alias: job.jobstore }))
    const add = (job: Job.Job) =>
      Effect.flatMap(store.add(job, replaceExisting), () => {
        // no event is built when nobody listens (building one validates its fields)
        if (bus.hasSubscribers()) bus.unsafePublish(new JobAdded({ jobId: job.id, jobstore: job.jobstore }))
        // the loop wakes by itself in time for a job due after its wake-up (claimed that much ahead)
        if (
          state.status === "running" && job.nextRunTime !== null &&
          claimTime(core.storeTimes, job.jobstore, job.nextRunTime) < core.wake.deadline
        ) {
          core.wake.raise()
        }
        return Effect.as(Effect.logDebug(`Added job "${job.name}" to job store "${job.jobstore}"`), job)
      })
    const withNext = computeNext
      ? (clock === undefined
        ? Effect.clockWith((clock) => addWithNext(job, clock.unsafeCurrentTimeMillis(), add))
        : addWithNext(job, clock.unsafeCurrentTimeMillis(), add))
      : add(job)
    return checked ? withNext : Effect.zipRight(checkTask(job), withNext)
  }

  /** Adds the job with its first run time at `now` (jitter drawn from `Random`). */
  const addWithNext = (
    job: Job.Job,
    now: number,
    add: (job: Job.Job) => Effect.Effect<Job.Job, AddJobError>
  ): Effect.Effect<Job.Job, AddJobError> => {
    if (job.trigger.jitter) {
      return Effect.flatMap(firstRunTime(job.trigger, now), (next) => add(Job.withNextRunTime(job, next)))
    }
    const next = firstRunTimeSync(job.trigger, now, undefined)
    return Either.isLeft(next) ? Effect.fail(next.left) : add(Job.withNextRunTime(job, next.right))
  }

  const checkStoreAlias = (jobstore: string | undefined) =>
    jobstore !== undefined && !state.stores.has(jobstore) && state.status !== "stopped"
      ? Effect.fail(new PluginLookupError({ kind: "jobstore", alias: jobstore }))
      : Effect.void

  /** A job to add, made from `addJob`'s arguments (plain code: the hot path of adding jobs). */
  interface Prepared {
    readonly job: Job.Job
    readonly computeNext: boolean
    readonly replaceExisting: boolean
    readonly defaulted: ReadonlyArray<"misfireGraceTime" | "coalesce" | "maxInstances">
  }

  const prepareAdd = (
    task: Job.Task | string,
    options: AddJobOptions,
    now: number,
    id: string | undefined
  ): Either.Either<Prepared, AddJobError> => {
    if (!isPlainObject(options as unknown)) return Either.left(invalid("options", "expected an object"))
    const normalized = normalizeKeys(options as Readonly<Record<string, unknown>>, ADD_JOB_KEYS)
    if (Either.isLeft(normalized)) return Either.left(normalized.left)
    const o: AddJobOptions = normalized.right
    if (o.triggerArgs !== undefined && o.trigger === undefined) {
      return Either.left(invalid("triggerArgs", "needs `trigger` (the alias its options belong to)"))
    }
    const validTask = validateTask(task)
    if (Either.isLeft(validTask)) return Either.left(validTask.left)
    const valid = validateFieldsSync(core, o) // no `task` among them: ADD_JOB_KEYS has none
    if (Either.isLeft(valid)) return Either.left(valid.left)
    const fields = valid.right
    const jobstore = o.jobstore ?? "default"
    if (typeof jobstore !== "string") return Either.left(invalid("jobstore", "expected an alias"))
    if (!state.stores.has(jobstore) && jobstore !== "default") {
      return Either.left(new PluginLookupError({ kind: "jobstore", alias: jobstore }))
    }
    if (o.replaceExisting !== undefined && typeof o.replaceExisting !== "boolean") {
      return Either.left(invalid("replaceExisting", "expected a boolean"))
    }
    const trigger = resolveTriggerSync(core, o.trigger, o.triggerArgs, now)
    if (Either.isLeft(trigger)) return Either.left(trigger.left)
    const defaults = state.config.jobDefaults
    const job = Job.make({
      id: fields.id ?? id ?? "",
      name: fields.name,
      task: validTask.right,
      args: fields.args,
      kwargs: fields.kwargs,
      trigger: trigger.right,
      executor: fields.executor,
      jobstore,
      misfireGraceTime: "misfireGraceTime" in fields ? fields.misfireGraceTime : defaults.misfireGraceTime,
      coalesce: fields.coalesce ?? defaults.coalesce,
      maxInstances: fields.maxInstances ?? defaults.maxInstances,
      recovery: fields.recovery,
      nextRunTime: fields.nextRunTime ?? null
    })
    return Either.right({
      job,
      computeNext: fields.nextRunTime === undefined,
      replaceExisting: o.replaceExisting ?? false,
      defaulted: "misfireGraceTime" in fields || "coalesce" in fields || "maxInstances" in fields
        ? DEFAULTABLE.filter((k) => !(k in fields))
        : DEFAULTABLE
    })
  }

  /** Adds a prepared job: pending while stopped, else to its store. */
  const addPrepared = (
    { computeNext, defaulted, job, replaceExisting }: Prepared,
    clock: Clock.Clock
  ): Effect.Effect<Job.Job, AddJobError> => {
    const added = locked(Effect.suspend(() => {
      if (state.status === "stopped") {
        const i = state.pending.findIndex((p) => p.job.id === job.id)
        if (i >= 0) {
          if (!replaceExisting) return Effect.fail(new ConflictingIdError({ jobId: job.id }))
          state.pending.splice(i, 1)
        }
        const pending = Job.withPending(job, computeNext)
        state.pending.push({ job: pending, replaceExisting, computeNext, defaulted })
        return Effect.as(
          Effect.logDebug(`Adding job tentatively -- it will be properly scheduled when the scheduler starts`),
          pending
        )
      }
      return realAdd(job, replaceExisting, computeNext, true, clock)
    }))
    // a pending job is checked too (its executor, when configured at start, checks again then)
    return isTaskRef(job.task) ? Effect.zipRight(checkTask(job), added) : Effect.suspend(() => {
      // a function: the executor's refusal alone, without an Effect of its own
      const refused = state.executors.get(job.executor)?.service.refusal?.(job.task)
      return refused === undefined ? added : Effect.zipRight(checkTask(job), added)
    })
  }

  /** `addJob` once the time (and the id, when none is given) are known. */
  const addAt = (task: Job.Task | string, options: AddJobOptions, clock: Clock.Clock, id: string | undefined) => {
    const prepared = prepareAdd(task, options, clock.unsafeCurrentTimeMillis(), id)
    return Either.isLeft(prepared) ? Effect.fail(prepared.left) : addPrepared(prepared.right, clock)
  }

  const addJob = (task: Job.Task | string, options: AddJobOptions = {}): Effect.Effect<Job.Job, AddJobError> => {
    const given = isPlainObject(options as unknown) ? (options as { readonly id?: unknown }).id : undefined
    return given !== undefined
      ? Effect.clockWith((clock) => addAt(task, options, clock, undefined))
      : Effect.flatMap(randomHexId, (id) => Effect.clockWith((clock) => addAt(task, options, clock, id)))
  }

  /** APScheduler `_lookup_job`: pending jobs first, then the stores. */
  const findJob = (jobId: string, jobstore: string | undefined) =>
    Effect.gen(function*() {
      if (state.status === "stopped") {
        const entry = state.pending.find((p) =>
          p.job.id === jobId && (jobstore === undefined || p.job.jobstore === jobstore)
        )
        if (entry !== undefined) return Option.some<Found>({ _tag: "pending", entry })
      }
      for (const [alias, owned] of state.stores) {
        if (jobstore !== undefined && alias !== jobstore) continue
        const job = yield* owned.service.lookup(jobId)
        if (Option.isSome(job)) return Option.some<Found>({ _tag: "stored", store: owned.service, job: job.value })
      }
      return Option.none<Found>()
    })

  const findOrFail = (jobId: string, jobstore: string | undefined) =>
    Effect.flatMap(findJob(jobId, jobstore), Option.match({
      onNone: () => Effect.fail(new JobLookupError({ jobId })),
      onSome: Effect.succeed
    }))

  const applyChanges = (found: Found, update: (job: Job.Job) => Job.Job, recompute?: boolean) =>
    Effect.gen(function*() {
      if (found._tag === "pending") {
        if (recompute !== undefined) found.entry.computeNext = recompute
        found.entry.job = Job.withPending(update(found.entry.job), found.entry.computeNext)
        return found.entry.job
      }
      const job = update(found.job)
      if (job.task !== found.job.task || job.executor !== found.job.executor) yield* checkTask(job)
      yield* found.store.update(job)
      yield* bus.publish(new JobModified({ jobId: job.id, jobstore: job.jobstore }))
      yield* Effect.logDebug(`Modified job "${job.name}"`)
      yield* wakeupIfRunning(core)
      return job
    })

  const modifyJob = (jobId: string, given: JobChanges, jobstore?: string) =>
    Effect.gen(function*() {
      if (!isPlainObject(given as unknown)) return yield* invalid("changes", "expected an object")
      if ("id" in given) return yield* invalid("id", "the id of a job cannot be changed")
      if ("jobstore" in given) return yield* invalid("jobstore", "a job cannot be moved to another job store")
      const changes: JobChanges = yield* normalizeKeys(given as Readonly<Record<string, unknown>>, JOB_CHANGE_KEYS)
      if (changes.triggerArgs !== undefined && changes.trigger === undefined) {
        return yield* invalid(
          "triggerArgs",
          "needs `trigger` (the alias its options belong to); to change the schedule use rescheduleJob(id, trigger, triggerArgs)"
        )
      }
      const now = yield* Clock.currentTimeMillis
      const fields = yield* validateFields(core, changes)
      if (changes.trigger !== undefined) {
        fields.trigger = yield* resolveTrigger(core, changes.trigger, changes.triggerArgs, now)
      }
      return yield* locked(Effect.gen(function*() {
        const found = yield* findOrFail(jobId, jobstore)
        return yield* applyChanges(
          found,
          (job) => Job.modify(job, fields),
          changes.nextRunTime !== undefined ? false : undefined
        )
      }))
    })

  const rescheduleJob = (
    jobId: string,
    trigger: TriggerInput,
    triggerArgs?: Readonly<Record<string, unknown>>,
    jobstore?: string
  ) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const compiled = yield* resolveTrigger(core, trigger, triggerArgs, now)
      const next = yield* firstRunTime(compiled, now)
      return yield* locked(Effect.gen(function*() {
        const found = yield* findOrFail(jobId, jobstore)
        const changed = yield* applyChanges(found, (job) => Job.modify(job, { trigger: compiled, nextRunTime: next }), true)
        yield* core.ahead.cancel(changed.jobstore, jobId, "its job was rescheduled before its start")
        return changed
      }))
    })

  const pauseJob = (jobId: string, jobstore?: string) =>
    locked(Effect.gen(function*() {
      const found = yield* findOrFail(jobId, jobstore)
      const paused = yield* applyChanges(found, (job) => Job.modify(job, { nextRunTime: null }), false)
      yield* core.ahead.cancel(paused.jobstore, jobId, "its job was paused before its start")
      return paused
    }))

  const removeFound = (found: Found) =>
    Effect.gen(function*() {
      if (found._tag === "pending") {
        state.pending = state.pending.filter((p) => p !== found.entry)
        return
      }
      yield* found.store.remove(found.job.id)
      yield* core.ahead.cancel(found.job.jobstore, found.job.id, "its job was removed before its start")
      yield* bus.publish(new JobRemoved({ jobId: found.job.id, jobstore: found.job.jobstore }))
      yield* Effect.logDebug(`Removed job ${found.job.id}`)
    })

  const resumeJob = (jobId: string, jobstore?: string) =>
    locked(Effect.gen(function*() {
      const found = yield* findOrFail(jobId, jobstore)
      if (found._tag === "pending") {
        found.entry.computeNext = true
        found.entry.job = Job.withPending(found.entry.job, true)
        return Option.some(found.entry.job)
      }
      const now = yield* Clock.currentTimeMillis
      const next = yield* firstRunTime(found.job.trigger, now)
      if (next === null) {
        yield* removeFound(found)
        return Option.none()
      }
      return Option.some(yield* applyChanges(found, (job) => Job.modify(job, { nextRunTime: next })))
    }))

  const removeJob = (jobId: string, jobstore?: string) =>
    locked(Effect.gen(function*() {
      yield* checkStoreAlias(jobstore)
      yield* removeFound(yield* findOrFail(jobId, jobstore))
    }))

  const removeAllJobs = (jobstore?: string) =>
    locked(Effect.gen(function*() {
      yield* checkStoreAlias(jobstore)
      if (state.status === "stopped") {
        state.pending = state.pending.filter((p) => jobstore !== undefined && p.job.jobstore !== jobstore)
      }
      for (const [alias, owned] of state.stores) {
        if (jobstore === undefined || alias === jobstore) {
          yield* owned.service.removeAll
          yield* core.ahead.cancel(alias, undefined, "its job was removed before its start")
        }
      }
      yield* bus.publish(new AllJobsRemoved({ alias: jobstore }))
    }))

  const getJob = (jobId: string, jobstore?: string) =>
    Effect.map(findJob(jobId, jobstore), Option.map((f) => (f._tag === "pending" ? f.entry.job : f.job)))

  const getJobs = (jobstore?: string) =>
    Effect.gen(function*() {
      yield* checkStoreAlias(jobstore)
      const out: Array<Job.Job> = []
      if (state.status === "stopped") {
        for (const p of state.pending) if (jobstore === undefined || p.job.jobstore === jobstore) out.push(p.job)
      }
      for (const [alias, owned] of state.stores) {
        if (jobstore !== undefined && alias !== jobstore) continue
        // one by one: spreading a million jobs as arguments overflows the stack
        for (const job of yield* owned.service.getAll) out.push(job)
      }
      return out
    })

  const printJobs = (jobstore?: string) =>
    Effect.gen(function*() {
      const zone = state.config.timezone
      const lines: Array<string> = []
      if (state.status === "stopped") {
        lines.push("Pending jobs:")
        const jobs = state.pending.filter((p) => jobstore === undefined || p.job.jobstore === jobstore).map((p) =>
          p.job
        )
        if (jobs.length === 0) lines.push("    No pending jobs")
        else for (const line of table(zone, jobs, new Set(state.pending.filter((p) => p.computeNext).map((p) => p.job.id)))) lines.push(line)
      } else {
        yield* checkStoreAlias(jobstore)
        for (const alias of [...state.stores.keys()].sort()) {
          if (jobstore !== undefined && alias !== jobstore) continue
          lines.push(`Jobstore ${alias}:`)
          const jobs = yield* state.stores.get(alias)!.service.getAll
          if (jobs.length === 0) lines.push("    No scheduled jobs")
          else for (const line of table(zone, jobs, new Set())) lines.push(line)
        }
      }
      const text = lines.join("\n") + "\n"
      yield* Console.log(text.trimEnd())
      return text
    })

  return {
    realAdd,
    addJob,
    modifyJob,
    rescheduleJob,
    pauseJob,
    resumeJob,
    removeJob,
    removeAllJobs,
    getJob,
    getJobs,
    printJobs
  }
}
