/**
 * Catch-up after an hour offline, for any persistent store, driven by the TestClock (the store
 * must read the Effect clock: `clock: "effect"`). A scheduler runs the jobs once and shuts down;
 * the TestClock moves on 1 hour; a new scheduler on the same store runs what misfire grace and
 * coalesce say and reports JOB_MISSED for the rest.
 */
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { EventBus } from "../../src/events/EventBus.js"
import { JOB_EXECUTED, JOB_MISSED, type SchedulerEvent } from "../../src/events/SchedulerEvent.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import type { JobStore } from "../../src/stores/JobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"

const T0 = Date.UTC(2024, 0, 1)
const MIN = 60_000
const HOUR = 60 * MIN

/** Starts the scheduler and waits (real time) for `n` execution / missed events. */
const startAndTake = (n: number) =>
  Effect.gen(function*() {
    const bus = yield* EventBus
    const events = yield* bus.subscribe
    yield* (yield* Scheduler).start()
    const got = yield* TestScheduler.take(events, n, JOB_EXECUTED | JOB_MISSED).pipe(
      Effect.timeout("20 seconds"),
      Effect.orDie
    )
    // nothing else comes (real time: the store's I/O is real)
    yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300)))
    yield* TestScheduler.settle
    const extra = (yield* TestScheduler.drain(events)).filter((e) => e._tag === "JobExecuted" || e._tag === "JobMissed")
    return [...got, ...extra]
  })

const view = (events: ReadonlyArray<SchedulerEvent>) => {
  const out: Record<string, Array<string>> = {}
  for (const e of events) {
    if (e._tag !== "JobExecuted" && e._tag !== "JobMissed") continue
    ;(out[e.jobId] ??= []).push(`${e._tag === "JobExecuted" ? "ran" : "missed"} +${(e.scheduledRunTime - T0) / MIN}m`)
  }
  for (const k of Object.keys(out)) out[k]!.sort()
  return out
}

/** The catch-up test over a store layer (built anew for each scheduler, on the same data). */
export const catchUpTest = <E>(storeLayer: Layer.Layer<JobStore, E>) => {
  const scheduler = () =>
    TestScheduler.layer({}, { start: false, tasks: { tick: () => "ok" } }).pipe(Layer.provide(storeLayer))
  it.effect("after 1 hour offline: grace and coalesce decide what runs, the rest is JOB_MISSED", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      // the first scheduler: every job runs at T0, then it shuts down
      yield* Effect.gen(function*() {
        const s = yield* Scheduler
        const every10 = { minutes: 10, startDate: "2024-01-01T00:00:00Z" }
        const add = (id: string, coalesce: boolean, misfireGraceTime: number | null) =>
          s.addJob("tick", { id, trigger: "interval", triggerArgs: every10, coalesce, misfireGraceTime })
        yield* add("all", false, null)
        yield* add("coalesced", true, null)
        yield* add("graced", false, 300)
        yield* add("strict", true, 1)
        const first = yield* startAndTake(4)
        expect(view(first)).toEqual({
          all: ["ran +0m"],
          coalesced: ["ran +0m"],
          graced: ["ran +0m"],
          strict: ["ran +0m"]
        })
        yield* s.shutdown()
      }).pipe(Effect.provide(scheduler()), Effect.scoped)

      // an hour (and 5 s) later, a new scheduler on the same store
      yield* TestClock.adjust(HOUR + 5000)
      yield* Effect.gen(function*() {
        const s = yield* Scheduler
        const events = yield* startAndTake(6 + 1 + 6 + 1)
        expect(view(events)).toEqual({
          // no grace limit, no coalescing: every run time runs, late
          all: ["ran +10m", "ran +20m", "ran +30m", "ran +40m", "ran +50m", "ran +60m"],
          // coalesced: the last one runs, once
          coalesced: ["ran +60m"],
          // a 5 minute grace: only +60m (5 s late) runs
          graced: ["missed +10m", "missed +20m", "missed +30m", "missed +40m", "missed +50m", "ran +60m"],
          // coalesced and a 1 s grace: the one coalesced run is 5 s late
          strict: ["missed +60m"]
        })
        // the store kept one run record per scheduled time, and every job moved on to +70m
        const runs = yield* s.getRuns("graced")
        expect(runs.map((r) => [(r.scheduledTime - T0) / MIN, r.state])).toEqual([
          [0, "succeeded"],
          [10, "missed"],
          [20, "missed"],
          [30, "missed"],
          [40, "missed"],
          [50, "missed"],
          [60, "succeeded"]
        ])
        const jobs = yield* s.getJobs()
        expect(jobs.map((j) => [j.id, (j.nextRunTime! - T0) / MIN])).toEqual([
          ["all", 70],
          ["coalesced", 70],
          ["graced", 70],
          ["strict", 70]
        ])
        yield* s.shutdown()
      }).pipe(Effect.provide(scheduler()), Effect.scoped)
    }))
}
