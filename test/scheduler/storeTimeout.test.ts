/**
 * Client-side store timeouts (`Lock`'s `storeTimeoutMs`) and the default lease policy per store
 * kind, driven by `TestClock`. A store call that never answers (a blackholed connection) is
 * modelled by a persistent store whose calls hang while a switch is on.
 */
import type { InvalidArgumentError } from "../../src/errors.js"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import type { RunContext } from "../../src/job/JobContext.js"
import { JobContext } from "../../src/job/JobContext.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as SqlJobStore from "../../src/stores/sql/SqlJobStore.js"
import { SEC, T0 } from "./helpers.js"

/** A persistent store whose every call hangs (never answers) while `gate.on`. */
const blackholed = (store: JobStoreService, gate: { on: boolean }): JobStoreService => {
  const g = <A, E>(effect: () => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => (gate.on ? Effect.never : effect()))
  return {
    add: (job, replace) => g(() => store.add(job, replace)),
    update: (job) => g(() => store.update(job)),
    remove: (id) => g(() => store.remove(id)),
    removeAll: g(() => store.removeAll),
    lookup: (id) => g(() => store.lookup(id)),
    getNextRunTime: g(() => store.getNextRunTime),
    getAll: g(() => store.getAll),
    acquire: (claim) => g(() => store.acquire(claim)),
    release: (owner, decisions, runLeaseMs) => g(() => store.release(owner, decisions, runLeaseMs)),
    complete: (completions) => g(() => store.complete(completions)),
    renewRuns: (owner, runs, leaseMs) => g(() => store.renewRuns(owner, runs, leaseMs)),
    recover: (claim) => g(() => store.recover(claim)),
    getRuns: (id) => g(() => store.getRuns(id)),
    persistent: true
  }
}

const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Logger.withMinimumLogLevel(LogLevel.None))

/** Advances the clock in steps of `step` ms, letting the fibers run between steps. */
const advance = (ms: number, step = SEC) =>
  Effect.gen(function*() {
    for (let t = 0; t < ms; t += step) {
      yield* TestClock.adjust(step)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
    }
  })

/** A scheduler on `store` (and `lock`, when given), its `work` task recording each run (and never ending if `hang`). */
const build = (store: JobStoreService, lock: Layer.Layer<Lock.Lock, InvalidArgumentError> | undefined, seen: Array<RunContext>, hang = false) =>
  Effect.map(
    Layer.build(
      SchedulerModule.layerDefault({ timezone: "UTC", jobstoreRetryInterval: 5 }, {
        tasks: {
          work: () => Effect.flatMap(JobContext, (ctx) => Effect.zipRight(Effect.sync(() => seen.push(ctx)), hang ? Effect.never : Effect.void))
        },
        waitOnClose: false
      }).pipe(Layer.provide(lock === undefined ? Layer.succeed(JobStore, store) : Layer.merge(Layer.succeed(JobStore, store), lock)))
    ),
    (ctx) => Context.get(ctx, Scheduler)
  )

const every10s = {
  trigger: "interval",
  triggerArgs: { seconds: 10, startDate: new Date(T0 + 10 * SEC) },
  coalesce: false,
  misfireGraceTime: null
} as const

describe("store timeouts", () => {
  for (const mode of ["single", "leased"] as const) {
    it.scoped(`Lock.${mode}: a store call that never answers fails with StoreError after storeTimeoutMs; the loop retries, and once the store answers every scheduled time runs exactly once`, () =>
      quiet(Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const gate = { on: false }
        const seen: Array<RunContext> = []
        const lock = mode === "single"
          ? Lock.single({ storeTimeoutMs: 1500 })
          : Lock.leased({ storeTimeoutMs: 1500, leaseMs: 30 * SEC })
        const scheduler = yield* build(blackholed(yield* MemoryJobStore.make, gate), lock, seen)
        expect(scheduler.lock.storeTimeoutMs).toBe(1500)
        yield* scheduler.addJob("work", { id: "tick", ...every10s })
        yield* scheduler.start()
        yield* advance(25 * SEC)
        expect(seen.map((c) => (c.scheduledTime - T0) / SEC)).toEqual([10, 20])

        // the store stops answering: a call fails at the limit, as a StoreError naming it
        gate.on = true
        const health = yield* Effect.fork(scheduler.health)
        yield* TestClock.adjust(1500)
        const report = yield* Fiber.join(health)
        expect(report.stores.map((s) => [s.reachable, s.error])).toEqual([[false, expect.stringContaining("no answer within 1500 ms")]])
        yield* advance(30 * SEC)
        expect(seen.length).toBe(2)

        // it answers again: the loop (never stuck on the hung calls) catches up, nothing lost or run twice
        gate.on = false
        yield* advance(30 * SEC)
        const times = seen.map((c) => (c.scheduledTime - T0) / SEC)
        expect(times).toEqual([10, 20, 30, 40, 50, 60, 70, 80])
        expect(seen.every((c) => c.attempt === 1)).toBe(true)
      })))
  }

  it.scoped("Lock.leased: a running run whose lease cannot be renewed (its store does not answer) is stopped when the lease lapses (AbortSignal); a peer re-runs it and the stale completion is refused", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const LEASE = 30 * SEC
      const shared = yield* MemoryJobStore.make
      const gate = { on: false }
      const seenA: Array<RunContext> = []
      const seenB: Array<RunContext> = []
      const a = yield* build(blackholed(shared, gate), Lock.leased({ owner: "a", leaseMs: LEASE, storeTimeoutMs: 1500 }), seenA, true)
      const b = yield* build(blackholed(shared, { on: false }), Lock.leased({ owner: "b", leaseMs: LEASE }), seenB)
      yield* a.addJob("work", { id: "job", trigger: "interval", triggerArgs: { hours: 1, startDate: new Date(T0 + SEC) } })
      yield* a.start()
      yield* advance(SEC)
      yield* b.start()
      yield* advance(LEASE)
      // renewed while the store answers
      expect(seenA.map((c) => [c.attempt, c.signal.aborted])).toEqual([[1, false]])
      expect(seenB).toEqual([])
      gate.on = true
      yield* advance(LEASE + 12 * SEC)
      const first = seenA[0]!
      expect(first.signal.aborted).toBe(true)
      expect(String(first.signal.reason)).toContain("lease")
      expect(seenB.map((c) => [c.scheduledTime - T0, c.attempt])).toEqual([[SEC, 2]])
      expect(seenB[0]!.fence).toBeGreaterThan(first.fence)
      gate.on = false
      // the calls still waiting on the hung store time out (a shutdown waits for the loop's)
      yield* advance(5 * SEC)
      expect((yield* a.health).lostRuns).toBe(1)
      // the first holder's completion carries a stale fence: refused; the run keeps the re-run's end
      expect(
        yield* shared.complete([{ jobId: "job", scheduledTime: T0 + SEC, fence: first.fence, state: "succeeded", startedAt: T0 + SEC, finishedAt: T0 + 2 * LEASE }])
      ).toEqual([false])
      const [run] = yield* shared.getRuns("job")
      expect([run!.state, run!.attempt, run!.fence]).toEqual(["succeeded", 2, seenB[0]!.fence])
    })))

  it.scoped("storeTimeoutMs: null waits for ever; the default is DEFAULT_STORE_TIMEOUT_MS", () =>
    Effect.gen(function*() {
      expect((yield* Lock.makeLeased({ storeTimeoutMs: null })).storeTimeoutMs).toBe(null)
      expect((yield* Lock.makeSingle()).storeTimeoutMs).toBe(Lock.DEFAULT_STORE_TIMEOUT_MS)
      expect(Lock.DEFAULT_STORE_TIMEOUT_MS).toBe(10_000)
    }))
})

describe("the default lease policy per store kind", () => {
  it.scoped("memory store: Lock.single; a persistent store (SQLite) given in context: Lock.leased with the default lease", () =>
    quiet(Effect.gen(function*() {
      const memory = yield* build(yield* MemoryJobStore.make, undefined, [])
      expect(memory.lock.mode).toBe("single")
      yield* memory.start()
      expect(memory.lock.mode).toBe("single")
      const sqlite = yield* build(yield* SqlJobStore.makeSqlite({ filename: ":memory:", tablePrefix: "deflock" }), undefined, [])
      expect([sqlite.lock.mode, sqlite.lock.leaseMs, sqlite.lock.pollMs]).toEqual(["leased", Lock.DEFAULT_LEASE_MS, Lock.DEFAULT_POLL_MS])
      expect((yield* sqlite.health).lock).toBe("leased")
    })))

  it.scoped("a persistent store from the configuration, or added before start, makes the default Lock.leased (same owner); a given Lock.single stays", () =>
    quiet(Effect.gen(function*() {
      const configured = yield* Effect.map(
        Layer.build(SchedulerModule.layerDefault({ timezone: "UTC", jobstores: { default: { type: "sqlite", filename: ":memory:" } } })),
        (ctx) => Context.get(ctx, Scheduler)
      )
      expect(configured.lock.mode).toBe("leased")

      const later = yield* Effect.map(Layer.build(SchedulerModule.layerDefault({ timezone: "UTC" })), (ctx) => Context.get(ctx, Scheduler))
      const owner = later.lock.owner
      expect(later.lock.mode).toBe("single")
      yield* later.addJobstore("shared", { type: "sqlite", filename: ":memory:" })
      yield* later.start()
      expect([later.lock.mode, later.lock.owner]).toEqual(["leased", owner])
      yield* later.shutdown()

      const single = yield* build(
        yield* SqlJobStore.makeSqlite({ filename: ":memory:", tablePrefix: "deflock2" }),
        Lock.single(),
        []
      )
      yield* single.start()
      expect(single.lock.mode).toBe("single")
    })))
})
