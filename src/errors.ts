/**
 * Every public error of effect-apscheduler.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A trigger spec (or a crontab text, or a date string) that cannot be compiled. `field` names the
 * offending field (`"hour"`, `"startDate"`, `"timezone"`, `"crontab"` …) and `reason` says why.
 *
 * @since 0.1.0
 * @category errors
 */
export class TriggerError extends Schema.TaggedError<TriggerError>()("TriggerError", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid trigger field '${this.field}': ${this.reason}`
  }
}

/**
 * Bad input at a public boundary (job options, configuration values, planning options).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArgumentError extends Schema.TaggedError<InvalidArgumentError>()("InvalidArgumentError", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid argument '${this.field}': ${this.reason}`
  }
}
