/**
 * The wake-up hint case every shared store runs: two schedulers on one store (each its own
 * connection), the running one polling once a minute; a job the paused peer (a producer) adds
 * starts on time. Live clock; the assertion is that the job ran at all within a few seconds,
 * which only a hint can make happen.
 */
import { expect } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type { StoreError } from "../../src/errors.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"

/** Real-time sleep (the live clock). */
export const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/** A scheduler over a store layer of its own, polling once a minute; `record` appends the time. */
export const pollingScheduler = (owner: string, store: Layer.Layer<JobStore, StoreError>, calls: Array<number>) =>
  SchedulerModule.layerDefault({ timezone: "UTC" }, {
    waitOnClose: false,
    tasks: { record: () => void calls.push(Date.now()) }
  }).pipe(
    Layer.provideMerge(store),
    Layer.provide(Lock.leased({ owner, pollMs: 60_000 }))
  )

/** The case: `store()` builds a fresh layer over the shared database each time it is called. */
export const peerJobStartsOnTime = (store: () => Layer.Layer<JobStore, StoreError>) =>
  Effect.gen(function*() {
    const calls: Array<number> = []
    const worker = yield* Layer.build(pollingScheduler("worker", store(), calls))
    const producer = yield* Layer.build(pollingScheduler("producer", store(), calls))
    expect(Context.get(worker, JobStore).changes).toBeDefined()
    yield* Context.get(worker, Scheduler).start()
    yield* Context.get(producer, Scheduler).start({ paused: true })
    yield* sleep(1_000) // the worker has looked (no jobs: it sleeps for its poll) and listens
    const runDate = Date.now() + 1_500
    yield* Context.get(producer, Scheduler).addJob("record", {
      id: "from-peer",
      trigger: "date",
      triggerArgs: { runDate: new Date(runDate) }
    })
    yield* sleep(4_000)
    expect(calls.length).toBe(1)
    expect(calls[0]!).toBeGreaterThanOrEqual(runDate)
    const runs = yield* Context.get(worker, Scheduler).getRuns("from-peer")
    expect(runs.map((r) => r.state)).toEqual(["succeeded"])
  }).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning))
