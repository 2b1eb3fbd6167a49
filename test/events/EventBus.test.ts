import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as EventBus from "../../src/events/EventBus.js"
import * as Ev from "../../src/events/SchedulerEvent.js"

const executed = (jobId: string) => new Ev.JobExecuted({ jobId, jobstore: "default", scheduledRunTime: 0, retval: 1 })

describe("EventBus", () => {
  it.scoped("subscriptions, masked streams, listeners (a throwing one does not stop the others)", () =>
    Effect.gen(function*() {
      const bus = yield* EventBus.make
      expect(bus.hasSubscribers()).toBe(false)
      const sub = yield* bus.subscribe
      expect(bus.hasSubscribers()).toBe(true)
      const streamed = yield* Effect.fork(Stream.runCollect(Stream.take(bus.stream(Ev.JOB_ADDED), 2)))
      // a stream subscribes when it starts running
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
      const seen: Array<string> = []
      yield* bus.addListener(() => {
        throw new Error("bad listener")
      })
      const id = yield* bus.addListener((e) => void seen.push(e._tag), Ev.JOB_EXECUTED)
      yield* bus.publish(new Ev.JobAdded({ jobId: "a", jobstore: "default" }))
      yield* bus.publish(executed("a"))
      yield* bus.publish(new Ev.JobAdded({ jobId: "b", jobstore: "default" }))
      expect(Chunk.toArray(yield* Fiber.join(streamed)).map((e) => e._tag)).toEqual(["JobAdded", "JobAdded"])
      expect((yield* sub.takeAll).pipe(Chunk.toArray).map((e) => e._tag)).toEqual(["JobAdded", "JobExecuted", "JobAdded"])
      yield* Effect.yieldNow()
      expect(seen).toEqual(["JobExecuted"])
      yield* bus.removeListener(id)
      yield* bus.publish(executed("b"))
      yield* Effect.yieldNow()
      expect(seen).toEqual(["JobExecuted"])
    }))

  it("events serialize to JSON with their code", () => {
    expect(JSON.parse(JSON.stringify(executed("a")))).toEqual({
      _tag: "JobExecuted",
      code: 4096,
      jobId: "a",
      jobstore: "default",
      scheduledRunTime: 0,
      retval: 1
    })
  })
})
