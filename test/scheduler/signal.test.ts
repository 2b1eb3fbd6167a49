import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
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
  it.effect("a raised timed wait's timer, still running, does not end the next wait early", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const signal = new Signal()
      const first = yield* Effect.fork(signal.wait(1_000, 60_000))
      yield* Effect.yieldNow()
      signal.raise() // the first wait ends before its 1 s timer
      yield* Fiber.join(first)
      signal.clear()
      const second = yield* Effect.fork(signal.wait(5_000, 60_000))
      yield* Effect.yieldNow()
      yield* TestClock.adjust("1 second") // the first wait's time: the second must go on waiting
      expect(yield* Fiber.poll(second)).toEqual(Option.none())
      expect(signal.deadline).toBe(5_000)
      yield* TestClock.adjust("4 seconds")
      yield* Fiber.join(second)
      expect(signal.deadline).toBe(-Infinity)
    }))

  it.effect("a timed wait of 0 ms ends at once; an interrupted wait leaves no waiter for raise", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const signal = new Signal()
      yield* signal.wait(0, 60_000) // returns without the clock moving
      const waiting = yield* Effect.fork(signal.wait(undefined, 60_000))
      yield* Effect.yieldNow()
      expect(signal.deadline).toBe(Infinity)
      yield* Fiber.interrupt(waiting)
      expect(signal.deadline).toBe(-Infinity)
      signal.raise() // nobody to resume: a later wait sees the flag and returns at once
      yield* signal.wait(undefined, 60_000)
    }))
})

