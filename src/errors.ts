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
 * A trigger that is not one of ours (a plugin, or a compiled trigger given as is) returned a fire
 * time that is not an instant (NaN, out of a Date's range) or not after the previous fire. At add
 * time the job is refused; in the loop, the job is paused and the error logged.
 *
 * @since 0.1.0
 * @category errors
 */
export class TriggerOutputError extends Schema.TaggedError<TriggerOutputError>()("TriggerOutputError", {
  trigger: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Trigger ${this.trigger} ${this.reason}`
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

/**
 * A job with the same id already exists in the job store. APScheduler: `ConflictingIdError`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConflictingIdError extends Schema.TaggedError<ConflictingIdError>()("ConflictingIdError", {
  jobId: Schema.String
}) {
  override get message(): string {
    return `Job identifier '${this.jobId}' conflicts with an existing job`
  }
}

/**
 * No job with the given id exists (in the given job store, when one is named). APScheduler:
 * `JobLookupError`.
 *
 * @since 0.1.0
 * @category errors
 */
export class JobLookupError extends Schema.TaggedError<JobLookupError>()("JobLookupError", {
  jobId: Schema.String
}) {
  override get message(): string {
    return `No job by the id of '${this.jobId}' was found`
  }
}

/**
 * The operation is refused because the scheduler is already running (`start`, `configure`).
 * APScheduler: `SchedulerAlreadyRunningError`.
 *
 * @since 0.1.0
 * @category errors
 */
export class SchedulerAlreadyRunningError extends Schema.TaggedError<SchedulerAlreadyRunningError>()(
  "SchedulerAlreadyRunningError",
  {}
) {
  override get message(): string {
    return "Scheduler is already running"
  }
}

/**
 * The operation needs a started scheduler (`pause`, `resume`, `shutdown`). APScheduler:
 * `SchedulerNotRunningError`.
 *
 * @since 0.1.0
 * @category errors
 */
export class SchedulerNotRunningError extends Schema.TaggedError<SchedulerNotRunningError>()(
  "SchedulerNotRunningError",
  {}
) {
  override get message(): string {
    return "Scheduler is not running"
  }
}

/**
 * A configuration key or value that cannot be used; `key` names it (`"jobDefaults.coalesce"`,
 * `"apscheduler.executors.default.max_workers"` …).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid configuration '${this.key}': ${this.reason}`
  }
}

/**
 * No trigger, job store or executor plugin is registered under that alias. APScheduler: the
 * `LookupError` of `_create_plugin_instance` / `_lookup_jobstore` / `_lookup_executor`.
 *
 * @since 0.1.0
 * @category errors
 */
export class PluginLookupError extends Schema.TaggedError<PluginLookupError>()("PluginLookupError", {
  kind: Schema.Literal("trigger", "jobstore", "executor"),
  alias: Schema.String
}) {
  override get message(): string {
    return `No ${this.kind} by the name '${this.alias}' was found`
  }
}

/**
 * A job store or executor is already registered under that alias. APScheduler: the `ValueError`
 * of `add_jobstore` / `add_executor`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConflictingAliasError extends Schema.TaggedError<ConflictingAliasError>()("ConflictingAliasError", {
  kind: Schema.Literal("jobstore", "executor"),
  alias: Schema.String
}) {
  override get message(): string {
    return `This scheduler already has a ${this.kind} by the alias of '${this.alias}'`
  }
}

/**
 * A job store operation failed (connection lost, bad row …). The loop logs it and retries after
 * `jobstoreRetryInterval`.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  store: Schema.String,
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Job store '${this.store}' failed in ${this.operation}: ${this.reason}`
  }
}

/**
 * A task reference that resolves to no function (not registered in the `TaskRegistry`, or a
 * `"module:export"` reference that cannot be imported or is not allowed).
 *
 * @since 0.1.0
 * @category errors
 */
export class TaskLookupError extends Schema.TaggedError<TaskLookupError>()("TaskLookupError", {
  task: Schema.String,
  reason: Schema.String,
  /** The job whose task it is, when the lookup was for a job. */
  jobId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const of = this.jobId === undefined ? "" : ` of job '${this.jobId}'`
    return `Cannot resolve task '${this.task}'${of}: ${this.reason}`
  }
}

/**
 * A job run that did not complete normally in a worker (the worker crashed or exited).
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkerError extends Schema.TaggedError<WorkerError>()("WorkerError", {
  reason: Schema.String
}) {
  override get message(): string {
    return `Worker failed: ${this.reason}`
  }
}

/**
 * A run stopped before it ended: the scheduler shut down without waiting (or, with leases, the
 * run's lease was lost). The run ends in the `interrupted` state with one `JOB_ERROR` event
 * carrying this error.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunInterruptedError extends Schema.TaggedError<RunInterruptedError>()("RunInterruptedError", {
  jobId: Schema.String,
  scheduledTime: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `Run of job '${this.jobId}' scheduled at ${new Date(this.scheduledTime).toISOString()} was interrupted: ${this.reason}`
  }
}
