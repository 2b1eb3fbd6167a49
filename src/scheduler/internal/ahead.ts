/**
 * Runs claimed ahead of their time. The loop claims the jobs due within `CLAIM_AHEAD_MS` of now,
 * plans and records them while there is time, and hands each run to its executor at its scheduled
 * time, so a run starts on time however long claiming took, and the work at the due instant is
 * the start alone. One `Alarm` (one long-lived sleeper fiber) serves every waiting run: it rings
 * at the earliest waiting time and hands over what is due then.
 *
 * A run waiting here is a real run (recorded `ready` by `release`). Removing, pausing or
 * rescheduling its job cancels it; a shutdown ends every waiting run. Either way the run ends
 * `interrupted` with the reason (a shutdown also publishes `JOB_ERROR`, as an executor does for
 * the runs it drops); no waiting run is ever left live.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { RunInterruptedError } from "../../errors.js"
import type { EventBus } from "../../events/EventBus.js"
import { JobError } from "../../events/SchedulerEvent.js"
import type { CompletionSink, Submission } from "../../executors/Executor.js"
import type { Instant } from "../../triggers/Trigger.js"
import { Alarm, forkIn } from "./alarm.js"

/**
 * How far ahead of now the loop claims due jobs, in ms, at least (a store whose passes take
 * longer is claimed further ahead, up to `MAX_CLAIM_AHEAD_MS`: `storeTime.ts`). `maxInstances` is
 * judged when a run is claimed, so at most the horizon early. It covers the lateness of the loop's own wake-up timer (1 to 4
 * ms on the benchmark machine) and the claiming of a burst (about 1.5 to 3 ms for 1,000 jobs on
 * the memory store), so a burst is claimed before its time and its runs start back to back. At 5
 * ms the claims of a burst of 1,000 spilled past its time in most rounds and its runs started
 * between later claim batches. A job whose next time comes within this while its previous run is
 * still open is claimed `OPEN_AHEAD_MS` before its time instead (see `open` in `loop.ts`).
 */
export const CLAIM_AHEAD_MS = 20

/**
 * How far ahead of its time the loop looks again at a job whose previous run was still open when
 * the job came within `CLAIM_AHEAD_MS` (it was released unchanged then, see `open` in `loop.ts`).
 * The loop wakes on its own timer for it, not at the end of the previous run: a claim made right
 * after a run, in the same turn of the event loop, set the next run's timer on Node's stale loop
 * time, and that timer fired late (periodic bench: p50 0.85-1.08 ms against 0.69-0.76 at a 5 ms
 * horizon).
 */
export const OPEN_AHEAD_MS = 5

/** The runs of one batch due at one instant on one executor, waiting for it. */
interface Waiting {
  readonly at: Instant
  readonly executor: string
  submissions: Array<Submission>
  readonly sink: CompletionSink
}

/** The waiting runs of a scheduler, and the alarm that starts them. */
export class Ahead {
  readonly #waiting = new Set<Waiting>()
  readonly #alarm: Alarm
  constructor(
    readonly bus: EventBus["Type"],
    readonly clock: Clock.Clock,
    /** Where the alarm's sleeper runs (the scheduler's scope). */
    scope: Scope.Scope,
    /** Hands submissions to an executor by alias; `undefined` when it is gone (plain code: nothing done). */
    readonly submit: (
      executor: string,
      submissions: Array<Submission>,
      sink: CompletionSink
    ) => Effect.Effect<void> | undefined
  ) {
    // a hand-over is never cut in half (a run taken out of the waiting set always reaches its executor)
    this.#alarm = new Alarm(clock, forkIn(scope), (now) => Effect.uninterruptible(this.startDue(now)))
  }

  /**
   * Hands `submissions` to `executor` at `at` (of the Clock), whatever of them was not cancelled
   * meanwhile. A timer that fires early sleeps again, so a run never starts before its time.
   * Gives the fork of the alarm's sleeper to run when one is needed, else `undefined` (plain code:
   * nothing else to do).
   */
  schedule(
    at: Instant,
    executor: string,
    submissions: Array<Submission>,
    sink: CompletionSink
  ): Effect.Effect<void> | undefined {
    this.#waiting.add({ at, executor, submissions, sink })
    return at < this.#alarm.at ? this.#alarm.set(at) : undefined
  }

  /**
   * Hands over at once the waiting runs whose time has come by `now`, in claim order, and sets the
   * alarm for the earliest of the rest. The alarm calls it at its time, and the loop between
   * batches: a long pass runs on microtasks, so the alarm's timer cannot fire until it ends.
   */
  startDue(now: Instant): Effect.Effect<void> {
    return Effect.suspend(() => this.takeDue(now) ?? Effect.void)
  }

  /**
   * {@link startDue} in plain code: takes the waiting runs due by `now` out of the set and rearms
   * the alarm, and gives the Effect that hands them over (and forks a sleeper when one is needed),
   * or `undefined` when there is nothing to do.
   */
  takeDue(now: Instant): Effect.Effect<void> | undefined {
    {
      let due: Array<Waiting> | undefined
      let next = Infinity
      for (const w of this.#waiting) {
        if (w.at <= now) (due ??= []).push(w)
        else if (w.at < next) next = w.at
      }
      let rearm: Effect.Effect<void> | undefined
      if (next === Infinity) this.#alarm.clear()
      else if (next !== this.#alarm.at) rearm = this.#alarm.set(next)
      if (due === undefined) return rearm
      for (const w of due) this.#waiting.delete(w)
      const handOver = due.length === 1
        ? this.#handOver(due[0]!)
        : Effect.forEach(due, (w) => this.#handOver(w), { discard: true })
      return rearm === undefined ? handOver : Effect.zipRight(handOver, rearm)
    }
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

  /** Ends every waiting run (a shutdown) and stops the alarm. */
  drop(reason: string): Effect.Effect<void> {
    return Effect.sync(() => {
      for (const w of this.#waiting) this.#end(w.submissions, w.sink, reason, true)
      this.#waiting.clear()
      this.#alarm.stop()
    })
  }

  /** Submits a waiting group (taken out of the set) to its executor. */
  #handOver(w: Waiting): Effect.Effect<void> {
    if (w.submissions.length === 0) return Effect.void
    return this.submit(w.executor, w.submissions, w.sink) ??
      Effect.sync(() => this.#end(w.submissions, w.sink, `executor "${w.executor}" was removed`, false))
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
