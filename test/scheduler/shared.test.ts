/**
 * Several schedulers on one store (Lock.leased): a loop looks at a shared store at least every
 * `pollMs`, so a job a peer adds starts on time; a paused scheduler (a producer-only process)
 * writes jobs and never claims. Driven by TestClock.
 */
import type { InvalidArgumentError } from "../../src/errors.js"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { HOUR, SEC, T0 } from "./helpers.js"

/** A scheduler over `store` with its own lease policy, built in the test's scope. */
const schedulerOn = (store: JobStoreService, lock: Layer.Layer<Lock.Lock, InvalidArgumentError>) =>
  Effect.map(
    Layer.build(
      SchedulerModule.layerDefault({ timezone: "UTC" }, { waitOnClose: false }).pipe(
        Layer.provide(Layer.succeed(JobStore, store)),
        Layer.provide(lock)
      )
    ),
    (context) => ({ scheduler: Context.get(context, Scheduler), context })
  )

describe("schedulers sharing one store", () => {
  it.scoped("a job a paused peer (producer-only) adds starts on time in the running scheduler; the producer never claims", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const store = yield* MemoryJobStore.make
      let producerAcquires = 0
      const counted: JobStoreService = {
        ...store,
        acquire: (claim) => Effect.zipRight(Effect.sync(() => producerAcquires++), store.acquire(claim))
      }
      const worker = yield* schedulerOn(store, Lock.leased({ owner: "worker", pollMs: SEC }))
      const producer = yield* schedulerOn(counted, Lock.leased({ owner: "producer", pollMs: SEC }))
      yield* worker.scheduler.start()
      yield* producer.scheduler.start({ paused: true })
      yield* TestScheduler.advance(10 * SEC).pipe(Effect.provide(worker.context))
      const started: Array<number> = []
      yield* producer.scheduler.addJob(() => Effect.map(Clock.currentTimeMillis, (t) => void started.push(t)), {
        id: "from-peer",
        trigger: "date",
        triggerArgs: { runDate: new Date(T0 + 11_500) }
      })
      yield* TestScheduler.advanceTo(T0 + 13 * SEC).pipe(Effect.provide(worker.context))
      expect(started).toEqual([T0 + 11_500])
      expect((yield* worker.scheduler.getRuns("from-peer")).map((r) => [r.state, r.acquiredBy])).toEqual([["succeeded", null]])
      expect(producerAcquires).toBe(0)
    }))

  it.scoped("Lock.single keeps sleeping until its own next run time (no polling); Lock.leased polls every pollMs", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const single = yield* Lock.makeSingle()
      expect(single.pollMs).toBeNull()
      const leased = yield* Effect.provide(Lock.Lock, Lock.leased({ pollMs: 250 }))
      expect(leased.pollMs).toBe(250)
      const store = yield* MemoryJobStore.make
      let acquires = 0
      const counted: JobStoreService = {
        ...store,
        acquire: (claim) => Effect.zipRight(Effect.sync(() => acquires++), store.acquire(claim))
      }
      const polling = yield* schedulerOn(counted, Lock.leased({ pollMs: 250 }))
      yield* polling.scheduler.addJob(() => 1, { id: "far", trigger: "date", triggerArgs: { runDate: new Date(T0 + HOUR) } })
      yield* polling.scheduler.start()
      yield* TestScheduler.advance(10 * SEC).pipe(Effect.provide(polling.context))
      expect(acquires).toBeGreaterThanOrEqual(40) // one look every 250 ms
      yield* polling.scheduler.shutdown()
      const store2 = yield* MemoryJobStore.make
      let acquires2 = 0
      const counted2: JobStoreService = {
        ...store2,
        acquire: (claim) => Effect.zipRight(Effect.sync(() => acquires2++), store2.acquire(claim))
      }
      const sleeping = yield* schedulerOn(counted2, Lock.single())
      yield* sleeping.scheduler.addJob(() => 1, { id: "far", trigger: "date", triggerArgs: { runDate: new Date(T0 + 2 * HOUR) } })
      yield* sleeping.scheduler.start()
      yield* TestScheduler.advance(10 * SEC).pipe(Effect.provide(sleeping.context))
      expect(acquires2).toBeLessThanOrEqual(2)
    }))
})
