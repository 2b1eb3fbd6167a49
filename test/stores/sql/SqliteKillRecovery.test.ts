/**
 * `Lock.leased` across processes: a scheduler process on a SQLite file is killed with SIGKILL
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
import { tempDir } from "./helpers.js"
import { killSpawned, readCalls, secondAfter, seedJobs, spawnScheduler, TASKS, waitForFile } from "./processes.js"

const dir = tempDir("killrecovery")
afterAll(async () => {
  await killSpawned()
  fs.rmSync(dir, { recursive: true, force: true })
})

const file = path.join(dir, "jobs.sqlite")
const store = () => SqlJobStore.layerSqlite({ filename: file, clock: "effect" })

/** Spawns a leased scheduler process and waits until its `hang` run has started. */
const runUntilHang = (name: string) =>
  Effect.gen(function*() {
    const calls = path.join(dir, `calls-${name}.txt`)
    const marker = path.join(dir, `hang-${name}`)
    const child = spawnScheduler({
      STORE: `sqlite:${file}`,
      TABLE_PREFIX: "apscheduler",
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

describe("SQLite, Lock.leased: a scheduler process killed mid-run", () => {
  it.live("another process re-runs the run once its lease expires: attempt 2, a higher fence, one run row", () =>
    Effect.gen(function*() {
      const runDate = secondAfter(2_000)
      yield* Effect.promise(() =>
        seedJobs(store(), [{
          task: "hang",
          options: { id: "hang", trigger: "date", triggerArgs: { runDate }, misfireGraceTime: null }
        }])
      )
      const a = yield* runUntilHang("a")
      a.child.kill("SIGKILL")
      expect(yield* Effect.promise(() => a.child.exited), a.child.output()).toEqual({ code: null, signal: "SIGKILL" })
      const before = yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        return yield* scheduler.getRuns("hang")
      }).pipe(Effect.scoped, Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: TASKS }).pipe(Layer.provide(store()))))
      expect(before.map((r) => [r.scheduledTime, r.attempt])).toEqual([[runDate.getTime(), 1]])

      const b = yield* runUntilHang("b")
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
})
