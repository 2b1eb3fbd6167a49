/**
 * The run context's synchronous lease check (`isLeaseValid`, `throwIfLeaseLost`): what a job reads
 * right before a side effect, without waiting for the heartbeat's fiber to fire its AbortSignal.
 * Unit checks on `LazyRunContext` with a hand-moved clock (no fiber runs at all), then a leased
 * scheduler on a memory store driven by `TestClock`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import { RunInterruptedError, StoreError } from "../../src/errors.js"
import { LazyRunContext, type RunContext } from "../../src/job/JobContext.js"
import type { JobFunction } from "../../src/job/Job.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import { CLAIM_AHEAD_MS } from "../../src/scheduler/internal/ahead.js"
import { hangs, leasedScheduler, SEC, T0 } from "./helpers.js"

const LEASE = 30 * SEC

/** A leased scheduler with lease `LEASE`. */
const build = (owner: string, store: JobStoreService, work: JobFunction) => leasedScheduler(owner, store, work, LEASE)

describe("LazyRunContext lease check (no fibers: a clock moved by hand)", () => {
  it("is valid before the bound deadline, invalid at it, and a margin counts against it", () => {
    const clock = { now: 1_000, deadline: 5_000 }
    const ctx = new LazyRunContext("job", T0, 7, 1)
    ctx.bindLease({ deadline: () => clock.deadline, now: () => clock.now })
    expect([ctx.isLeaseValid(), ctx.isLeaseValid(3_999), ctx.isLeaseValid(4_000)]).toEqual([true, true, false])
    clock.now = 4_999
    expect(ctx.isLeaseValid()).toBe(true)
    clock.now = 5_000
    // no abort has happened: the deadline alone makes it invalid
    expect([ctx.isLeaseValid(), ctx.signal.aborted]).toEqual([false, false])
    const thrown = (() => {
      try {
        ctx.throwIfLeaseLost()
        return undefined
      } catch (e) {
        return e
      }
    })()
    expect(thrown).toBeInstanceOf(RunInterruptedError)
    expect((thrown as RunInterruptedError).reason).toContain("its lease ends at")
  })

  it("follows a deadline moved by a renewal, and is invalid once the run is stopped whatever the deadline", () => {
    const clock = { now: 1_000, deadline: 2_000 }
    const ctx = new LazyRunContext("job", T0, 7, 1)
    ctx.bindLease({ deadline: () => clock.deadline, now: () => clock.now })
    clock.now = 2_500
    expect(ctx.isLeaseValid()).toBe(false)
    clock.deadline = 3_000 // a renewal came back
    expect(ctx.isLeaseValid()).toBe(true)
    const reason = new RunInterruptedError({ jobId: "job", scheduledTime: T0, reason: "its lease was taken over" })
    ctx.abort(reason)
    expect(ctx.isLeaseValid()).toBe(false)
    expect(() => ctx.throwIfLeaseLost()).toThrow(reason)
  })

  it("without a bound lease (Lock.single, a worker thread) only the signal counts", () => {
    const ctx = new LazyRunContext("job", T0, 0, 1)
    expect(ctx.isLeaseValid(1e12)).toBe(true)
    ctx.abort(new RunInterruptedError({ jobId: "job", scheduledTime: T0, reason: "shutdown" }))
    expect(ctx.isLeaseValid()).toBe(false)
  })
})



const settle = Effect.repeatN(Effect.yieldNow(), 20)

const advance = (ms: number, step = SEC) =>
  Effect.gen(function*() {
    for (let t = 0; t < ms; t += step) {
      yield* TestClock.adjust(step)
      yield* settle
    }
  })

const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Logger.withMinimumLogLevel(LogLevel.None))

const hourly = { trigger: "interval", triggerArgs: { hours: 1, startDate: new Date(T0 + SEC) } } as const

describe("Lock.leased: the run context's lease check", () => {
  it.scoped("renewals move the deadline the job reads: after two leases the run still has more than half a lease", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const seen: Array<RunContext> = []
      const a = yield* build("owner-a", yield* MemoryJobStore.make, hangs(seen))
      yield* a.addJob("work", { id: "job", ...hourly })
      yield* a.start()
      yield* advance(SEC)
      expect(seen.length).toBe(1)
      const ctx = seen[0]!
      // the lease was counted from before the release: less than a whole lease is left
      expect([ctx.isLeaseValid(), ctx.isLeaseValid(LEASE)]).toEqual([true, false])
      yield* advance(2 * LEASE)
      expect([ctx.signal.aborted, ctx.isLeaseValid(LEASE / 2)]).toEqual([false, true])
    })))

  it.scoped("a run whose renewals fail reads its lease as lost from its deadline on, and throwIfLeaseLost throws RunInterruptedError", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* MemoryJobStore.make
      const store = JobStore.of({
        ...shared,
        renewRuns: () => Effect.fail(new StoreError({ store: "memory", operation: "renewRuns", reason: "connection reset" }))
      })
      const seen: Array<RunContext> = []
      const a = yield* build("owner-a", store, hangs(seen))
      yield* a.addJob("work", { id: "job", ...hourly })
      yield* a.start()
      yield* advance(SEC)
      const ctx = seen[0]!
      yield* advance(LEASE - 2 * SEC)
      // no renewal went through: the deadline is the first one, less than 2 s away
      expect([ctx.isLeaseValid(), ctx.isLeaseValid(2 * SEC)]).toEqual([true, false])
      expect(() => ctx.throwIfLeaseLost(2 * SEC)).toThrow(RunInterruptedError)
      yield* advance(2 * SEC)
      expect([ctx.isLeaseValid(), ctx.signal.aborted]).toEqual([false, true])
      expect(() => ctx.throwIfLeaseLost()).toThrow(/lease/)
    })))
})

describe("Lock.leased: the heartbeat's renewal cadence", () => {
  it.scoped("runs leased just now are not renewed at once: the first renewal comes when the lease is a third old, then one per third", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* MemoryJobStore.make
      const renewals: Array<number> = []
      const store = JobStore.of({
        ...shared,
        renewRuns: (owner, runs, leaseMs) =>
          Effect.zipRight(
            Effect.flatMap(TestClock.currentTimeMillis, (t) => Effect.sync(() => renewals.push(t - T0))),
            shared.renewRuns(owner, runs, leaseMs)
          )
      })
      const seen: Array<RunContext> = []
      const a = yield* build("owner-a", store, hangs(seen))
      yield* a.addJob("work", { id: "job", ...hourly })
      yield* a.start()
      yield* advance(SEC)
      expect(seen.length).toBe(1)
      // the run was leased just before T0 + 1 s: no renewal yet (the old heartbeat renewed it at once)
      expect(renewals).toEqual([])
      yield* advance(LEASE - SEC)
      // renewals a third (10 s) and two thirds (20 s) of the lease after the run was leased (claimed
      // CLAIM_AHEAD_MS before its time, 1 s)
      const leasedAt = SEC - CLAIM_AHEAD_MS
      expect(renewals).toEqual([leasedAt + LEASE / 3, leasedAt + 2 * LEASE / 3])
      expect(seen[0]!.isLeaseValid()).toBe(true)
    })))
})
