/**
 * PostgreSQL wake-up hints: a job a peer adds (pg_notify after the write, LISTEN in the running
 * scheduler) starts on time although the running scheduler polls only every minute. Live clock;
 * the assertion is that the job ran at all within a few seconds, which only a hint can make happen.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as SchedulerModule from "../../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../../src/scheduler/Scheduler.js"
import { JobStore } from "../../../src/stores/JobStore.js"
import * as Lock from "../../../src/stores/Lock.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { dropTables, PG_URL, pgClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("wake")
afterAll(() => dropTables(pgClient(), prefix))

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/** A scheduler on its own pool over the shared tables, polling once a minute. */
const schedulerLayer = (owner: string, calls: Array<number>) =>
  SchedulerModule.layerDefault({ timezone: "UTC" }, { waitOnClose: false, tasks: { record: () => void calls.push(Date.now()) } }).pipe(
    Layer.provideMerge(SqlJobStore.layerPg({ url: PG_URL, tablePrefix: prefix, maxConnections: 2 })),
    Layer.provide(Lock.leased({ owner, pollMs: 60_000 }))
  )

describe("PostgreSQL wake-up hints", () => {
  it.live("a job added by a peer starts on time in a scheduler that polls once a minute (LISTEN/NOTIFY)", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const worker = yield* Layer.build(schedulerLayer("worker", calls))
      const producer = yield* Layer.build(schedulerLayer("producer", calls))
      expect(Context.get(worker, JobStore).changes).toBeDefined()
      yield* Context.get(worker, Scheduler).start()
      yield* Context.get(producer, Scheduler).start({ paused: true })
      yield* sleep(1_000) // the worker has looked (no jobs: it sleeps for its poll) and listens
      const runDate = Date.now() + 1_500
      yield* Context.get(producer, Scheduler).addJob("record", {
        id: "from-peer",
        trigger: "date",
        triggerArgs: { runDate: new Date(runDate) }
      })
      yield* sleep(4_000)
      expect(calls.length).toBe(1)
      expect(calls[0]!).toBeGreaterThanOrEqual(runDate)
      const runs = yield* Context.get(worker, Scheduler).getRuns("from-peer")
      expect(runs.map((r) => r.state)).toEqual(["succeeded"])
    }).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning)), 30_000)
})
