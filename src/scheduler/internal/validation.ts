/**
 * Validation of the job API's input at the boundary: tasks, job options, instants, triggers.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Random from "effect/Random"
import { InvalidArgumentError, PluginLookupError, type TriggerError, TriggerOutputError } from "../../errors.js"
import type { Executor } from "../../executors/Executor.js"
import * as Job from "../../job/Job.js"
import { isTaskRef, TaskRef } from "../../job/TaskRef.js"
import { validateMisfireGraceTime } from "../../planning/planRuns.js"
import type { JobStoreService } from "../../stores/JobStore.js"
import type { CompiledTrigger, Instant } from "../../triggers/Trigger.js"
import type { JobChanges, TriggerInput } from "../Scheduler.js"
import type { Core } from "./core.js"
import { camelCase, checkSpellings } from "./options.js"
import { builtins } from "../Plugins.js"

/** Is the value a compiled trigger? */
export const isTrigger = (u: unknown): u is CompiledTrigger =>
  typeof u === "object" && u !== null && typeof (u as CompiledTrigger).next === "function" &&
  typeof (u as CompiledTrigger).fastForward === "function"

/** Is the value a job store service (not a plugin configuration)? */
export const isStoreService = (u: unknown): u is JobStoreService =>
  typeof u === "object" && u !== null && typeof (u as JobStoreService).acquire === "function"

/** Is the value an executor service (not a plugin configuration)? */
export const isExecutorService = (u: unknown): u is Executor["Type"] =>
  typeof u === "object" && u !== null && typeof (u as Executor["Type"]).submit === "function"

/** An `InvalidArgumentError`. */
export const invalid = (field: string, reason: string) => new InvalidArgumentError({ field, reason })

/** A plain object (not an array, not a Date). */
export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !(u instanceof Date)

/** The largest instant a `Date` holds (ms from the epoch, either way). */
const MAX_INSTANT = 8.64e15

const toInstant = (field: string, value: Instant | Date | null): Either.Either<Instant | null, InvalidArgumentError> => {
  if (value === null) return Either.right(null)
  if (value instanceof Date) {
    const t = value.getTime()
    return Number.isFinite(t) ? Either.right(t) : Either.left(invalid(field, "invalid Date"))
  }
  if (typeof value === "number" && Number.isFinite(value)) {
    return Math.abs(value) <= MAX_INSTANT
      ? Either.right(value)
      : Either.left(invalid(field, `${value} is outside the range of a Date (±8.64e15 ms from 1970)`))
  }
  return Either.left(invalid(field, "expected an Instant (epoch ms), a Date or null"))
}

/** A random 32-digit hex job id (128 bits: four 32-bit draws from `Random`). */
export const randomHexId: Effect.Effect<string> = Effect.map(
  Effect.all([Random.next, Random.next, Random.next, Random.next]),
  (draws) => draws.map((x) => Math.floor(x * 0x1_0000_0000).toString(16).padStart(8, "0")).join("")
)

/** A task: a function, a `TaskRef`, or a task reference text. */
export const validateTask = (task: unknown): Either.Either<Job.Task, InvalidArgumentError> => {
  if (typeof task === "function") return Either.right(task as Job.JobFunction)
  if (isTaskRef(task)) return Either.right(task)
  if (typeof task === "string" && task.trim() !== "") return Either.right(new TaskRef({ ref: task }))
  return Either.left(invalid("task", "expected a function, a TaskRef or a task reference string"))
}

/** The job fields validated from user options (a subset of a job's). */
export type ValidFields = { -readonly [K in keyof Job.Job]?: Job.Job[K] }

/** Validates the plain options shared by addJob and modifyJob (plain code: the hot path of adding jobs). */
export const validateFieldsSync = (
  core: Core,
  o: JobChanges & { readonly id?: string | undefined }
): Either.Either<ValidFields, InvalidArgumentError | PluginLookupError> => {
  const out: ValidFields = {}
  if (o.id !== undefined) {
    if (typeof o.id !== "string" || o.id === "") return Either.left(invalid("id", "expected a non-empty string"))
    out.id = o.id
  }
  if (o.name !== undefined) {
    if (typeof o.name !== "string") return Either.left(invalid("name", "expected a string"))
    out.name = o.name
  }
  if (o.task !== undefined) {
    const task = validateTask(o.task)
    if (Either.isLeft(task)) return Either.left(task.left)
    out.task = task.right
  }
  if (o.args !== undefined) {
    if (!Array.isArray(o.args)) return Either.left(invalid("args", "expected an array"))
    out.args = o.args
  }
  if (o.kwargs !== undefined) {
    if (!isPlainObject(o.kwargs)) return Either.left(invalid("kwargs", "expected a plain object"))
    out.kwargs = o.kwargs
  }
  if ("misfireGraceTime" in o) {
    const grace = validateMisfireGraceTime(o.misfireGraceTime)
    if (Either.isLeft(grace)) return Either.left(grace.left)
    out.misfireGraceTime = grace.right
  }
  if (o.coalesce !== undefined) {
    if (typeof o.coalesce !== "boolean") return Either.left(invalid("coalesce", "expected a boolean"))
    out.coalesce = o.coalesce
  }
  if (o.maxInstances !== undefined) {
    if (typeof o.maxInstances !== "number" || !Number.isInteger(o.maxInstances) || o.maxInstances < 1) {
      return Either.left(invalid("maxInstances", "expected a positive integer"))
    }
    out.maxInstances = o.maxInstances
  }
  if (o.recovery !== undefined) {
    if (!(Job.RECOVERIES as ReadonlyArray<unknown>).includes(o.recovery)) {
      return Either.left(invalid("recovery", `expected "rerun" or "abandon", got ${JSON.stringify(o.recovery)}`))
    }
    out.recovery = o.recovery
  }
  if (o.executor !== undefined) {
    if (typeof o.executor !== "string") return Either.left(invalid("executor", "expected an alias"))
    if (!core.state.executors.has(o.executor) && o.executor !== "default") {
      return Either.left(new PluginLookupError({ kind: "executor", alias: o.executor }))
    }
    out.executor = o.executor
  }
  if (o.nextRunTime !== undefined) {
    const next = toInstant("nextRunTime", o.nextRunTime)
    if (Either.isLeft(next)) return Either.left(next.left)
    out.nextRunTime = next.right
  }
  return Either.right(out)
}

/** {@link validateFieldsSync} as an Effect. */
export const validateFields = (core: Core, o: JobChanges & { readonly id?: string | undefined }) =>
  Effect.suspend(() => validateFieldsSync(core, o))

const isInstant = (t: unknown): t is Instant => typeof t === "number" && Number.isFinite(t) && Math.abs(t) <= MAX_INSTANT

/**
 * A trigger that is not one of ours, checked on every call: a fire time must be an instant and
 * come after the previous fire (else the loop could never get past it); anything else throws
 * `TriggerOutputError`.
 */
export const guardTrigger = (trigger: CompiledTrigger): CompiledTrigger => {
  const name = () => String(trigger)
  const check = (what: string, t: Instant | undefined, after?: Instant): Instant | undefined => {
    if (t === undefined) return t
    if (!isInstant(t)) {
      throw new TriggerOutputError({
        trigger: name(),
        reason: `${what} returned ${String(t)}: expected an instant (epoch ms within the range of a Date) or undefined`
      })
    }
    if (after !== undefined && !(t > after)) {
      throw new TriggerOutputError({ trigger: name(), reason: `${what} returned ${t}, not after the previous fire ${after}` })
    }
    return t
  }
  return {
    spec: trigger.spec,
    timezone: trigger.timezone,
    jitter: trigger.jitter,
    next: (previousFire, now, jitterSample) => check("next()", trigger.next(previousFire, now, jitterSample), previousFire),
    fastForward: (previousFire, target) => {
      const ff = trigger.fastForward(previousFire, target)
      if (!(Number.isInteger(ff.count) && ff.count >= 0)) {
        throw new TriggerOutputError({ trigger: name(), reason: `fastForward() returned count ${String(ff.count)}` })
      }
      return {
        count: ff.count,
        last: check("fastForward().last", ff.last, previousFire),
        next: check("fastForward().next", ff.next, previousFire)
      }
    },
    toString: name
  }
}

/** A trigger from an alias + options, a spec object, or a compiled trigger; none = run once, now. */
export const resolveTriggerSync = (
  core: Core,
  trigger: TriggerInput | undefined,
  triggerArgs: Readonly<Record<string, unknown>> | undefined,
  now: Instant
): Either.Either<CompiledTrigger, TriggerError | PluginLookupError | InvalidArgumentError> => {
    if (isTrigger(trigger)) return Either.right(guardTrigger(trigger))
    const context = { timezone: core.state.config.timezone, now }
    let alias: string
    let opts: Readonly<Record<string, unknown>>
    if (trigger === undefined) {
      alias = "date"
      opts = { runDate: new Date(now) } // encoded with six fraction digits
    } else if (typeof trigger === "string") {
      alias = trigger
      opts = triggerArgs ?? {}
      if (!isPlainObject(opts)) return Either.left(invalid("triggerArgs", "expected an object of trigger options"))
      const twice = checkSpellings(opts, "triggerArgs.")
      if (Either.isLeft(twice)) return Either.left(twice.left)
    } else if (isPlainObject(trigger) && typeof trigger.type === "string") {
      const { type, ...rest } = trigger
      alias = type
      if (triggerArgs !== undefined && !isPlainObject(triggerArgs)) {
        return Either.left(invalid("triggerArgs", "expected an object of trigger options"))
      }
      for (const [given, path] of [[rest, "trigger."], [triggerArgs ?? {}, "triggerArgs."]] as const) {
        const twice = checkSpellings(given, path)
        if (Either.isLeft(twice)) return Either.left(twice.left)
      }
      for (const key of Object.keys(triggerArgs ?? {})) {
        if (Object.keys(rest).some((k) => camelCase(k) === camelCase(key))) {
          return Either.left(invalid(`triggerArgs.${key}`, "is given in the trigger spec too"))
        }
      }
      opts = { ...rest, ...triggerArgs }
    } else {
      return Either.left(invalid("trigger", "expected an alias, a spec object with a 'type', or a compiled trigger"))
    }
    const plugin = core.plugins.trigger(alias)
    if (plugin === undefined) return Either.left(new PluginLookupError({ kind: "trigger", alias }))
    const ours = (builtins.triggers as Record<string, unknown>)[alias] === plugin
    return ours ? plugin(opts, context) : Either.map(plugin(opts, context), guardTrigger)
  }

/** {@link resolveTriggerSync} as an Effect. */
export const resolveTrigger = (
  core: Core,
  trigger: TriggerInput | undefined,
  triggerArgs: Readonly<Record<string, unknown>> | undefined,
  now: Instant
): Effect.Effect<CompiledTrigger, TriggerError | PluginLookupError | InvalidArgumentError> =>
  Effect.suspend(() => resolveTriggerSync(core, trigger, triggerArgs, now))

/**
 * The first run time of a trigger at `now` (jitter drawn from `Random`); `null` = none. A guarded
 * trigger's bad output is an `InvalidArgumentError` (field `trigger`).
 */
export const firstRunTime = (trigger: CompiledTrigger, now: Instant): Effect.Effect<Instant | null, InvalidArgumentError> =>
  trigger.jitter
    ? Effect.flatMap(Random.next, (sample) => firstRunTimeSync(trigger, now, sample))
    : Effect.suspend(() => firstRunTimeSync(trigger, now, undefined))

/** {@link firstRunTime} with its jitter sample drawn (`undefined` for none). */
export const firstRunTimeSync = (
  trigger: CompiledTrigger,
  now: Instant,
  sample: number | undefined
): Either.Either<Instant | null, InvalidArgumentError> => {
  try {
    return Either.right(trigger.next(undefined, now, sample) ?? null)
  } catch (e) {
    if (e instanceof TriggerOutputError) return Either.left(invalid("trigger", e.message))
    throw e
  }
}
