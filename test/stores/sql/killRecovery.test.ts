/**
 * `Lock.leased` across processes: a scheduler process on a SQLite file (and on PostgreSQL, a table
 * prefix of its own; both on the database's clock) is killed with SIGKILL
 * while the last run of a one-shot job runs; a second scheduler process on the same file takes
 * the run over once its lease has expired and runs it again, with attempt 2 and a higher fence.
 * Counts and states are asserted, never timings.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as fs from "node:fs"
import * as path from "node:path"
import * as SchedulerModule from "../../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../../src/scheduler/Scheduler.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { dropTables, PG_URL, pgClient, tempDir, uniquePrefix } from "./helpers.js"
import { killSpawned, readCalls, secondAfter, seedJobs, spawnScheduler, TASKS, waitForFile } from "./processes.js"

const dir = tempDir("killrecovery")
const pgPrefix = uniquePrefix("kill")
afterAll(async () => {
  await killSpawned()
  fs.rmSync(dir, { recursive: true, force: true })
  await dropTables(pgClient(), pgPrefix)
})

const file = path.join(dir, "jobs.sqlite")

/** The backends: the children's `STORE` and prefix, and the same store for the test process. */
const backends = [
  {
    name: "SQLite file",
    url: `sqlite:${file}`,
    prefix: "apscheduler",
    store: () => SqlJobStore.layerSqlite({ filename: file, clock: "effect" })
  },
  {
    name: "PostgreSQL",
    url: PG_URL,
    prefix: pgPrefix,
    store: () => SqlJobStore.layerPg({ url: PG_URL, tablePrefix: pgPrefix, maxConnections: 2, clock: "effect" })
  }
] as const

/** Spawns a leased scheduler process and waits until its `hang` run has started. */
const runUntilHang = (backend: (typeof backends)[number], name: string) =>
  Effect.gen(function*() {
    const calls = path.join(dir, `calls-${backend.prefix}-${name}.txt`)
    const marker = path.join(dir, `hang-${backend.prefix}-${name}`)
    const child = spawnScheduler({
      STORE: backend.url,
      TABLE_PREFIX: backend.prefix,
      LOCK: "leased",
      LEASE_MS: "2000",
      CALLS: calls,
      MARKER: marker
    })
    yield* Effect.promise(() => child.ready)
    yield* Effect.tryPromise(() => waitForFile(marker, 45_000)).pipe(
      Effect.orDieWith((e) => new Error(`${String((e as { error?: unknown }).error ?? e)}; ${name} printed:\n${child.output()}`))
    )
    return { child, calls }
  })

describe("Lock.leased: a scheduler process killed mid-run", () => {
  for (const backend of backends) {
    it.live(`${backend.name}: another process re-runs the run once its lease expires: attempt 2, a higher fence, one run row`, () =>
      Effect.gen(function*() {
        const store = backend.store
        const runDate = secondAfter(2_000)
        yield* Effect.promise(() =>
          seedJobs(store(), [{
            task: "hang",
            options: { id: "hang", trigger: "date", triggerArgs: { runDate }, misfireGraceTime: null }
          }])
        )
        const a = yield* runUntilHang(backend, "a")
        a.child.kill("SIGKILL")
        expect(yield* Effect.promise(() => a.child.exited), a.child.output()).toEqual({ code: null, signal: "SIGKILL" })
        const before = yield* Effect.gen(function*() {
          const scheduler = yield* Scheduler
          return yield* scheduler.getRuns("hang")
        }).pipe(Effect.scoped, Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: TASKS }).pipe(Layer.provide(store()))))
        expect(before.map((r) => [r.scheduledTime, r.attempt])).toEqual([[runDate.getTime(), 1]])

        const b = yield* runUntilHang(backend, "b")
        b.child.kill("SIGKILL")
        yield* Effect.promise(() => b.child.exited)

        // each process started the run once: the second is a re-execution, not a second run
        expect(readCalls(a.calls)).toEqual([["hang", runDate.getTime()]])
        expect(readCalls(b.calls)).toEqual([["hang", runDate.getTime()]])
        const after = yield* Effect.gen(function*() {
          const scheduler = yield* Scheduler
          return yield* scheduler.getRuns("hang")
        }).pipe(Effect.scoped, Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: TASKS }).pipe(Layer.provide(store()))))
        expect(after.map((r) => [r.scheduledTime, r.attempt])).toEqual([[runDate.getTime(), 2]])
        expect(after[0]!.fence).toBeGreaterThan(before[0]!.fence)
        expect(after[0]!.acquiredBy).not.toBe(before[0]!.acquiredBy)
        expect(["ready", "running"]).toContain(after[0]!.state)
      }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning)), 120_000)
  }
})
