/**
 * Claiming ahead: the loop claims jobs due within CLAIM_AHEAD_MS and starts each run at its time;
 * removing, pausing or rescheduling a job cancels its claimed run; a shutdown ends the claimed
 * runs that have not started. Driven by TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import type { EventBus } from "../../src/events/EventBus.js"
import { CLAIM_AHEAD_MS, OPEN_AHEAD_MS } from "../../src/scheduler/internal/ahead.js"
import type { JobStoreService } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { schedulerOn, SEC, show, T0 } from "./helpers.js"

const DUE = T0 + 10 * SEC

/** A started test scheduler with one date job due at DUE that records the clock when it starts. */
const withClaimedJob = <A>(body: (started: Array<number>) => Effect.Effect<A, unknown, Scheduler | EventBus>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    return yield* Effect.gen(function*() {
      const scheduler = yield* Scheduler
      const started: Array<number> = []
      yield* scheduler.addJob(() => Effect.map(Clock.currentTimeMillis, (t) => void started.push(t)), {
        id: "j",
        trigger: "date",
        triggerArgs: { runDate: new Date(DUE) }
      })
      yield* TestScheduler.advanceTo(DUE - 1) // inside the horizon: claimed, waiting
      return yield* body(started)
    }).pipe(Effect.provide(TestScheduler.layer()))
  })

describe("claiming ahead", () => {
  it.effect("a run claimed ahead is recorded ready before its time and starts exactly at it, never before", () =>
    withClaimedJob((started) =>
      Effect.gen(function*() {
        const scheduler = yield* Scheduler
        expect(started).toEqual([])
        expect((yield* scheduler.getRuns("j")).map((r) => [r.scheduledTime - T0, r.state])).toEqual([[10 * SEC, "ready"]])
        const events = yield* TestScheduler.advanceTo(DUE)
        expect(started).toEqual([DUE])
        expect(show(events)).toContain("JobExecuted j +10s")
        expect((yield* scheduler.getRuns("j")).map((r) => r.state)).toEqual(["succeeded"])
      })
    ))

  it.effect("removing a job whose run is claimed ahead cancels the run: it never starts and ends interrupted", () =>
    withClaimedJob((started) =>
      Effect.gen(function*() {
        const scheduler = yield* Scheduler
        // a date job is removed from the store when its run is claimed; an interval job stays
        yield* scheduler.addJob(() => void started.push(-1), {
          id: "k",
          trigger: "interval",
          triggerArgs: { seconds: 10, startDate: new Date(DUE + 10 * SEC) }
        })
        yield* TestScheduler.advanceTo(DUE + 10 * SEC - 1)
        expect((yield* scheduler.getRuns("k")).map((r) => r.state)).toEqual(["ready"])
        yield* scheduler.removeJob("k")
        const events = yield* TestScheduler.advanceTo(DUE + 11 * SEC)
        expect(started).toEqual([DUE]) // "j" ran; "k" did not
        expect(show(events).filter((e) => e.includes(" k"))).toEqual([])
        const runs = yield* scheduler.getRuns("k")
        expect(runs.map((r) => r.state)).toEqual(["interrupted"])
        expect(runs[0]!.error).toContain("removed before its start")
      })
    ))

  it.effect("pausing a job whose run is claimed ahead cancels the run; resuming schedules the next one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const started: Array<number> = []
        yield* scheduler.addJob(() => Effect.map(Clock.currentTimeMillis, (t) => void started.push(t)), {
          id: "p",
          trigger: "interval",
          triggerArgs: { seconds: 10 }
        })
        yield* TestScheduler.advanceTo(DUE - 2)
        yield* scheduler.pauseJob("p")
        yield* TestScheduler.advanceTo(DUE + 5 * SEC)
        expect(started).toEqual([])
        const runs = yield* scheduler.getRuns("p")
        expect(runs.map((r) => [r.scheduledTime - T0, r.state])).toEqual([[10 * SEC, "interrupted"]])
        expect(runs[0]!.error).toContain("paused before its start")
        yield* scheduler.resumeJob("p")
        yield* TestScheduler.advanceTo(DUE + 10 * SEC)
        expect(started).toEqual([DUE + 10 * SEC])
      }).pipe(Effect.provide(TestScheduler.layer()))
    }))

  it.effect("a shutdown ends a run claimed ahead: one JobError, recorded interrupted, nothing left live", () =>
    withClaimedJob((started) =>
      Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const errors: Array<unknown> = []
        yield* scheduler.addListener((e) => {
          if (e._tag === "JobError") errors.push(e.exception)
        })
        yield* scheduler.shutdown()
        yield* TestClock.adjust(5 * SEC)
        expect(started).toEqual([])
        expect(errors).toHaveLength(1)
        expect(errors[0]).toMatchObject({ _tag: "RunInterruptedError", jobId: "j" })
        const runs = yield* scheduler.getRuns("j")
        expect(runs.map((r) => r.state)).toEqual(["interrupted"])
        expect(runs[0]!.error).toContain("shut down before its start")
      })
    ))

  it.effect("a job due beyond the horizon is not claimed early", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        yield* scheduler.addJob(() => 1, { id: "far", trigger: "date", triggerArgs: { runDate: new Date(DUE) } })
        yield* TestScheduler.advanceTo(DUE - CLAIM_AHEAD_MS - 1)
        expect(yield* scheduler.getRuns("far")).toEqual([])
        expect((yield* scheduler.getJob("far"))._tag).toBe("Some")
      }).pipe(Effect.provide(TestScheduler.layer()))
    }))
  it.effect("a job whose interval is shorter than the horizon runs at every time: no run is skipped for max instances", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const started: Array<number> = []
        yield* scheduler.addJob(() => Effect.map(Clock.currentTimeMillis, (t) => void started.push(t)), {
          id: "fast",
          trigger: "interval",
          triggerArgs: { seconds: 0.002, startDate: new Date(T0 + SEC) },
          misfireGraceTime: null,
          coalesce: false
        })
        const events = yield* TestScheduler.advanceTo(T0 + SEC + 98)
        expect(CLAIM_AHEAD_MS).toBeGreaterThan(2)
        expect(show(events).filter((e) => e.startsWith("JobMaxInstances"))).toEqual([])
        expect(started).toEqual(Array.from({ length: 50 }, (_, i) => T0 + SEC + 2 * i))
      }).pipe(Effect.provide(TestScheduler.layer()))
    }))
})

describe("a job whose interval is shorter than the horizon", () => {
  it.scoped("a 10 ms interval job costs one claim per run (the loop looks again OPEN_AHEAD_MS before its time, not at once) and runs at every time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const inner = yield* MemoryJobStore.make
      let acquires = 0
      const store: JobStoreService = {
        ...inner,
        acquire: (claim) => Effect.zipRight(Effect.sync(() => void acquires++), inner.acquire(claim))
      }
      const scheduler = yield* schedulerOn(store)
      let started = 0
      yield* scheduler.addJob(() => void started++, {
        id: "fast",
        trigger: "interval",
        triggerArgs: { seconds: 0.01, startDate: new Date(T0 + SEC) },
        misfireGraceTime: null,
        coalesce: false
      })
      yield* scheduler.start()
      yield* TestClock.adjust(SEC - 50)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      const before = acquires
      // 250 ms in 1 ms steps: the runs at +0, +10, …, +200 ms
      for (let t = 0; t < 250; t++) {
        yield* TestClock.adjust(1)
        yield* Effect.repeatN(Effect.yieldNow(), 20)
      }
      expect(started).toBe(21)
      // one claim per run, and a few more at most (before: two per run, the second releasing the
      // job unchanged while its previous run waited)
      expect(acquires - before).toBeLessThanOrEqual(24)
      expect(OPEN_AHEAD_MS).toBeLessThan(10)
    }))
})

describe("a run that ends while a pass plans its job's next run", () => {
  it.scoped("is stored before the release counts the job's live runs: the next run starts, not skipped for max instances", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const inner = yield* MemoryJobStore.make
      const finish = yield* Deferred.make<void>()
      let armed = true
      // the run at +1 s ends inside the acquire of the pass at +2 s, after that pass's first flush
      const store: JobStoreService = {
        ...inner,
        acquire: (claim) =>
          Effect.flatMap(inner.acquire(claim), (acquired) =>
            armed && acquired.now >= T0 + 2 * SEC && acquired.jobs.some((l) => l.job.id === "x")
              ? Effect.as(
                Effect.zipRight(
                  Effect.sync(() => void (armed = false)),
                  Effect.zipRight(Deferred.succeed(finish, undefined), Effect.repeatN(Effect.yieldNow(), 20))
                ),
                acquired
              )
              : Effect.succeed(acquired))
      }
      const scheduler = yield* schedulerOn(store)
      const skipped: Array<string> = []
      yield* scheduler.addListener((e) => {
        if (e._tag === "JobMaxInstances") skipped.push(e.jobId)
      })
      let runs = 0
      yield* scheduler.addJob(() => ++runs === 1 ? Deferred.await(finish) : Effect.void, {
        id: "x",
        trigger: "interval",
        triggerArgs: { seconds: 1, startDate: new Date(T0 + SEC) },
        maxInstances: 1
      })
      yield* scheduler.start()
      yield* TestClock.adjust(SEC)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      expect(runs).toBe(1) // the first run is going
      yield* TestClock.adjust(SEC)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      expect(armed).toBe(false) // the pass at +2 s ended the first run inside its acquire
      expect(skipped).toEqual([])
      expect(runs).toBe(2)
      expect((yield* scheduler.getRuns("x")).map((r) => [(r.scheduledTime - T0) / SEC, r.state])).toEqual([
        [1, "succeeded"],
        [2, "succeeded"]
      ])
    }))
})
