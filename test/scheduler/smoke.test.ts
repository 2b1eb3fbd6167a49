import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"

const T0 = Date.UTC(2024, 0, 1)

it.effect("fires every 10s", () =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    yield* Effect.gen(function*() {
      const scheduler = yield* Scheduler
      let count = 0
      yield* scheduler.addJob(() => ++count, { id: "tick", trigger: "interval", triggerArgs: { seconds: 10 } })
      const events = yield* TestScheduler.advance("30 seconds")
      expect(TestScheduler.executed(events, "tick")).toEqual([T0 + 1e4, T0 + 2e4, T0 + 3e4])
      expect(count).toBe(3)
      console.log(TestScheduler.tags(events))
    }).pipe(Effect.provide(TestScheduler.layer()))
  }))
