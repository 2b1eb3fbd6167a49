/**
 * Misfire and coalesce planning, pure. APScheduler: `Job._get_run_times` + the grace check of
 * `BaseExecutor.run_job` + `BaseScheduler._process_jobs`'s next-run-time update.
 *
 * @since 0.1.0
 */
import type { CompiledTrigger, Instant } from "../triggers/Trigger.js"

/**
 * What to do with one job at one wake-up.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunPlan {
  /** `nextRunTime <= now`: the job had something to do. */
  readonly due: boolean
  /** Run times to execute now (inside the grace window; with coalesce at most one). */
  readonly runTimes: ReadonlyArray<Instant>
  /** Missed run times listed one by one (at most `maxListedMisses`, the most recent ones). */
  readonly missed: ReadonlyArray<Instant>
  /** All missed run times as a summary; `undefined` when none was missed. */
  readonly missedSummary: MissedSummary | undefined
  /** The job's new next run time; `undefined` with `jobRemoved` when the trigger is exhausted. */
  readonly nextRunTime: Instant | undefined
  /** The trigger is exhausted: the job must be removed. */
  readonly jobRemoved: boolean
}

/**
 * A backlog of missed runs: the first and last missed run time and how many there were.
 *
 * @since 0.1.0
 * @category models
 */
export interface MissedSummary {
  readonly first: Instant
  readonly last: Instant
  readonly count: number
}

/**
 * Input of {@link planRuns}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlanRunsInput {
  readonly nextRunTime: Instant
  readonly trigger: CompiledTrigger
  readonly now: Instant
  /** Seconds (positive, fractions allowed); `null`/`undefined` = unlimited. */
  readonly misfireGraceTime: number | null | undefined
  readonly coalesce: boolean
  /** Random sample in [0, 1) for the new next run time's jitter (drawn by the shell). */
  readonly jitterSample?: number
  /** How many missed run times to list individually (default 100). */
  readonly maxListedMisses?: number
}
