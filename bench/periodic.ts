/**
 * BENCH periodic: one job every 10 ms for 5 s on the live clock (an interval trigger); the
 * lateness of each start (start − its scheduled time, read from the run context) against a bare
 * setTimeout chain aiming at the same 10 ms grid, in the same process. Target: p99_ms within
 * 1.2× floor_p99_ms. A first round of each warms up and is not counted; lateness is read on
 * `_clock.ts`'s calibrated clock.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as JobContext from "../src/job/JobContext.js"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"
import { calibrate, nowMs, quantile, settle } from "./_clock.js"

const PERIOD_MS = 10
const RUNS = 500
const ROUNDS = 3


const floor = (): Promise<Array<number>> =>
  new Promise((resolve) => {
    const lateness: Array<number> = []
    const start = Math.ceil((Date.now() + 100) / PERIOD_MS) * PERIOD_MS
    const tick = (k: number) => {
      const due = start + k * PERIOD_MS
      setTimeout(() => {
        lateness.push(nowMs() - due)
        if (lateness.length === RUNS) resolve(lateness)
        else tick(k + 1)
      }, Math.max(0, due - Date.now()))
    }
    tick(0)
  })

const round = Effect.gen(function*() {
  const scheduler = yield* Scheduler
  const finished = yield* Deferred.make<void>()
  const lateness: Array<number> = []
  yield* scheduler.start()
  const start = Math.ceil((Date.now() + 100) / PERIOD_MS) * PERIOD_MS
  const job = () => {
    const ctx = JobContext.current()!
    lateness.push(nowMs() - ctx.scheduledTime)
    if (lateness.length === RUNS) Deferred.unsafeDone(finished, Effect.void)
  }
  yield* scheduler.addJob(job, {
    id: "tick",
    trigger: "interval",
    triggerArgs: { seconds: PERIOD_MS / 1000, startDate: new Date(start) },
    misfireGraceTime: null,
    coalesce: false
  })
  yield* Deferred.await(finished)
  yield* scheduler.shutdown({ wait: false })
  return lateness
}).pipe(
  Effect.scoped,
  Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" })),
  Logger.withMinimumLogLevel(LogLevel.Warning)
)

const main = async () => {
  await settle()
  const ours: Array<number> = []
  const floors: Array<number> = []
  // round 0 warms both up (the first round of ours runs while the JIT compiles the runtime's
  // paths: a steady-state figure leaves it out, as it leaves out the floor's)
  for (let r = 0; r <= ROUNDS; r++) {
    calibrate()
    const f = await floor()
    calibrate()
    const o = await Effect.runPromise(round)
    if (r === 0) continue
    floors.push(...f)
    ours.push(...o)
  }
  const p = (xs: Array<number>, q: number) => quantile(xs, q).toFixed(3)
  console.log(
    `BENCH periodic p50_ms=${p(ours, 0.5)} p99_ms=${p(ours, 0.99)} floor_p50_ms=${p(floors, 0.5)} floor_p99_ms=${
      p(floors, 0.99)
    } ratio_p99=${(quantile(ours, 0.99) / quantile(floors, 0.99)).toFixed(3)} runs=${RUNS * ROUNDS}`
  )
}
main()
