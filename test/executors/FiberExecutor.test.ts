/**
 * FiberExecutor on its own (no scheduler): instance counting, max instances, the worker bound,
 * shutdown with and without waiting.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as EventBus from "../../src/events/EventBus.js"
import type { SchedulerEvent } from "../../src/events/SchedulerEvent.js"
import * as FiberExecutor from "../../src/executors/FiberExecutor.js"
import * as Job from "../../src/job/Job.js"
import * as TaskRegistry from "../../src/job/TaskRegistry.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { every } from "../testing/testTriggers.js"

const setup = (maxWorkers: number) =>
  Effect.gen(function*() {
    const bus = yield* EventBus.make
    const events = yield* bus.subscribe
    const executor = yield* FiberExecutor.make({ maxWorkers }).pipe(
      Effect.provideService(EventBus.EventBus, bus),
      Effect.provideService(TaskRegistry.TaskRegistry, yield* TaskRegistry.make())
    )
    return { executor, events }
  })

const tags = (events: ReadonlyArray<SchedulerEvent>) => events.map((e) => `${e._tag} ${"jobId" in e ? e.jobId : ""}`)

describe("FiberExecutor", () => {
  const trigger = every(10, 0)

  it.scoped("counts instances and refuses runs beyond maxInstances", () =>
    Effect.gen(function*() {
      const { events, executor } = yield* setup(10)
      const job = Job.make({ id: "slow", task: () => Effect.sleep("10 seconds"), trigger, nextRunTime: 0, maxInstances: 2 })
      expect(yield* executor.submit(job, [0])).toBe("submitted")
      expect(yield* executor.submit(job, [0])).toBe("submitted")
      expect(yield* executor.submit(job, [0])).toBe("maxInstances")
      expect(executor.instances("slow")).toBe(2)
      yield* TestScheduler.settle
      yield* TestClock.adjust("10 seconds")
      yield* TestScheduler.settle
      expect(executor.instances("slow")).toBe(0)
      expect(tags(yield* TestScheduler.drain(events))).toEqual([
        "JobSubmitted slow",
        "JobSubmitted slow",
        "JobMaxInstances slow",
        "JobExecuted slow",
        "JobExecuted slow"
      ])
    }))

  it.scoped("runs at most maxWorkers asynchronous jobs at once, in submission order", () =>
    Effect.gen(function*() {
      const { executor } = yield* setup(2)
      const started: Array<string> = []
      for (const id of ["a", "b", "c", "d"]) {
        const job = Job.make({
          id,
          task: () => Effect.zipRight(Effect.sync(() => started.push(id)), Effect.sleep("5 seconds")),
          trigger,
          nextRunTime: 0,
          misfireGraceTime: null
        })
        yield* executor.submit(job, [0])
      }
      yield* TestScheduler.settle
      expect(started).toEqual(["a", "b"])
      yield* TestClock.adjust("5 seconds")
      yield* TestScheduler.settle
      expect(started).toEqual(["a", "b", "c", "d"])
    }))

  it.scoped("shutdown(true) waits for queued and running jobs; shutdown(false) interrupts them", () =>
    Effect.gen(function*() {
      const { executor } = yield* setup(1)
      let finished = 0
      const job = (id: string) =>
        Job.make({
          id,
          task: () => Effect.zipRight(Effect.sleep("5 seconds"), Effect.sync(() => finished++)),
          trigger,
          nextRunTime: 0,
          misfireGraceTime: null
        })
      yield* executor.submit(job("a"), [0])
      yield* executor.submit(job("b"), [0])
      const waiting = yield* Effect.fork(executor.shutdown(true))
      yield* TestScheduler.settle
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(waiting)
      expect(finished).toBe(2)
      yield* executor.submit(job("c"), [0])
      yield* executor.submit(job("d"), [0])
      yield* TestScheduler.settle
      yield* executor.shutdown(false)
      expect(executor.instances("c") + executor.instances("d")).toBe(0)
      yield* TestClock.adjust("10 seconds")
      expect(finished).toBe(2)
      // still usable afterwards
      yield* executor.submit(job("e"), [0])
      yield* TestScheduler.settle
      yield* TestClock.adjust("5 seconds")
      yield* TestScheduler.settle
      expect(finished).toBe(3)
    }))
})
