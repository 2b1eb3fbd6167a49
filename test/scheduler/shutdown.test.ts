/**
 * A shutdown returns only when every run end is stored, even while the flusher's write is in flight.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { SEC, T0 } from "./helpers.js"

describe("shutdown", () => {
  it.scoped("waits for a run end the flusher is still writing: after shutdown every run is stored as ended", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const store = yield* MemoryJobStore.make
      const gate = yield* Deferred.make<void>()
      const writing = yield* Deferred.make<void>()
      // the store's `complete` waits at the gate, like a slow database
      const slow: JobStoreService = {
        ...store,
        complete: (completions) =>
          Effect.zipRight(
            Effect.zipRight(Deferred.succeed(writing, undefined), Deferred.await(gate)),
            store.complete(completions)
          )
      }
      const context = yield* Layer.build(
        SchedulerModule.layerDefault({ timezone: "UTC" }, { waitOnClose: false }).pipe(Layer.provide(Layer.succeed(JobStore, slow)))
      )
      const scheduler = Context.get(context, Scheduler)
      yield* scheduler.addJob(() => "done", { id: "j", trigger: "date", triggerArgs: { runDate: new Date(T0 + SEC) } })
      yield* scheduler.start()
      yield* TestScheduler.advance(2 * SEC).pipe(Effect.provide(context))
      yield* Deferred.await(writing) // the flusher took the end and is writing it
      const shutdown = yield* Effect.fork(scheduler.shutdown())
      yield* TestScheduler.settle
      expect(shutdown.unsafePoll()).toBeNull() // still waiting for the write in flight
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(shutdown)
      expect((yield* store.getRuns("j")).map((r) => r.state)).toEqual(["succeeded"])
    }))
})
