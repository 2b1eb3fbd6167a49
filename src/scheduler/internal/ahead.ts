/**
 * Runs claimed ahead of their time. The loop claims the jobs due within `CLAIM_AHEAD_MS` of now,
 * plans and records them while there is time, and hands each run to its executor at its scheduled
 * time from a starter fiber (one per instant and executor of a batch), so a run starts on time
 * however long claiming took, and the work at the due instant is the start alone.
 *
 * A run waiting here is a real run (recorded `ready` by `release`). Removing, pausing or
 * rescheduling its job cancels it; a shutdown ends every waiting run. Either way the run ends
 * `interrupted` with the reason (a shutdown also publishes `JOB_ERROR`, as an executor does for
 * the runs it drops); no waiting run is ever left live.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import { RunInterruptedError } from "../../errors.js"
import type { EventBus } from "../../events/EventBus.js"
import { JobError } from "../../events/SchedulerEvent.js"
import type { CompletionSink, Submission } from "../../executors/Executor.js"
import type { Instant } from "../../triggers/Trigger.js"

/**
 * How far ahead of now the loop claims due jobs, in ms. `maxInstances` is judged when a run is
 * claimed, so at most this early.
 */
export const CLAIM_AHEAD_MS = 5

/**
 * Sleeps until the Clock reads `at`: the delay is taken when the starter runs (the clock may have
 * moved since it was forked), and a timer that fires early (Node measures timers from its cached
 * loop time) sleeps again, so a run never starts before its time.
 */
const sleepUntil = (at: Instant): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => at > now ? Effect.zipRight(Effect.sleep(at - now), sleepUntil(at)) : Effect.void)

/** The runs of one batch due at one instant on one executor, waiting for it. */
interface Waiting {
  readonly at: Instant
  readonly executor: string
  submissions: Array<Submission>
  readonly sink: CompletionSink
}

/** The waiting runs of a scheduler, and their starter fibers. */
export class Ahead {
  readonly #waiting = new Set<Waiting>()
  constructor(
    readonly bus: EventBus["Type"],
    readonly clock: Clock.Clock,
    readonly starters: FiberSet.FiberSet<void, never>,
    /** Hands submissions to an executor by alias; `false` when it is gone. */
    readonly submit: (executor: string, submissions: Array<Submission>, sink: CompletionSink) => Effect.Effect<boolean>
  ) {}

  /**
   * Hands `submissions` to `executor` at `at` (of the Clock): a starter fiber sleeps until then,
   * then hands over whatever was not cancelled meanwhile.
   */
  schedule(
    at: Instant,
    executor: string,
    submissions: Array<Submission>,
    sink: CompletionSink
  ): Effect.Effect<void> {
    const w: Waiting = { at, executor, submissions, sink }
    this.#waiting.add(w)
    const handOver = Effect.suspend(() => (this.#waiting.delete(w) ? this.#handOver(w) : Effect.void))
    // forked from the loop's uninterruptible batch: only the sleep may be interrupted (by `drop`)
    const starter = Effect.zipRight(Effect.interruptible(sleepUntil(at)), handOver)
    return Effect.asVoid(FiberSet.run(this.starters, starter))
  }

  /**
   * Hands over at once the waiting runs whose time has come by `now`, in claim order. The loop
   * calls it between batches: a long pass runs on microtasks, so the starters' timers cannot fire
   * until it ends.
   */
  startDue(now: Instant): Effect.Effect<void> {
    return Effect.suspend(() => {
      let due: Array<Waiting> | undefined
      for (const w of this.#waiting) if (w.at <= now) (due ??= []).push(w)
      if (due === undefined) return Effect.void
      for (const w of due) this.#waiting.delete(w)
      return Effect.forEach(due, (w) => this.#handOver(w), { discard: true })
    })
  }

  /** Cancels the waiting runs of one job (or of every job of `jobstore` with `jobId` undefined). */
  cancel(jobstore: string, jobId: string | undefined, reason: string): Effect.Effect<void> {
    return Effect.sync(() => {
      for (const w of this.#waiting) {
        const kept: Array<Submission> = []
        const gone: Array<Submission> = []
        for (const s of w.submissions) {
          if (s.job.jobstore === jobstore && (jobId === undefined || s.job.id === jobId)) gone.push(s)
          else kept.push(s)
        }
        if (gone.length === 0) continue
        w.submissions = kept
        this.#end(gone, w.sink, reason, false)
      }
    })
  }

  /** Ends every waiting run (a shutdown) and stops the starters. */
  drop(reason: string): Effect.Effect<void> {
    return Effect.zipRight(
      Effect.sync(() => {
        for (const w of this.#waiting) this.#end(w.submissions, w.sink, reason, true)
        this.#waiting.clear()
      }),
      FiberSet.clear(this.starters)
    )
  }

  /** Submits a waiting group (taken out of the set) to its executor. */
  #handOver(w: Waiting): Effect.Effect<void> {
    if (w.submissions.length === 0) return Effect.void
    return Effect.flatMap(this.submit(w.executor, w.submissions, w.sink), (ok) =>
      ok ? Effect.void : Effect.sync(() => this.#end(w.submissions, w.sink, `executor "${w.executor}" was removed`, false)))
  }

  /** Reports runs that never started as `interrupted`. */
  #end(submissions: ReadonlyArray<Submission>, sink: CompletionSink, reason: string, publish: boolean): void {
    const now = this.clock.unsafeCurrentTimeMillis()
    for (const { job, runs } of submissions) {
      for (const run of runs) {
        const error = new RunInterruptedError({ jobId: job.id, scheduledTime: run.scheduledTime, reason })
        if (publish) {
          this.bus.unsafePublish(
            new JobError({
              jobId: job.id,
              jobstore: job.jobstore,
              scheduledRunTime: run.scheduledTime,
              exception: error,
              traceback: error.message
            })
          )
        }
        sink.done(job, {
          jobId: run.jobId,
          scheduledTime: run.scheduledTime,
          fence: run.fence,
          state: "interrupted",
          startedAt: null,
          finishedAt: now,
          error: error.message
        })
      }
    }
  }
}
