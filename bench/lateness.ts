/**
 * BENCH lateness: 1,000 jobs due at the same instant on the live clock; the lateness of each start
 * (start time − scheduled time) against a bare setTimeout floor (1,000 callbacks due at one
 * instant) in the same process. Target: ratio_p99 ≤ 2.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"
import { calibrate, nowMs, quantile, settle } from "./_clock.js"

const N = 1_000
const ROUNDS = 9
const LEAD_MS = 1000



const floor = (): Promise<Array<number>> =>
  new Promise((resolve) => {
    const lateness: Array<number> = []
    const due = Math.ceil((nowMs() + LEAD_MS) / 1000) * 1000
    for (let i = 0; i < N; i++) {
      setTimeout(() => {
        lateness.push(nowMs() - due)
        if (lateness.length === N) resolve(lateness)
      }, due - Date.now())
    }
  })

const round = Effect.gen(function*() {
  const scheduler = yield* Scheduler
  const finished = yield* Deferred.make<void>()
  const lateness: Array<number> = []
  yield* scheduler.start()
  // a whole second, like the floor
  const due = Math.ceil((nowMs() + LEAD_MS) / 1000) * 1000
  const job = () => {
    lateness.push(nowMs() - due)
    if (lateness.length === N) Deferred.unsafeDone(finished, Effect.void)
  }
  for (let i = 0; i < N; i++) {
    yield* scheduler.addJob(job, { id: `job-${i}`, trigger: "date", triggerArgs: { runDate: new Date(due) } })
  }
  yield* Deferred.await(finished)
  yield* scheduler.shutdown()
  return lateness
}).pipe(
  Effect.scoped,
  Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" })),
  Logger.withMinimumLogLevel(LogLevel.Warning)
)

const main = async () => {
  await settle()
  const ours: Array<Array<number>> = []
  const floors: Array<Array<number>> = []
  for (let r = 0; r < ROUNDS; r++) {
    calibrate()
    floors.push(await floor())
    calibrate()
    ours.push(await Effect.runPromise(round))
  }
  // the median round of each, by p99
  const pick = (rounds: Array<Array<number>>) =>
    [...rounds].sort((a, b) => quantile(a, 0.99) - quantile(b, 0.99))[Math.floor(rounds.length / 2)]!
  const a = pick(ours)
  const f = pick(floors)
  const p99 = quantile(a, 0.99)
  const floorP99 = quantile(f, 0.99)
  console.log(
    `BENCH lateness p50_ms=${quantile(a, 0.5).toFixed(3)} p99_ms=${p99.toFixed(3)} floor_p99_ms=${
      floorP99.toFixed(3)
    } ratio_p99=${(p99 / floorP99).toFixed(3)}`
  )
}
main()
