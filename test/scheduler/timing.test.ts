/**
 * The loop's timing under TestClock: misfire grace, coalescing, max instances, jitter, pauses,
 * trigger end, pending jobs, shutdown, long sleeps. No real sleeps: every wait is TestClock time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as TestClock from "effect/TestClock"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { DAY, HOUR, iso, MIN, SEC, show, T0, withScheduler } from "./helpers.js"

describe("misfire grace time", () => {
  const lateBy = (lateness: number) =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        // due at T0+10s; the scheduler is paused from T0+5s to T0+10s+lateness
        yield* scheduler.addJob(() => "ran", { id: "job", trigger: { type: "date", runDate: iso(T0 + 10 * SEC) } })
        yield* TestScheduler.advance(5 * SEC)
        yield* scheduler.pause
        yield* TestScheduler.advance(5 * SEC + lateness)
        yield* scheduler.resume
        return show(yield* TestScheduler.advance(0))
      })
    )

  it.effect("a run 1 s late (grace 1 s) runs", () =>
    Effect.gen(function*() {
      expect(yield* lateBy(1 * SEC)).toEqual(["JobRemoved job", "JobSubmitted job +10s", "JobExecuted job +10s"])
    }))

  it.effect("a run 2 s late (grace 1 s) is missed", () =>
    Effect.gen(function*() {
      expect(yield* lateBy(2 * SEC)).toEqual(["JobMissed job +10s", "JobRemoved job"])
    }))

  it.effect("a per-job grace of null never misses", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, {
          id: "job",
          trigger: { type: "date", runDate: iso(T0 + 10 * SEC) },
          misfireGraceTime: null
        })
        yield* scheduler.pause
        yield* TestScheduler.advance(30 * DAY)
        yield* scheduler.resume
        expect(TestScheduler.executed(yield* TestScheduler.advance(0))).toEqual([T0 + 10 * SEC])
      })
    ))
})

describe("coalescing after a 1-hour stall", () => {
  // interval 10 min from T0 (first run T0+10m); the scheduler is paused from T0+5m to T0+65m
  const stall = (options: { coalesce: boolean; misfireGraceTime: number | null }) =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, {
          id: "job",
          trigger: "interval",
          triggerArgs: { minutes: 10, startDate: iso(T0) },
          ...options
        })
        yield* TestScheduler.advance(5 * MIN)
        yield* scheduler.pause
        yield* TestScheduler.advance(HOUR)
        yield* scheduler.resume
        const events = yield* TestScheduler.advance(0)
        const job = Option.getOrThrow(yield* scheduler.getJob("job"))
        return { events, next: job.nextRunTime }
      })
    )

  it.effect("coalesce on: one run (the latest), no missed runs", () =>
    Effect.gen(function*() {
      const { events, next } = yield* stall({ coalesce: true, misfireGraceTime: null })
      expect(show(events)).toEqual(["JobSubmitted job +3600s", "JobExecuted job +3600s"])
      expect(next).toBe(T0 + 70 * MIN)
    }))

  it.effect("coalesce off: every missed run, in order", () =>
    Effect.gen(function*() {
      const { events, next } = yield* stall({ coalesce: false, misfireGraceTime: null })
      const runs = [10, 20, 30, 40, 50, 60].map((m) => T0 + m * MIN)
      expect(TestScheduler.executed(events)).toEqual(runs)
      expect(show(events)[0]).toBe(`JobSubmitted job ${runs.map((t) => `+${(t - T0) / 1000}s`).join(",")}`)
      expect(next).toBe(T0 + 70 * MIN)
    }))

  it.effect("coalesce off with grace 1 s: all six runs are missed", () =>
    Effect.gen(function*() {
      const { events } = yield* stall({ coalesce: false, misfireGraceTime: 1 })
      expect(show(events)).toEqual([10, 20, 30, 40, 50, 60].map((m) => `JobMissed job +${m * 60}s`))
    }))

  it.effect("coalesce on with grace 1 s: the one coalesced run is missed", () =>
    Effect.gen(function*() {
      const { events } = yield* stall({ coalesce: true, misfireGraceTime: 1 })
      expect(show(events)).toEqual(["JobMissed job +3600s"])
    }))
})

describe("max instances", () => {
  const slow = (maxInstances: number) =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        // runs every 10 s, each run takes 25 s
        yield* scheduler.addJob(() => Effect.sleep("25 seconds"), {
          id: "slow",
          trigger: "interval",
          triggerArgs: { seconds: 10 },
          maxInstances
        })
        return show(yield* TestScheduler.advance(45 * SEC)).filter((e) => !e.startsWith("JobExecuted"))
      })
    )

  it.effect("maxInstances 1: overlapping runs are refused with JobMaxInstances", () =>
    Effect.gen(function*() {
      expect(yield* slow(1)).toEqual([
        "JobSubmitted slow +10s",
        "JobMaxInstances slow +20s",
        "JobMaxInstances slow +30s",
        "JobSubmitted slow +40s"
      ])
    }))

  it.effect("maxInstances 2: two runs overlap, the third is refused", () =>
    Effect.gen(function*() {
      expect(yield* slow(2)).toEqual([
        "JobSubmitted slow +10s",
        "JobSubmitted slow +20s",
        "JobMaxInstances slow +30s",
        "JobSubmitted slow +40s"
      ])
    }))
})

describe("jitter", () => {
  const jittered = withScheduler((scheduler) =>
    Effect.gen(function*() {
      yield* scheduler.addJob(() => 1, { id: "j", trigger: "interval", triggerArgs: { seconds: 60, jitter: 30 } })
      return TestScheduler.executed(yield* TestScheduler.advance(10 * MIN))
    })
  )

  it.effect("with a seeded Random: runs inside [t, t + jitter], reproducible", () =>
    Effect.gen(function*() {
      const a = yield* Effect.withRandom(jittered, Random.make(42))
      const b = yield* Effect.withRandom(jittered, Random.make(42))
      const c = yield* Effect.withRandom(jittered, Random.make(7))
      expect(a).toEqual(b)
      expect(a).not.toEqual(c)
      // as in APScheduler, each run time is the previous (jittered) one + interval + [0, jitter]
      expect(a.length).toBeGreaterThanOrEqual(6)
      const gaps = a.map((t, i) => t - (i === 0 ? T0 : a[i - 1]!))
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(MIN)
        expect(gap).toBeLessThanOrEqual(MIN + 30 * SEC)
      }
      expect(gaps.some((g) => g !== MIN)).toBe(true)
    }))
})

describe("pause and resume", () => {
  it.effect("a paused job does not run; resumed, it runs from now on", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.addJob(() => 1, { id: "b", trigger: "interval", triggerArgs: { seconds: 10 } })
        expect(TestScheduler.executed(yield* TestScheduler.advance(10 * SEC), "a")).toEqual([T0 + 10 * SEC])
        const paused = yield* scheduler.pauseJob("a")
        expect(paused.nextRunTime).toBeNull()
        const during = yield* TestScheduler.advance(30 * SEC)
        expect(TestScheduler.executed(during, "a")).toEqual([])
        expect(TestScheduler.executed(during, "b")).toEqual([20, 30, 40].map((s) => T0 + s * SEC))
        yield* TestScheduler.advance(5 * SEC)
        const resumed = yield* scheduler.resumeJob("a")
        expect(Option.getOrThrow(resumed).nextRunTime).toBe(T0 + 50 * SEC)
        expect(TestScheduler.executed(yield* TestScheduler.advance(10 * SEC), "a")).toEqual([T0 + 50 * SEC])
      })
    ))

  it.effect("a paused scheduler runs nothing and publishes SchedulerPaused / SchedulerResumed", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.pause
        expect(yield* scheduler.state).toBe("paused")
        expect(TestScheduler.executed(yield* TestScheduler.advance(60 * SEC))).toEqual([])
        yield* scheduler.resume
        const after = yield* TestScheduler.advance(0)
        expect(show(after)).toEqual(["JobSubmitted a +60s", "JobExecuted a +60s"])
        expect(yield* scheduler.state).toBe("running")
      })
    ))

  it.effect("start({ paused: true }) accepts jobs but runs none until resumed", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        expect(yield* scheduler.state).toBe("paused")
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10 } })
        expect(TestScheduler.executed(yield* TestScheduler.advance(30 * SEC))).toEqual([])
        yield* scheduler.resume
        expect(TestScheduler.executed(yield* TestScheduler.advance(0))).toEqual([T0 + 30 * SEC])
      }), {}, { start: { paused: true } }))
})

describe("trigger end", () => {
  it.effect("a job whose trigger ends is removed after its last run", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, {
          id: "finite",
          trigger: "interval",
          triggerArgs: { seconds: 10, startDate: iso(T0), endDate: iso(T0 + 30 * SEC) }
        })
        const events = yield* TestScheduler.advance(60 * SEC)
        // an interval trigger fires at its start date first
        expect(TestScheduler.executed(events)).toEqual([0, 10, 20, 30].map((s) => T0 + s * SEC))
        expect(show(events).slice(-3)).toEqual(["JobRemoved finite", "JobSubmitted finite +30s", "JobExecuted finite +30s"])
        expect(Option.isNone(yield* scheduler.getJob("finite"))).toBe(true)
      })
    ))
})

describe("pending jobs", () => {
  it.effect("jobs added before start are pending and get their first run time at start", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const job = yield* scheduler.addJob(() => 1, { id: "p", trigger: "interval", triggerArgs: { minutes: 1 } })
        expect(job.nextRunTime).toBeNull()
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["p"])
        expect(yield* scheduler.printJobs()).toContain("Pending jobs:")
        // nothing runs while stopped
        expect(TestScheduler.executed(yield* TestScheduler.advance(5 * MIN))).toEqual([])
        yield* scheduler.start()
        const started = Option.getOrThrow(yield* scheduler.getJob("p"))
        // the interval trigger was made at add time (start date T0+1m, APScheduler's now + interval);
        // its first run time is computed at start: the first fire time at or after T0+5m
        expect(started.nextRunTime).toBe(T0 + 5 * MIN)
        expect(TestScheduler.executed(yield* TestScheduler.advance(MIN))).toEqual([T0 + 5 * MIN, T0 + 6 * MIN])
      }), {}, { start: false }))

  it.effect("pending jobs can be removed and replaced before start", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "p", trigger: "interval", triggerArgs: { minutes: 1 } })
        const dup = yield* Effect.flip(scheduler.addJob(() => 2, { id: "p" }))
        expect(dup._tag).toBe("ConflictingIdError")
        yield* scheduler.addJob(() => 3, { id: "p", name: "replaced", replaceExisting: true })
        expect((yield* scheduler.getJobs()).map((j) => j.name)).toEqual(["replaced"])
        yield* scheduler.removeJob("p")
        expect(yield* scheduler.getJobs()).toEqual([])
      }), {}, { start: false }))
})

describe("shutdown", () => {
  const slowJob = (flags: { started: boolean; finished: boolean; interrupted: boolean }) => () =>
    Effect.sync(() => (flags.started = true)).pipe(
      Effect.zipRight(Effect.sleep("10 seconds")),
      Effect.zipRight(Effect.sync(() => (flags.finished = true))),
      Effect.onInterrupt(() => Effect.sync(() => (flags.interrupted = true)))
    )

  it.effect("shutdown({ wait: true }) waits for running jobs", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const flags = { started: false, finished: false, interrupted: false }
        yield* scheduler.addJob(slowJob(flags), { id: "slow" })
        yield* TestScheduler.settle
        expect(flags.started).toBe(true)
        const shutdown = yield* Effect.fork(scheduler.shutdown({ wait: true }))
        yield* TestScheduler.settle
        expect(shutdown.unsafePoll()).toBeNull() // still waiting for the job
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(shutdown)
        expect(flags).toEqual({ started: true, finished: true, interrupted: false })
        expect(yield* scheduler.state).toBe("stopped")
      })
    ))

  it.effect("shutdown({ wait: false }) interrupts running jobs", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const flags = { started: false, finished: false, interrupted: false }
        yield* scheduler.addJob(slowJob(flags), { id: "slow" })
        yield* TestScheduler.settle
        yield* scheduler.shutdown({ wait: false })
        expect(flags).toEqual({ started: true, finished: false, interrupted: true })
        const err = yield* Effect.flip(scheduler.shutdown())
        expect(err._tag).toBe("SchedulerNotRunningError")
      })
    ))

  it.effect("after shutdown nothing runs; the scheduler can start again", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10, startDate: iso(T0) } })
        yield* TestScheduler.settle
        yield* scheduler.shutdown()
        expect(TestScheduler.executed(yield* TestScheduler.advance(65 * SEC))).toEqual([])
        yield* scheduler.start()
        // the missed runs are coalesced into one (+60s, 5 s late: missed), then it runs on time
        const events = yield* TestScheduler.advance(5 * SEC)
        expect(show(events)).toEqual(["JobMissed a +60s", "JobSubmitted a +70s", "JobExecuted a +70s"])
      })
    ))
})

describe("long sleeps", () => {
  it.effect("a job 60 days ahead fires on time (sleeps over Node's 24.8-day timer limit)", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => "late", { id: "far", trigger: { type: "date", runDate: iso(T0 + 60 * DAY) } })
        yield* TestScheduler.settle
        // the loop never sleeps longer than one day (Node's timers overflow past 24.8 days)
        const sleeps = Chunk.toArray(yield* TestClock.sleeps())
        expect(sleeps.length).toBeGreaterThan(0)
        expect(Math.max(...sleeps)).toBeLessThanOrEqual(T0 + DAY)
        expect(TestScheduler.executed(yield* TestScheduler.advance(60 * DAY - SEC))).toEqual([])
        const events = yield* TestScheduler.advance(SEC)
        expect(TestScheduler.executed(events)).toEqual([T0 + 60 * DAY])
        const exec = events.find((e) => e._tag === "JobExecuted")
        expect(exec && "retval" in exec && exec.retval).toBe("late")
      })
    ))

  it.effect("an idle scheduler wakes up when a job is added", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* TestScheduler.advance(3 * DAY)
        yield* scheduler.addJob(() => 1, { id: "a", trigger: { type: "date", runDate: iso(T0 + 3 * DAY + 5 * SEC) } })
        expect(TestScheduler.executed(yield* TestScheduler.advance(5 * SEC))).toEqual([T0 + 3 * DAY + 5 * SEC])
      })
    ))
})
