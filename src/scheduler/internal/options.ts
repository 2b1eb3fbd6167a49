/**
 * The keys of the job API's option objects: camelCase and snake_case alike (APScheduler's keyword
 * names), every other key refused with the key named and, where one is close, a hint
 * ("did you mean `triggerArgs.seconds`?"), and a key given in both spellings refused.
 */
import * as Either from "effect/Either"
import { InvalidArgumentError } from "../../errors.js"
import { camelCase as specCamelCase, didYouMean, distance } from "../../triggers/internal/specCommon.js"

/** The options of `addJob`. */
export const ADD_JOB_KEYS: ReadonlyArray<string> = [
  "trigger",
  "triggerArgs",
  "args",
  "kwargs",
  "id",
  "name",
  "misfireGraceTime",
  "coalesce",
  "maxInstances",
  "recovery",
  "nextRunTime",
  "jobstore",
  "executor",
  "replaceExisting"
]

/** The changes `modifyJob` accepts (`id` and `jobstore` are refused with their own reason). */
export const JOB_CHANGE_KEYS: ReadonlyArray<string> = [
  "task",
  "trigger",
  "triggerArgs",
  "args",
  "kwargs",
  "name",
  "misfireGraceTime",
  "coalesce",
  "maxInstances",
  "recovery",
  "nextRunTime",
  "executor"
]

/**
 * The fields of the built-in triggers (date, interval, cron), for the hint on a trigger field given
 * among the job's options.
 */
export const TRIGGER_FIELDS: ReadonlySet<string> = new Set([
  "runDate",
  "weeks",
  "days",
  "hours",
  "minutes",
  "seconds",
  "startDate",
  "endDate",
  "timezone",
  "jitter",
  "year",
  "month",
  "day",
  "week",
  "dayOfWeek",
  "hour",
  "minute",
  "second",
  "triggers"
])

/** `misfire_grace_time` → `misfireGraceTime` (camelCase keys are unchanged). */
export const camelCase = specCamelCase

/** The hint for an unknown key: the trigger field it is, a close allowed key, or a close trigger field. */
const hint = (key: string, allowed: ReadonlyArray<string>): string => {
  const camel = camelCase(key)
  const asTrigger = (field: string) =>
    allowed.includes("triggerArgs")
      ? `; did you mean \`triggerArgs.${field}\` (a trigger option)?`
      : `; \`${field}\` is a trigger option: give it in \`triggerArgs\``
  if (TRIGGER_FIELDS.has(camel)) return asTrigger(camel)
  const close = didYouMean(key, allowed)
  if (close !== "") return close
  for (const field of TRIGGER_FIELDS) {
    if (field.length > 4 && distance(camel, field) <= 2) return asTrigger(field)
  }
  return ""
}

/**
 * The options with every key in camelCase; `InvalidArgumentError` for a key not in `allowed`
 * (named with its path, with a hint) or one given in two spellings.
 */
export const normalizeKeys = (
  options: Readonly<Record<string, unknown>>,
  allowed: ReadonlyArray<string>,
  path = ""
): Either.Either<Record<string, unknown>, InvalidArgumentError> => {
  const out: Record<string, unknown> = {}
  let snake = false
  for (const key of Object.keys(options)) {
    const value = options[key]
    const camel = camelCase(key)
    if (camel !== key) snake = true
    if (!allowed.includes(camel)) {
      return Either.left(
        new InvalidArgumentError({ field: `${path}${key}`, reason: `is not an option${hint(key, allowed)}` })
      )
    }
    if (value !== undefined) out[camel] = value
  }
  // distinct keys all in camelCase cannot name one option twice
  return snake ? Either.map(checkSpellings(options, path), () => out) : Either.right(out)
}

/**
 * A trigger's options with a key given in two spellings (`dayOfWeek` and `day_of_week`) refused;
 * the trigger itself checks the names and values.
 */
export const checkSpellings = (
  options: Readonly<Record<string, unknown>>,
  path: string
): Either.Either<void, InvalidArgumentError> => {
  const keys = Object.keys(options)
  // distinct keys all in camelCase cannot name one option twice
  if (keys.every((key) => !key.includes("_"))) return Either.void
  const spelled: Record<string, string> = {}
  for (const key of keys) {
    const camel = camelCase(key)
    const other = spelled[camel]
    if (other !== undefined) {
      return Either.left(
        new InvalidArgumentError({ field: `${path}${key}`, reason: `given twice (as \`${other}\` and \`${key}\`)` })
      )
    }
    spelled[camel] = key
  }
  return Either.void
}
