/**
 * `Lock.leased` with two schedulers in one process on one memory store (different owner ids),
 * driven by `TestClock`: the heartbeat, a scheduler that loses its database (its renewals fail,
 * as after a crash or a partition), recovery by the other with a higher fence and attempt 2 (or
 * `abandoned` for `recovery: "abandon"`), the stale completion refused, the hand-back at a
 * shutdown, and `health`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import { InvalidArgumentError, StoreError } from "../../src/errors.js"
import type { RunContext } from "../../src/job/JobContext.js"
import { JobContext } from "../../src/job/JobContext.js"
import type { JobFunction } from "../../src/job/Job.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as SqlJobStore from "../../src/stores/sql/SqlJobStore.js"
import type * as Scope from "effect/Scope"
import { hangs, leasedScheduler, schedulerOn, SEC, T0 } from "./helpers.js"
import { ForkCounter } from "../support/forkCounter.js"

const LEASE = 30 * SEC

/** A leased scheduler with lease `LEASE`. */
const build = (owner: string, store: JobStoreService, work: JobFunction) => leasedScheduler(owner, store, work, LEASE)

/** Every hour from T0 + 1 s. */
const hourly = { trigger: "interval", triggerArgs: { hours: 1, startDate: new Date(T0 + SEC) } } as const

/** A store behind a switch: while `cut.on`, every call fails as if the connection were reset. */
const cuttable = (store: JobStoreService, cut: { on: boolean }): JobStoreService => {
  const gate = <A, E>(operation: string, effect: () => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() =>
      cut.on ? Effect.fail(new StoreError({ store: "memory", operation, reason: "connection reset" }) as E) : effect()
    )
  return JobStore.of({
    add: (job, replace) => gate("add", () => store.add(job, replace)),
    update: (job) => gate("update", () => store.update(job)),
    remove: (id) => gate("remove", () => store.remove(id)),
    removeAll: gate("removeAll", () => store.removeAll),
    lookup: (id) => gate("lookup", () => store.lookup(id)),
    getNextRunTime: gate("getNextRunTime", () => store.getNextRunTime),
    getAll: gate("getAll", () => store.getAll),
    acquire: (claim) => gate("acquire", () => store.acquire(claim)),
    release: (owner, decisions, runLeaseMs) => gate("release", () => store.release(owner, decisions, runLeaseMs)),
    complete: (completions) => gate("complete", () => store.complete(completions)),
    renewRuns: (owner, runs, leaseMs) => gate("renewRuns", () => store.renewRuns(owner, runs, leaseMs)),
    recover: (claim) => gate("recover", () => store.recover(claim)),
    getRuns: (id) => gate("getRuns", () => store.getRuns(id))
  })
}



/** A job that records its run context and returns. */
const returns = (seen: Array<RunContext>): JobFunction => () =>
  Effect.map(JobContext, (ctx) => {
    seen.push(ctx)
    return "done"
  })

/** Lets the schedulers' fibers run between clock steps. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Advances the clock in steps of `step` ms. */
const advance = (ms: number, step = SEC) =>
  Effect.gen(function*() {
    for (let t = 0; t < ms; t += step) {
      yield* TestClock.adjust(step)
      yield* settle
    }
  })

const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Logger.withMinimumLogLevel(LogLevel.None))

/** The shared stores the recovery test runs on (SQLite on Effect's clock: `TestClock` drives it). */
const stores: ReadonlyArray<readonly [string, Effect.Effect<JobStoreService, StoreError, Scope.Scope>]> = [
  ["memory store", MemoryJobStore.make],
  ["SQLite store", SqlJobStore.makeSqlite({ filename: ":memory:", tablePrefix: "leases", clock: "effect" })]
]

describe("Lock.leased: a process that cannot renew its own run", () => {
  it.scoped("when its own recovery takes over a run it still executes (renewals fail, the rest works), the old attempt's AbortSignal has fired before the new attempt starts", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* MemoryJobStore.make
      const store = JobStore.of({
        ...shared,
        renewRuns: () => Effect.fail(new StoreError({ store: "memory", operation: "renewRuns", reason: "connection reset" }))
      })
      const contexts: Array<RunContext> = []
      const starts: Array<readonly [number, boolean]> = []
      const work: JobFunction = () =>
        Effect.flatMap(JobContext, (ctx) =>
          Effect.zipRight(
            Effect.sync(() => {
              // at each start: were all earlier attempts already stopped?
              starts.push([ctx.attempt, contexts.every((c) => c.signal.aborted)])
              contexts.push(ctx)
            }),
            Effect.never
          ))
      const a = yield* build("owner-a", store, work)
      yield* a.addJob("work", { id: "job", ...hourly })
      yield* a.start()
      yield* advance(3 * LEASE)
      expect(starts.length).toBeGreaterThanOrEqual(2)
      expect(starts.map(([attempt]) => attempt)).toEqual(starts.map((_, i) => i + 1))
      expect(starts.filter(([, stopped]) => !stopped)).toEqual([])
    })))
})

describe("Lock.leased: two schedulers on one store", () => {
  for (const [name, makeStore] of stores) {
    it.scoped(`${name}: a scheduler that loses its store: its run is stopped; the other re-runs it with attempt 2 and a higher fence; the late completion is refused`, () =>
      quiet(Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const shared = yield* makeStore
        const cut = { on: false }
        const seenA: Array<RunContext> = []
        const seenB: Array<RunContext> = []
        const a = yield* build("owner-a", cuttable(shared, cut), hangs(seenA))
        const b = yield* build("owner-b", shared, returns(seenB))
        yield* a.addJob("work", { id: "job", ...hourly })
        yield* a.start()
        yield* advance(SEC)
        expect(seenA.map((c) => [c.attempt, c.signal.aborted])).toEqual([[1, false]])
        const first = seenA[0]!
        yield* b.start()
        // the heartbeat keeps A's run while A reaches its store: no recovery for several leases
        yield* advance(2 * LEASE)
        expect(seenB).toEqual([])
        expect((yield* a.health).runsHeld).toBe(1)
        const held = (yield* shared.getRuns("job"))[0]!
        expect([held.acquiredBy, held.attempt, held.state]).toEqual(["owner-a", 1, "ready"])

        // A loses its store: it cannot renew; past its lease it stops the run, and B takes it over
        cut.on = true
        yield* advance(LEASE + 12 * SEC)
        expect(first.signal.aborted).toBe(true)
        expect(String(first.signal.reason)).toContain("lease")
        expect(seenB.map((c) => [c.jobId, c.scheduledTime, c.attempt])).toEqual([["job", T0 + SEC, 2]])
        expect(seenB[0]!.fence).toBeGreaterThan(first.fence)
        const [run] = yield* shared.getRuns("job")
        expect([run!.state, run!.attempt, run!.fence]).toEqual(["succeeded", 2, seenB[0]!.fence])
        const healthA = yield* a.health
        expect([healthA.runsHeld, healthA.lostRuns, healthA.stores.map((s) => s.reachable)]).toEqual([0, 1, [false]])

        // the dead holder's late completion is refused by the store
        cut.on = false
        expect(
          yield* shared.complete([{
            jobId: "job",
            scheduledTime: T0 + SEC,
            fence: first.fence,
            state: "succeeded",
            startedAt: T0 + SEC,
            finishedAt: T0 + 200 * SEC
          }])
        ).toEqual([false])
        expect((yield* shared.getRuns("job")).map((r) => [r.state, r.attempt])).toEqual([["succeeded", 2]])
      })))

  }

  /**
   * Scheduler A starts late: its first pass releases two run times of an interval job at once (no
   * coalescing: one submission, which A runs one after the other), then A dies holding both; B
   * takes over while neither run ever ends. The runs B started, as `[time − T0, attempt]`.
   */
  const backlogTakenOver = (maxInstances: number) =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* MemoryJobStore.make
      const cut = { on: false }
      const seenA: Array<RunContext> = []
      const seenB: Array<RunContext> = []
      const a = yield* build("owner-a", cuttable(shared, cut), hangs(seenA))
      const b = yield* build("owner-b", shared, hangs(seenB))
      yield* a.addJob("work", {
        id: "backlog",
        trigger: "interval",
        triggerArgs: { seconds: 10, startDate: new Date(T0 + 10 * SEC) },
        coalesce: false,
        misfireGraceTime: null,
        maxInstances,
        nextRunTime: new Date(T0 + 10 * SEC)
      })
      yield* TestClock.setTime(T0 + 25 * SEC)
      yield* a.start()
      yield* advance(SEC)
      expect(seenA.map((c) => c.scheduledTime - T0)).toEqual([10 * SEC]) // the second waits behind it
      yield* b.start()
      cut.on = true // A dies holding both runs
      yield* advance(LEASE + 12 * SEC)
      return seenB.map((c) => [c.scheduledTime - T0, c.attempt]).sort((x, y) => x[0]! - y[0]!)
    })

  it.scoped("several recovered runs of one job start one after the other, never at once (maxInstances 1)", () =>
    quiet(Effect.gen(function*() {
      // B takes over the first (the job's one instance slot); the second stays expired while the first never ends
      expect(yield* backlogTakenOver(1)).toEqual([[10 * SEC, 2]])
    })))

  it.scoped("recovered runs of one job with free slots start together (maxInstances 2: a ready run does not wait behind a hanging one)", () =>
    quiet(Effect.gen(function*() {
      // B takes both over (two free slots) and starts both, though the first never ends
      expect(yield* backlogTakenOver(2)).toEqual([[10 * SEC, 2], [20 * SEC, 2]])
    })))

  it.scoped("recovery: \"abandon\": the run of a dead scheduler is recorded abandoned, never run again", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* MemoryJobStore.make
      const cut = { on: false }
      const seenA: Array<RunContext> = []
      const seenB: Array<RunContext> = []
      const a = yield* build("owner-a", cuttable(shared, cut), hangs(seenA))
      const b = yield* build("owner-b", shared, returns(seenB))
      yield* a.addJob("work", {
        id: "once",
        ...hourly,
        recovery: "abandon"
      })
      yield* a.start()
      yield* advance(SEC)
      expect(seenA.length).toBe(1)
      yield* b.start()
      cut.on = true
      yield* advance(2 * LEASE)
      expect(seenA[0]!.signal.aborted).toBe(true)
      expect(seenB).toEqual([])
      expect((yield* shared.getRuns("once")).map((r) => [r.state, r.attempt, r.acquiredBy])).toEqual([
        ["abandoned", 2, null]
      ])
    })))

  it.scoped("a shutdown without waiting hands the run of a one-shot job back: the other scheduler re-runs it at once, not after the lease", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* MemoryJobStore.make
      const seenA: Array<RunContext> = []
      const seenB: Array<RunContext> = []
      const a = yield* build("owner-a", shared, hangs(seenA))
      const b = yield* build("owner-b", shared, returns(seenB))
      yield* a.addJob("work", { id: "job", trigger: "date", triggerArgs: { runDate: new Date(T0 + SEC) } })
      yield* a.start()
      yield* advance(SEC)
      expect(seenA.length).toBe(1)
      yield* b.start()
      yield* a.shutdown({ wait: false })
      expect(seenA[0]!.signal.aborted).toBe(true)
      const [handed] = yield* shared.getRuns("job")
      expect([handed!.state, handed!.acquiredUntil]).toEqual(["ready", T0 + SEC])
      yield* b.wakeup
      yield* settle
      expect(seenB.map((c) => c.attempt)).toEqual([2])
      const [run] = yield* shared.getRuns("job")
      expect([run!.state, run!.attempt]).toEqual(["succeeded", 2])
    })))

  it.scoped("health reports the last pass, each store's reachability and the runs held", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* MemoryJobStore.make
      const cut = { on: false }
      const seen: Array<RunContext> = []
      const a = yield* build("owner-a", cuttable(shared, cut), hangs(seen))
      const before = yield* a.health
      expect([before.state, before.lock, before.owner, before.lastPassAt, before.runsHeld]).toEqual([
        "stopped",
        "leased",
        "owner-a",
        null,
        0
      ])
      yield* a.addJob("work", { id: "job", ...hourly })
      yield* a.start()
      yield* advance(SEC)
      const running = yield* a.health
      // the pass that claimed the run (a few ms ahead of its time, or at it)
      expect(running.lastPassAt).toBeGreaterThan(T0)
      expect(running.lastPassAt).toBeLessThanOrEqual(T0 + SEC)
      expect([running.state, running.runsHeld, running.stores]).toEqual([
        "running",
        1,
        [{ alias: "default", reachable: true, error: null }]
      ])
      cut.on = true
      const down = yield* a.health
      expect(down.stores.map((s) => s.reachable)).toEqual([false])
      expect(down.stores[0]!.error).toContain("connection reset")
    })))

  it.effect("a recovery policy other than rerun or abandon is refused with InvalidArgumentError naming the field", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const error = yield* Effect.flip(
        Effect.flatMap(Scheduler, (s) => s.addJob(() => 1, { recovery: "retry" as never })).pipe(
          Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" }))
        )
      )
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as InvalidArgumentError).field).toBe("recovery")
    })))
})


/** Adds 1,000 date jobs (`job-0` … `job-999`) of `task`, all due at T0 + 1 s. */
const addBurst = (scheduler: Scheduler["Type"], task: JobFunction | string) =>
  Effect.forEach(
    Array.from({ length: 1_000 }, (_, i) => i),
    (i) =>
      scheduler.addJob(task, {
        id: `job-${i}`,
        trigger: "date",
        triggerArgs: { runDate: new Date(T0 + SEC) },
        misfireGraceTime: null
      }),
    { discard: true }
  )

describe("Lock.leased: completions of a burst", () => {
  it.scoped("1,000 runs of a registered synchronous task due at once: no fiber forked per run, their ends stored in one complete call", () => {
    // over the whole scheduler: its loop, its executor's workers and what they fork
    const counter = new ForkCounter()
    return quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const inner = yield* MemoryJobStore.make
      const calls: Array<number> = []
      const store: JobStoreService = {
        ...inner,
        complete: (completions) => Effect.zipRight(Effect.sync(() => calls.push(completions.length)), inner.complete(completions))
      }
      let ran = 0
      const scheduler = yield* leasedScheduler("owner", store, () => ++ran, LEASE)
      yield* addBurst(scheduler, "work")
      yield* scheduler.start()
      yield* advance(SEC / 2, 10)
      // the forks of the second holding the burst, and of the next, idle one (the clock's steps)
      const forksOver = (ms: number) =>
        Effect.gen(function*() {
          counter.forks = 0
          counter.on = true
          yield* advance(ms, 10)
          counter.on = false
          return counter.forks
        })
      const burst = yield* forksOver(SEC)
      expect(ran).toBe(1_000)
      const idle = yield* forksOver(SEC)
      // the burst's own fibers: 3, for the loop's pass (104 against 101); before, each run by name
      // went through the registry's resolve in a fiber of its own (1,104 against 101), and the
      // ends were stored in 18 complete calls
      expect(burst - idle).toBeLessThan(10)
      expect(calls).toEqual([1_000])
    }).pipe(Effect.supervised(counter)))
  })

  it.scoped("1,000 runs ending at once are stored in a few complete calls, not a few runs per call", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const inner = yield* MemoryJobStore.make
      const calls: Array<number> = []
      const store: JobStoreService = {
        ...inner,
        complete: (completions) => Effect.zipRight(Effect.sync(() => calls.push(completions.length)), inner.complete(completions))
      }
      // an Effect result: each run in a fiber of its own, which the lease's stop handle interrupts
      const scheduler = yield* leasedScheduler("owner", store, () => Effect.succeed(1), LEASE)
      yield* addBurst(scheduler, "work")
      yield* scheduler.start()
      yield* advance(2 * SEC)
      expect(calls.reduce((a, b) => a + b, 0)).toBe(1_000)
      // a flush waits while the burst's completions keep coming (yields, not time): 18 calls;
      // before, the flusher ran as soon as a worker yielded: 251 calls of about four
      expect(calls.length).toBeLessThanOrEqual(20)
    })))
})

describe("completions of a burst of plain functions (the default Lock)", () => {
  it.scoped("1,000 runs due at once all start before the first complete call: storing their ends never cuts into the burst", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const inner = yield* MemoryJobStore.make
      let started = 0
      // how many runs had started when each complete call came
      const startedAtCall: Array<number> = []
      const store: JobStoreService = {
        ...inner,
        complete: (completions) =>
          Effect.zipRight(Effect.sync(() => startedAtCall.push(started)), inner.complete(completions))
      }
      // a plain function, as most jobs are (the default Lock: one process)
      const scheduler = yield* schedulerOn(store)
      const work = () => {
        started++
      }
      yield* addBurst(scheduler, work)
      yield* scheduler.start()
      // in 10 ms steps: the loop wakes at its claim-ahead time, before the runs' time
      yield* advance(2 * SEC, 10)
      expect(started).toBe(1_000)
      // before, the flusher stored a full batch (256 ends) while 744 runs still waited to start
      expect(startedAtCall[0]).toBe(1_000)
    })))
})
