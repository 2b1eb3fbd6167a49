/**
 * A chaos scheduler process: one scheduler with `Lock.leased` on the shared store the harness
 * names, running the harness's jobs (task `chaos.body`). Every start and end of a job body is one
 * JSON line appended to this process's log file (appended synchronously, so it survives SIGKILL).
 * Stops on SIGTERM (shutdown without waiting). Configured by environment variables (see run.ts).
 */
import * as fs from "node:fs"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as JobContext from "../../src/job/JobContext.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as Lock from "../../src/stores/Lock.js"
import { storeLayer } from "./store.js"

const env = (name: string): string => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`chaos worker: ${name} is not set`)
  return v
}

const log = fs.openSync(env("CHAOS_LOG"), "a")
const line = (fields: Record<string, unknown>) => fs.writeSync(log, JSON.stringify({ pid: process.pid, ...fields }) + "\n")

/** The job body: logs its start, works `ms` (stops early when aborted), logs its end. */
const body = async (ms: number) => {
  const ctx = JobContext.current()!
  const run = { job: ctx.jobId, t: ctx.scheduledTime, attempt: ctx.attempt, fence: ctx.fence }
  line({ ev: "start", at: Date.now(), ...run })
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(timer)
      resolve()
    })
  })
  line({ ev: ctx.signal.aborted ? "aborted" : "end", at: Date.now(), ...run })
}

const program = Effect.gen(function*() {
  const scheduler = yield* Scheduler
  yield* scheduler.start()
  line({ ev: "up", at: Date.now() })
  yield* Effect.async<void>((resume) => {
    process.once("SIGTERM", () => resume(Effect.void))
  })
  yield* scheduler.shutdown({ wait: false })
  line({ ev: "down", at: Date.now() })
})

const layer = SchedulerModule.layerDefault({ timezone: "UTC", executors: { default: { type: "default", maxWorkers: 400 } } }, {
  tasks: { "chaos.body": body }
}).pipe(
  Layer.provide(storeLayer(env("CHAOS_BACKEND"), env("CHAOS_TARGET"), env("CHAOS_PREFIX"))),
  Layer.provide(Lock.leased({ leaseMs: Number(env("CHAOS_LEASE_MS")) }))
)

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(layer), Logger.withMinimumLogLevel(LogLevel.Error))).then(
  () => process.exit(0),
  (error) => {
    line({ ev: "crash", at: Date.now(), error: String(error) })
    process.exit(1)
  }
)
