/**
 * Jobs survive a restart: a scheduler on a SQL store (Effect clock source) is shut down, time
 * moves on one hour (TestClock), and a new scheduler over the same database runs exactly what
 * misfire grace and coalesce say, reporting the rest as JOB_MISSED.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Queue from "effect/Queue"
import * as TestClock from "effect/TestClock"
import * as fs from "node:fs"
import * as path from "node:path"
import type { StoreError } from "../../../src/errors.js"
import { EventBus } from "../../../src/events/EventBus.js"
import { JOB_ERROR, JOB_EXECUTED, JOB_MISSED, type SchedulerEvent } from "../../../src/events/SchedulerEvent.js"
import * as SchedulerModule from "../../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../../src/scheduler/Scheduler.js"
import type { JobStore } from "../../../src/stores/JobStore.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import * as TestScheduler from "../../../src/testing/TestScheduler.js"
import { catchUpTest } from "../catchUp.js"
import { dropTables, PG_URL, pgClient, tempDir, uniquePrefix } from "./helpers.js"

const T0 = Date.UTC(2024, 0, 1)
const MIN = 60_000

const calls: Array<string> = []
const tasks = { tick: (id: string) => void calls.push(id) }

/** The test's subscription to the scheduler's events (made before the scheduler starts). */
class Subscription extends Context.Tag("test/Subscription")<Subscription, Queue.Dequeue<SchedulerEvent>>() {}

/** Runs `body` with a scheduler over the store layer, started after the test subscribed. */
const withScheduler = (store: Layer.Layer<JobStore, StoreError>) =>
<A, E>(body: Effect.Effect<A, E, Scheduler | Subscription>) =>
  Effect.scoped(Effect.gen(function*() {
    const scheduler = yield* Scheduler
    const subscription = yield* EventBus.subscribe
    yield* scheduler.start()
    return yield* Effect.provideService(body, Subscription, subscription)
  })).pipe(
    Effect.provide(
      SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks, waitOnClose: true }).pipe(Layer.provide(store))
    )
  )

const take = (n: number, mask: number) => Effect.flatMap(Subscription, (events) => TestScheduler.take(events, n, mask))

const view = (events: ReadonlyArray<SchedulerEvent>) =>
  events.map((e) =>
    `${e._tag} ${"jobId" in e ? e.jobId : ""} +${"scheduledRunTime" in e ? (e.scheduledRunTime - T0) / MIN : "?"}m`
  ).sort()

const catchUp = (store: () => Layer.Layer<JobStore, StoreError>) =>
  Effect.gen(function*() {
    calls.length = 0
    yield* TestClock.setTime(T0)
    // first life: three jobs every 10 minutes, each runs once at +10m
    yield* Effect.gen(function*() {
      const scheduler = yield* Scheduler
      for (
        const [id, misfireGraceTime, coalesce] of [
          ["grace", 15 * 60, false],
          ["coalesce", null, true],
          ["strict", 60, false]
        ] as const
      ) {
        yield* scheduler.addJob("tick", {
          id,
          args: [id],
          trigger: "interval",
          triggerArgs: { minutes: 10 },
          misfireGraceTime,
          coalesce,
          maxInstances: 10
        })
      }
      yield* TestClock.adjust(10 * MIN)
      expect(view(yield* take(3, JOB_EXECUTED))).toEqual([
        "JobExecuted coalesce +10m",
        "JobExecuted grace +10m",
        "JobExecuted strict +10m"
      ])
    }).pipe(withScheduler(store()))
    expect(calls.sort()).toEqual(["coalesce", "grace", "strict"])

    // offline for an hour: +20m … +70m come due
    yield* TestClock.adjust(60 * MIN)
    calls.length = 0

    // second life over the same database
    yield* Effect.gen(function*() {
      const scheduler = yield* Scheduler
      const events = yield* take(4 + 9, JOB_EXECUTED | JOB_MISSED | JOB_ERROR)
      expect(view(events)).toEqual([
        // coalesce, no grace limit: one run for the six times
        "JobExecuted coalesce +70m",
        // 15 minutes' grace: +60m and +70m run, the four before are missed
        "JobExecuted grace +60m",
        "JobExecuted grace +70m",
        "JobExecuted strict +70m",
        "JobMissed grace +20m",
        "JobMissed grace +30m",
        "JobMissed grace +40m",
        "JobMissed grace +50m",
        // one minute's grace: only the time that is now runs
        "JobMissed strict +20m",
        "JobMissed strict +30m",
        "JobMissed strict +40m",
        "JobMissed strict +50m",
        "JobMissed strict +60m"
      ].sort())
      yield* TestScheduler.settle
      expect(calls.sort()).toEqual(["coalesce", "grace", "grace", "strict"])
      expect((yield* scheduler.getJobs()).map((j) => [j.id, (j.nextRunTime! - T0) / MIN])).toEqual([
        ["coalesce", 80],
        ["grace", 80],
        ["strict", 80]
      ])
      // the run history is in the database: the first life's run, the misses, the catch-up runs
      const runs = yield* scheduler.getRuns("grace")
      expect(runs.map((r) => [(r.scheduledTime - T0) / MIN, r.state])).toEqual([
        [10, "succeeded"],
        [20, "missed"],
        [30, "missed"],
        [40, "missed"],
        [50, "missed"],
        [60, expect.stringMatching(/ready|running|succeeded/)],
        [70, expect.stringMatching(/ready|running|succeeded/)]
      ])
    }).pipe(withScheduler(store()))
  })

describe("catch-up after a restart", () => {
  const dir = tempDir("catchup")
  const pgPrefix = uniquePrefix("cu")
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true })
    await dropTables(pgClient(), pgPrefix)
  })

  it.effect("SQLite file", () =>
    catchUp(() => SqlJobStore.layerSqlite({ filename: path.join(dir, "jobs.sqlite"), clock: "effect" })))

  it.effect("PostgreSQL", () =>
    catchUp(() => SqlJobStore.layerPg({ url: PG_URL, tablePrefix: pgPrefix, clock: "effect", maxConnections: 2 })))
})

describe("catch-up after a restart, the shared test of the persistent stores", () => {
  const dir = tempDir("catchup-shared")
  const pgPrefix = uniquePrefix("cus")
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true })
    await dropTables(pgClient(), pgPrefix)
  })
  describe("SQLite file", () => {
    catchUpTest(SqlJobStore.layerSqlite({ filename: path.join(dir, "jobs.sqlite"), clock: "effect" }))
  })
  describe("PostgreSQL", () => {
    catchUpTest(SqlJobStore.layerPg({ url: PG_URL, tablePrefix: pgPrefix, clock: "effect", maxConnections: 2 }))
  })
})
