import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { Signal } from "../../src/scheduler/internal/signal.js"

describe("the loop's wake-up signal", () => {
  it.effect("deadline: when a timed wait ends by itself, Infinity for an untimed one, -Infinity when no wait is under way", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(10_000)
      const signal = new Signal()
      expect(signal.deadline).toBe(-Infinity)
      const timed = yield* Effect.fork(signal.wait(5_000, 60_000))
      yield* Effect.yieldNow()
      expect(signal.deadline).toBe(15_000)
      yield* TestClock.adjust("5 seconds") // the timer rings: the waiter goes to work
      yield* Fiber.join(timed)
      expect(signal.deadline).toBe(-Infinity)
      const capped = yield* Effect.fork(signal.wait(10 * 86_400_000, 86_400_000))
      yield* Effect.yieldNow()
      expect(signal.deadline).toBe(15_000 + 86_400_000)
      signal.raise() // woken early
      expect(signal.deadline).toBe(-Infinity)
      yield* Fiber.join(capped)
      signal.clear()
      const untimed = yield* Effect.fork(signal.wait(undefined, 86_400_000))
      yield* Effect.yieldNow()
      expect(signal.deadline).toBe(Infinity)
      signal.raise()
      yield* Fiber.join(untimed)
      signal.clear()
      expect(signal.deadline).toBe(-Infinity)
    }))
})
