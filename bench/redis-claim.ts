/**
 * BENCH claim backend=redis: 10,000 one-second interval jobs (task references) on a Redis store
 * (Redis TIME, the default clock), through the full scheduler loop: acquire → plan → release →
 * run → complete, on the live clock. Runs per second over an 8 s window after a 2 s warm-up;
 * 10,000 is keeping up with the schedule. Needs the machine's Redis (`REDIS_URL`).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Redis } from "ioredis"
import { TaskRegistry } from "../src/job/TaskRegistry.js"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"
import * as RedisJobStore from "../src/stores/RedisJobStore.js"

const N = 10_000
const WARMUP_MS = 2_000
const WINDOW_MS = 8_000
const URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const prefix = `bench:claim:${process.pid}`

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

const main = Effect.gen(function*() {
  let runs = 0
  const scheduler = yield* Scheduler
  const registry = yield* TaskRegistry
  yield* registry.register("bench:tick", () => {
    runs++
  })
  yield* scheduler.start({ paused: true })
  const first = Math.ceil(Date.now() / 1000) * 1000 + 3000
  for (let i = 0; i < N; i++) {
    yield* scheduler.addJob("bench:tick", {
      id: `job-${i}`,
      trigger: "interval",
      triggerArgs: { seconds: 1, startDate: new Date(first) },
      misfireGraceTime: null,
      // completions are stored after a pass: while a pass is busy, a run of the last second can
      // still be live, and maxInstances 1 would skip the next one
      maxInstances: 3
    })
  }
  yield* scheduler.resume
  yield* sleep(Math.max(0, first - Date.now()) + WARMUP_MS)
  const before = runs
  const start = performance.now()
  yield* sleep(WINDOW_MS)
  const count = runs - before
  const elapsed = performance.now() - start
  yield* scheduler.shutdown({ wait: false })
  console.log(`BENCH claim backend=redis runs_per_s=${Math.round(count / (elapsed / 1000))} jobs=${N}`)
}).pipe(
  Effect.scoped,
  Effect.provide(
    SchedulerModule.layerDefault({ timezone: "UTC" }).pipe(Layer.provide(RedisJobStore.layer({ url: URL, prefix })))
  ),
  Logger.withMinimumLogLevel(LogLevel.Error)
)

const cleanup = async () => {
  const raw = new Redis(URL)
  let cursor = "0"
  do {
    const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 5000)
    cursor = next
    if (keys.length > 0) await raw.del(...keys)
  } while (cursor !== "0")
  raw.disconnect()
}

Effect.runPromise(main).then(cleanup, async (e) => {
  console.error(e)
  await cleanup()
  process.exit(1)
})
