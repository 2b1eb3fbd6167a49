/**
 * BENCH taskref-burst: 1,000 date jobs whose task is a registered name (a task reference, as every
 * job of a persistent store is), due at one instant on the live clock, on the memory store under
 * `Lock.leased`, through the whole loop. Per round it counts the fibers started and the Effect
 * operations evaluated (a Supervisor over the scheduler's fibers, from the scheduler's resume
 * until the burst's last completion is stored; the jobs are added while it is paused; operations only with `OPS=1`), the store's `complete`
 * calls, and the runs per second from the due instant to the last run's start and to the last
 * completion stored. One summary line: the counts (the same each round) and the median round's
 * rates (`rounds_runs_per_s`: every round's).
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Option from "effect/Option"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import * as Supervisor from "effect/Supervisor"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import { JobStore, type JobStoreService } from "../src/stores/JobStore.js"
import * as Lock from "../src/stores/Lock.js"
import * as MemoryJobStore from "../src/stores/MemoryJobStore.js"
import { calibrate, nowMs, settle } from "./_clock.js"

const N = 1_000
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const LEAD_MS = 500
/** `OPS=1`: count the Effect operations too (op supervision on: slower, so no timing then). */
const OPS = process.env.OPS === "1"
/** `PLAIN=1`: the jobs hold the function itself instead of its name (the yardstick). */
const PLAIN = process.env.PLAIN === "1"

/** Counts fibers started and Effect operations evaluated while `on`. */
class Counter extends Supervisor.AbstractSupervisor<void> {
  on = false
  fibers = 0
  ops = 0
  get value() {
    return Effect.void
  }
  override onStart<A, E, R>(
    _context: Context.Context<R>,
    _effect: Effect.Effect<A, E, R>,
    _parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    _fiber: Fiber.RuntimeFiber<A, E>
  ): void {
    if (this.on) this.fibers++
  }
  override onEnd<A, E>(_value: Exit.Exit<A, E>, _fiber: Fiber.RuntimeFiber<A, E>): void {}
  override onEffect<A, E>(_fiber: Fiber.RuntimeFiber<A, E>, _effect: Effect.Effect<any, any, any>): void {
    if (this.on) this.ops++
  }
}

const round = Effect.gen(function*() {
  const counter = new Counter()
  const inner = yield* MemoryJobStore.make
  const stored = yield* Deferred.make<number>()
  let completed = 0
  let completeCalls = 0
  const store: JobStoreService = {
    ...inner,
    complete: (completions) =>
      Effect.zipRight(
        Effect.sync(() => {
          completeCalls++
          completed += completions.length
          if (completed === N) Deferred.unsafeDone(stored, Effect.succeed(nowMs()))
        }),
        inner.complete(completions)
      )
  }
  let started = 0
  let lastStart = 0
  const tick = () => {
    if (++started === N) lastStart = nowMs()
  }
  const result = yield* Effect.gen(function*() {
    const scheduler = yield* Effect.map(
      Layer.build(
        SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: { tick }, waitOnClose: false }).pipe(
          Layer.provide(Layer.merge(Layer.succeed(JobStore, store), Lock.leased({ owner: "bench", leaseMs: 30_000 })))
        )
      ),
      (ctx) => Context.get(ctx, Scheduler)
    )
    yield* scheduler.start({ paused: true })
    calibrate()
    const due = Math.ceil(nowMs() + LEAD_MS)
    for (let i = 0; i < N; i++) {
      yield* scheduler.addJob(PLAIN ? tick : "tick", {
        id: `job-${i}`,
        trigger: "date",
        triggerArgs: { runDate: new Date(due) },
        misfireGraceTime: null
      })
    }
    if (nowMs() > due - 100) throw new Error("adding the jobs took longer than LEAD_MS: raise it")
    counter.on = true
    yield* scheduler.resume
    const end = yield* Deferred.await(stored)
    counter.on = false
    return { due, end }
  }).pipe(
    Effect.scoped,
    Effect.supervised(counter),
    OPS ? Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision)) : (x) => x
  )
  const toStart = lastStart - result.due
  const toStored = result.end - result.due
  return {
    fibers: counter.fibers,
    ops: counter.ops,
    completeCalls,
    runsPerS: Math.round(N / (toStart / 1000)),
    storedPerS: Math.round(N / (toStored / 1000)),
    toStart,
    toStored
  }
})

const main = Effect.gen(function*() {
  yield* Effect.promise(() => settle())
  const rounds: Array<Effect.Effect.Success<typeof round>> = []
  for (let r = 0; r < ROUNDS; r++) rounds.push(yield* round)
  // one summary line: the counts of the last round (they are the same in every round), the
  // median round by runs per second for the rates, every round's rate beside it
  const last = rounds[rounds.length - 1]!
  const x = [...rounds].sort((a, b) => a.runsPerS - b.runsPerS)[Math.floor(rounds.length / 2)]!
  console.log(
    `BENCH taskref-burst task=${PLAIN ? "plain" : "ref"} fibers=${last.fibers} ops=${last.ops} complete_calls=${last.completeCalls} runs_per_s=${x.runsPerS} stored_per_s=${x.storedPerS} last_start_ms=${
      x.toStart.toFixed(2)
    } last_stored_ms=${x.toStored.toFixed(2)} jobs=${N} rounds_runs_per_s=${rounds.map((r) => r.runsPerS).join(",")}`
  )
}).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))

Effect.runPromise(main).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
