/**
 * Change hints without the scheduler's own (`internal/ownHints.ts`), on SQLite stores (their
 * in-process hints) and PostgreSQL (NOTIFY): a scheduler's own adds no longer wake its loop for
 * nothing, a peer's adds still wake it at once, and a failed add does not swallow a peer's hint. The test clock stays
 * put (polls every hour), so only a hint can start a pass; hints travel in real time.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import { ConflictingIdError } from "../../src/errors.js"
import { CREDIT_MS } from "../../src/scheduler/internal/ownHints.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import * as SqlJobStore from "../../src/stores/sql/SqlJobStore.js"
import { dropTables, PG_URL, pgClient, uniquePrefix } from "../stores/sql/helpers.js"
import { HOUR, T0 } from "./helpers.js"

const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Logger.withMinimumLogLevel(LogLevel.None))

/** Waits `ms` of real time (hints are delivered by fibers the test clock does not drive). */
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Waits in real time until `done()` or `ms` passed; how long it waited. */
const realUntil = (done: () => boolean, ms: number) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (!done() && Date.now() - start < ms) yield* realSleep(10)
    return Date.now() - start
  })

/** `store` counting its `acquire` calls. */
const counting = (store: JobStoreService, counts: { acquire: number }): JobStoreService => ({
  ...store,
  acquire: (claim) => Effect.suspend(() => (counts.acquire++, store.acquire(claim)))
})

/** A scheduler on `store` polling every hour, its `work` task recording the ids of its runs. */
const build = (store: JobStoreService, owner: string, ran: Array<string>) =>
  Effect.map(
    Layer.build(
      SchedulerModule.layerDefault({ timezone: "UTC" }, {
        tasks: { work: (id: string) => void ran.push(id) },
        waitOnClose: false
      }).pipe(Layer.provide(Layer.merge(Layer.succeed(JobStore, store), Lock.leased({ owner, pollMs: HOUR }))))
    ),
    (ctx) => Context.get(ctx, Scheduler)
  )

const pgPrefix = uniquePrefix("ownhints")
afterAll(() => dropTables(pgClient(), pgPrefix))

const inTwoHours = { trigger: "interval", triggerArgs: { hours: 2 } } as const
const now = { trigger: "date", triggerArgs: { runDate: new Date(T0) } } as const

describe("change hints without the scheduler's own", () => {
  it.scoped("200 adds of jobs due after the loop's wake-up run no loop pass: the hints of the scheduler's own writes do not wake it (they woke it for about every third add)", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const counts = { acquire: 0 }
      const store = counting(yield* SqlJobStore.makeSqlite({ filename: ":memory:", tablePrefix: "ownhints1" }), counts)
      const scheduler = yield* build(store, "a", [])
      yield* scheduler.start()
      yield* realSleep(300) // the first pass
      const before = counts.acquire
      for (let i = 0; i < 200; i++) yield* scheduler.addJob("work", { id: `job-${i}`, args: [`job-${i}`], ...inTwoHours })
      yield* realSleep(500) // the hints arrive
      expect(counts.acquire - before).toBe(0)
      expect((yield* scheduler.getJobs()).length).toBe(200)
    })))

  it.scoped("PostgreSQL: 50 adds of jobs due after the loop's wake-up run no loop pass (the NOTIFY of its own writes, heard on its LISTEN connection, does not wake it)", () =>
    quiet(Effect.gen(function*() {
      // the store judges due times by the database's clock: the scheduler's agrees with it (a
      // scheduler at T0 would find every job added "in two hours" long due at the store)
      yield* TestClock.setTime(Date.now())
      const counts = { acquire: 0 }
      const store = counting(yield* SqlJobStore.makePg({ url: PG_URL, tablePrefix: pgPrefix, maxConnections: 2 }), counts)
      const scheduler = yield* build(store, "pg", [])
      yield* scheduler.start()
      yield* realSleep(1_000) // the first pass, and LISTEN
      const before = counts.acquire
      for (let i = 0; i < 50; i++) yield* scheduler.addJob("work", { id: `job-${i}`, args: [`job-${i}`], ...inTwoHours })
      yield* realSleep(1_000) // the hints arrive
      expect(counts.acquire - before).toBe(0)
      expect((yield* scheduler.getJobs()).length).toBe(50)
    })), 20_000)

  it.scoped("a peer's add on the same SQLite store still wakes the loop at once: the peer's job due now runs without the clock moving", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* SqlJobStore.makeSqlite({ filename: ":memory:", tablePrefix: "ownhints2" })
      const ranA: Array<string> = []
      const ranB: Array<string> = []
      const a = yield* build(shared, "a", ranA)
      const b = yield* build(shared, "b", ranB)
      yield* a.start({ paused: true })
      yield* b.start()
      yield* realSleep(300)
      // its own writes before: credits of a, none of b
      for (let i = 0; i < 20; i++) yield* a.addJob("work", { id: `later-${i}`, args: [`later-${i}`], ...inTwoHours })
      yield* a.addJob("work", { id: "due", args: ["due"], ...now })
      yield* realUntil(() => ranB.length > 0, CREDIT_MS)
      expect(ranB).toEqual(["due"])
      expect(ranA).toEqual([])
    })))

  it.scoped("a failed add (a taken id) gives its credit back: the peer's hint that follows wakes the loop, which runs the peer's job due now at once", () =>
    quiet(Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const shared = yield* SqlJobStore.makeSqlite({ filename: ":memory:", tablePrefix: "ownhints3" })
      const ranA: Array<string> = []
      const ranB: Array<string> = []
      const a = yield* build(shared, "a", ranA)
      const b = yield* build(shared, "b", ranB)
      yield* a.start()
      yield* b.start({ paused: true })
      yield* a.addJob("work", { id: "taken", args: ["taken"], ...inTwoHours })
      yield* realSleep(300)
      for (let i = 0; i < 5; i++) {
        const refused = yield* Effect.flip(a.addJob("work", { id: "taken", args: ["taken"], ...inTwoHours }))
        expect(refused).toBeInstanceOf(ConflictingIdError)
      }
      yield* b.addJob("work", { id: "due", args: ["due"], ...now })
      // well before a lost credit lapses (CREDIT_MS): only the hint wakes a at once
      const waited = yield* realUntil(() => ranA.length > 0, CREDIT_MS)
      expect(ranA).toEqual(["due"])
      expect(waited).toBeLessThan(CREDIT_MS / 2)
      expect(ranB).toEqual([])
    })))
})
