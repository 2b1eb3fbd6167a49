/**
 * A store's timing as the loop learns it (`storeTime.ts`): the store's clock offset from the
 * scheduler's, and the claim horizon that follows how long the store's passes take. Unit tests of
 * `StoreTime`, then the loop under TestClock on a memory store whose clock is off from the
 * scheduler's, or whose `acquire` takes time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as JobContext from "../../src/job/JobContext.js"
import { CLAIM_AHEAD_MS } from "../../src/scheduler/internal/ahead.js"
import { MAX_CLAIM_AHEAD_MS, StoreTime } from "../../src/scheduler/internal/storeTime.js"
import type { JobStoreService } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { leasedScheduler, SEC, T0 } from "./helpers.js"

describe("StoreTime", () => {
  it("keeps the offset at 0 while the store's time lies between a call's send and its answer", () => {
    const time = new StoreTime()
    time.sawNow(1_000, 990, 1_040) // a 50 ms call, the store read its time 10 ms after the send
    time.sawNow(2_039, 2_000, 2_040)
    time.sawNow(3_000, 3_000, 3_000)
    expect(time.offset).toBe(0)
    expect(time.local(5_000)).toBe(5_000)
  })

  it("follows a store clock that is off to the nearest bound a call allows, and back", () => {
    const time = new StoreTime()
    // the store 5 s ahead, seen through a 40 ms call: at least 4,960 ms ahead
    time.sawNow(15_000, 10_000, 10_040)
    expect(time.offset).toBe(4_960)
    // a quicker call narrows it: between 4,995 and 5,000
    time.sawNow(25_000, 20_000, 20_005)
    expect(time.offset).toBe(4_995)
    // a slow call that allows the current estimate leaves it
    time.sawNow(35_000, 29_900, 30_300)
    expect(time.offset).toBe(4_995)
    expect(time.storeNow(40_000)).toBe(44_995)
    expect(time.local(44_995)).toBe(40_000)
    // the store's clock set back 10 s: at most 5,000 ms behind
    time.sawNow(40_000, 45_000, 45_010)
    expect(time.offset).toBe(-5_000)
  })

  it("claims twice the longest recent pass ahead, at least CLAIM_AHEAD_MS and at most MAX_CLAIM_AHEAD_MS, decaying by a tenth per pass", () => {
    const time = new StoreTime()
    expect(time.horizon).toBe(CLAIM_AHEAD_MS)
    time.passed(2)
    expect(time.horizon).toBe(CLAIM_AHEAD_MS)
    time.passed(150)
    expect(time.horizon).toBe(300)
    time.passed(10) // the longest recent decays: 135
    expect(time.horizon).toBe(270)
    time.passed(200)
    expect(time.horizon).toBe(400)
    time.passed(5_000)
    expect(time.horizon).toBe(MAX_CLAIM_AHEAD_MS)
    for (let i = 0; i < 100; i++) time.passed(1)
    expect(time.horizon).toBe(CLAIM_AHEAD_MS)
  })
})

/** The TestClock as a store with its clock `offsetMs` off reads it (sleeps unchanged). */
const shifted = (clock: Clock.Clock, offsetMs: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => clock.unsafeCurrentTimeMillis() + offsetMs,
  currentTimeMillis: Effect.sync(() => clock.unsafeCurrentTimeMillis() + offsetMs),
  unsafeCurrentTimeNanos: () => clock.unsafeCurrentTimeNanos() + BigInt(offsetMs) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => clock.unsafeCurrentTimeNanos() + BigInt(offsetMs) * 1_000_000n),
  sleep: (d) => clock.sleep(d)
})

/**
 * A leased scheduler on a memory store whose clock is `offsetMs` off the TestClock and whose
 * `acquire` takes `acquireMs` (of the TestClock); an interval job every `everyMs` from `T0 + 10 s`
 * of the store's clock. Runs `seconds` of the TestClock and gives, per run, its scheduled time
 * (the store's) and when it started (the scheduler's clock), and the number of acquires.
 */
const runSkewed = (offsetMs: number, acquireMs: number, everyMs: number, seconds: number) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    const testClock = yield* Effect.clock
    const inner = yield* Effect.withClock(MemoryJobStore.make, shifted(testClock, offsetMs))
    let acquires = 0
    const store: JobStoreService = {
      ...inner,
      acquire: (claim) =>
        Effect.zipRight(
          acquireMs === 0 ? Effect.sync(() => void acquires++) : Effect.zipRight(Effect.sync(() => void acquires++), Effect.sleep(acquireMs)),
          inner.acquire(claim)
        )
    }
    const runs: Array<{ scheduled: number; started: number }> = []
    const work = () => {
      runs.push({ scheduled: JobContext.current()!.scheduledTime, started: testClock.unsafeCurrentTimeMillis() })
    }
    const scheduler = yield* leasedScheduler("a", store, work, 30 * SEC)
    yield* scheduler.addJob("work", {
      id: "j",
      trigger: "interval",
      triggerArgs: { seconds: everyMs / SEC, startDate: new Date(T0 + 10 * SEC) }
    })
    yield* scheduler.start()
    yield* TestScheduler.settle
    yield* TestClock.adjust(seconds * SEC)
    yield* TestScheduler.settle
    return { runs, acquires }
  })

describe("a store whose clock is off from the scheduler's", () => {
  for (const offsetMs of [5_000, -5_000]) {
    it.scoped(`store ${offsetMs > 0 ? "ahead" : "behind"} by 5 s: every run starts when the store's clock reaches its time, and the loop does not claim in a busy loop`, () =>
      Effect.gen(function*() {
        const { acquires, runs } = yield* runSkewed(offsetMs, 0, 2 * SEC, 30)
        // the store's times T0+10 s, +12 s, … that came within the 30 s of the scheduler's clock
        const last = T0 + 30 * SEC + offsetMs
        const times = Array.from({ length: 20 }, (_, i) => T0 + 10 * SEC + 2 * i * SEC).filter((t) => t <= last)
        expect(runs.map((r) => r.scheduled)).toEqual(times)
        // started exactly then, on the scheduler's clock (before: the scheduler behind the store
        // slept past each time until its 1 s poll woke it; the one ahead never started a run here:
        // it woke before each time and claimed again at once, without end)
        expect(runs.map((r) => r.started - (r.scheduled - offsetMs))).toEqual(times.map(() => 0))
        // a claim per run and one per 1 s poll, a few more at most
        expect(acquires).toBeLessThanOrEqual(times.length + 30 + 5)
      }))
  }
})

describe("a store whose acquire takes time", () => {
  it.scoped("a 150 ms acquire: the loop claims that much earlier, so after the first run every run starts on time", () =>
    Effect.gen(function*() {
      const { runs } = yield* runSkewed(0, 150, SEC, 20)
      expect(runs.length).toBeGreaterThanOrEqual(10)
      const lateness = runs.map((r) => r.started - r.scheduled)
      // the first run: claimed CLAIM_AHEAD_MS ahead, 150 ms for the acquire (130 ms late)
      expect(lateness[0]).toBe(150 - CLAIM_AHEAD_MS)
      // after it, claimed twice the pass's time ahead (300 ms): on time (before: 130 ms late, every run)
      expect(lateness.slice(1)).toEqual(lateness.slice(1).map(() => 0))
    }))
})
