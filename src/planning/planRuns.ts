/**
 * Misfire and coalesce planning, pure. APScheduler: `Job._get_run_times` + the grace check of
 * `BaseExecutor.run_job` + `BaseScheduler._process_jobs`'s next-run-time update.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { InvalidArgumentError } from "../errors.js"
import { timedeltaMicros, toMicros, toMillis } from "../triggers/internal/micros.js"
import { type CompiledTrigger, type Instant, MAX_DURATION_SECONDS } from "../triggers/Trigger.js"

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
  /** Missed run times one by one, when there are at most `maxListedMisses` (else empty: see the summary). */
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

const DEFAULT_MAX_LISTED = 100

/**
 * Plans one wake-up for one job, exactly as APScheduler 3 does it:
 *
 * 1. not due (`nextRunTime > now`): nothing happens;
 * 2. the run times are the trigger's chain from `nextRunTime` while `<= now`;
 * 3. with `coalesce` only the last one is submitted;
 * 4. a submitted run later than `misfireGraceTime` seconds (strictly) is missed, the others run;
 * 5. the new next run time is `trigger.next(last run time, now)`; none removes the job.
 *
 * The work grows with the runs inside the grace window, not with the backlog: run times older
 * than the window are skipped with `trigger.fastForward` and reported as `missedSummary`
 * (and listed one by one only when there are at most `maxListedMisses`). Without a grace limit and without
 * coalescing every run time must run, so there the work is the backlog itself.
 *
 * APScheduler: `Job._get_run_times`, `BaseExecutor.run_job`'s grace check, `_process_jobs`.
 *
 * @since 0.1.0
 * @category planning
 */
export const planRuns = (input: PlanRunsInput): RunPlan => {
  const { coalesce, now, trigger } = input
  const start = input.nextRunTime
  if (start > now) {
    return { due: false, runTimes: [], missed: [], missedSummary: undefined, nextRunTime: start, jobRemoved: false }
  }
  const grace = input.misfireGraceTime ?? undefined
  const maxListed = input.maxListedMisses ?? DEFAULT_MAX_LISTED
  // the first run time that is still inside the grace window: difference = now - t <= grace,
  // in whole microseconds as APScheduler compares `now - run_time > timedelta(seconds=grace)`
  const cutoff = graceCutoff(now, grace)

  const runTimes: Array<Instant> = []
  let missedSummary: MissedSummary | undefined
  let missed: ReadonlyArray<Instant> = []
  let last: Instant // the last run time <= now (APScheduler's run_times[-1])

  if (coalesce) {
    // only the last run time <= now is submitted
    const ff = trigger.fastForward(start, now)
    last = ff.next !== undefined && ff.next <= now ? ff.next : ff.last ?? start
    if (last >= cutoff) runTimes.push(last)
    else {
      missed = [last]
      missedSummary = { first: last, last, count: 1 }
    }
  } else {
    let t: Instant | undefined = start
    last = start
    if (start < cutoff) {
      // every run time before the grace window is missed: skip them without visiting each one
      const ff = trigger.fastForward(start, cutoff)
      last = ff.last ?? start
      missedSummary = { first: start, last, count: 1 + ff.count }
      if (missedSummary.count <= maxListed) {
        const listed = [start]
        for (let u = start; listed.length < missedSummary.count;) {
          u = trigger.next(u, now)!
          listed.push(u)
        }
        missed = listed
      }
      t = ff.next
    }
    for (; t !== undefined && t <= now; t = trigger.next(t, now)) {
      runTimes.push(t)
      last = t
    }
  }

  const next = trigger.next(last, now, input.jitterSample)
  return {
    due: true,
    runTimes,
    missed,
    missedSummary,
    nextRunTime: next,
    jobRemoved: next === undefined
  }
}

/** The earliest run time still inside the grace window (`now - grace`, in whole microseconds). */
const graceCutoff = (now: Instant, grace: number | undefined): Instant => {
  if (grace === undefined) return -Infinity
  if (!(grace >= 0) || !Number.isFinite(grace) || !Number.isFinite(now)) return now - grace * 1000
  return toMillis(toMicros(now) - Number(timedeltaMicros({ seconds: grace })))
}

/**
 * Validates a misfire grace time: `null`/`undefined` (no limit) or a positive, finite number of
 * seconds (fractions allowed, unlike APScheduler's whole seconds). APScheduler: `Job._modify`.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateMisfireGraceTime = (value: unknown): Either.Either<number | null, InvalidArgumentError> => {
  if (value === null || value === undefined) return Either.right(null)
  if (typeof value === "number" && Number.isFinite(value) && value > 0 && value <= MAX_DURATION_SECONDS) {
    return Either.right(value)
  }
  return Either.left(
    new InvalidArgumentError({
      field: "misfireGraceTime",
      reason: `must be null (no limit) or a positive number of seconds up to ${MAX_DURATION_SECONDS} (100 years), got ${
        typeof value === "number" ? String(value) : typeof value
      }`
    })
  )
}
