/**
 * BENCH burst: 10,000 jobs due at one instant on the live clock; the time from that instant to
 * the start of the first job (and of the last), against bare setTimeout (10,000 callbacks due at
 * the same instant) in the same process. Target: first_run_ms within 2 ms of floor_first_ms.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"
import { calibrate, nowMs, settle } from "./_clock.js"

const N = 10_000
const ROUNDS = 7
const LEAD_MS = 3000

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const floor = (): Promise<{ first: number; last: number }> =>
  new Promise((resolve) => {
    const due = Math.ceil(nowMs() + LEAD_MS)
    let first = -1
    let n = 0
    for (let i = 0; i < N; i++) {
      setTimeout(() => {
        const late = nowMs() - due
        if (first < 0) first = late
        if (++n === N) resolve({ first, last: late })
      }, due - Date.now())
    }
  })

const round = Effect.gen(function*() {
  const scheduler = yield* Scheduler
  const finished = yield* Deferred.make<void>()
  yield* scheduler.start({ paused: true })
  const due = Math.ceil(nowMs() + LEAD_MS)
  let first = -1
  let last = -1
  let n = 0
  const job = () => {
    const late = nowMs() - due
    if (first < 0) first = late
    if (++n === N) {
      last = late
      Deferred.unsafeDone(finished, Effect.void)
    }
  }
  for (let i = 0; i < N; i++) {
    yield* scheduler.addJob(job, { id: `job-${i}`, nextRunTime: due, misfireGraceTime: null })
  }
  if (nowMs() > due - 100) throw new Error("adding the jobs took longer than LEAD_MS: raise it")
  yield* scheduler.resume
  yield* Deferred.await(finished)
  yield* scheduler.shutdown()
  return { first, last }
}).pipe(
  Effect.scoped,
  Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" })),
  Logger.withMinimumLogLevel(LogLevel.Warning)
)

const main = async () => {
  await settle()
  const ours: Array<{ first: number; last: number }> = []
  const floors: Array<{ first: number; last: number }> = []
  for (let r = 0; r < ROUNDS; r++) {
    calibrate()
    floors.push(await floor())
    calibrate()
    ours.push(await Effect.runPromise(round))
  }
  const f = (xs: Array<{ first: number; last: number }>, k: "first" | "last") => median(xs.map((x) => x[k])).toFixed(3)
  console.log(
    `BENCH burst first_run_ms=${f(ours, "first")} floor_first_ms=${f(floors, "first")} last_run_ms=${
      f(ours, "last")
    } floor_last_ms=${f(floors, "last")} jobs=${N}`
  )
}
main()
