/**
 * BENCH dispatch: 10,000 no-op jobs due at the same instant on the live clock, from the moment the
 * scheduler is resumed until the last one has run; against a bare setTimeout + queueMicrotask
 * loop dispatching 10,000 no-op callbacks in the same process. Target: ≥ 200,000 runs/s.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"

const N = 10_000
const ROUNDS = 5

const floor = (): Promise<number> =>
  new Promise((resolve) => {
    let done = 0
    const start = performance.now()
    setTimeout(() => {
      for (let i = 0; i < N; i++) {
        queueMicrotask(() => {
          if (++done === N) resolve(performance.now() - start)
        })
      }
    }, 0)
  })

const round = Effect.gen(function*() {
  const scheduler = yield* Scheduler
  const finished = yield* Deferred.make<number>()
  let done = 0
  const job = () => {
    if (++done === N) Deferred.unsafeDone(finished, Effect.succeed(performance.now()))
  }
  yield* scheduler.start({ paused: true })
  const now = Date.now()
  for (let i = 0; i < N; i++) {
    yield* scheduler.addJob(job, { id: `job-${i}`, nextRunTime: now, misfireGraceTime: null })
  }
  const start = performance.now()
  yield* scheduler.resume
  const end = yield* Deferred.await(finished)
  yield* scheduler.shutdown()
  return end - start
}).pipe(
  Effect.scoped,
  Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" })),
  Logger.withMinimumLogLevel(LogLevel.Warning)
)

const main = async () => {
  const runs: Array<number> = []
  const floors: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    floors.push(await floor())
    runs.push(await Effect.runPromise(round))
  }
  const best = (xs: Array<number>) => Math.min(...xs)
  const runsPerS = N / (best(runs) / 1000)
  const floorPerS = N / (best(floors) / 1000)
  console.log(
    `BENCH dispatch runs_per_s=${Math.round(runsPerS)} floor_runs_per_s=${Math.round(floorPerS)} ratio=${
      (runsPerS / floorPerS).toFixed(3)
    }`
  )
}
main()
