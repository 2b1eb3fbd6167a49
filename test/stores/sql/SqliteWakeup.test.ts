/**
 * SQLite wake-up hints: a job a peer adds starts on time in a scheduler on the same file although
 * it polls only every minute: a peer in this process hints through the shared connection, another
 * connection's commit (another process) through `PRAGMA data_version`. Live clock; the assertion
 * is that the job ran at all within a few seconds, which only a hint can make happen.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as fs from "node:fs"
import * as path from "node:path"
import { Scheduler } from "../../../src/scheduler/Scheduler.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { peerJobStartsOnTime, pollingScheduler, sleep } from "../../support/wakeupCase.js"
import { tempDir } from "./helpers.js"

const dir = tempDir("wake")
const file = path.join(dir, "jobs.sqlite")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("SQLite wake-up hints", () => {
  it.live("a job added by a peer starts on time in a scheduler that polls once a minute (a peer in this process)", () =>
    peerJobStartsOnTime(() => SqlJobStore.layerSqlite({ filename: file })), 30_000)

  it.live("a commit by another connection (another process) wakes a scheduler that polls once a minute (PRAGMA data_version)", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const worker = yield* Layer.build(pollingScheduler("worker-2", SqlJobStore.layerSqlite({ filename: file }), calls))
      yield* Context.get(worker, Scheduler).addJob("record", {
        id: "moved",
        trigger: "date",
        triggerArgs: { runDate: new Date(Date.now() + 3_600_000) }
      })
      yield* Context.get(worker, Scheduler).start()
      yield* sleep(1_000) // the worker sleeps for its poll (the job is an hour away)
      // another connection to the file moves the job's run time close
      const other = yield* Effect.provide(SqliteClient.make({ filename: file }), Reactivity.layer)
      const runDate = Date.now() + 1_500
      yield* other`UPDATE ${other("apscheduler_jobs")} SET next_run_time = ${runDate}, version = version + 1 WHERE id = ${"moved"}`
      yield* sleep(4_000)
      expect(calls.length).toBe(1)
      expect(calls[0]!).toBeGreaterThanOrEqual(runDate)
    }).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning)), 30_000)
})
