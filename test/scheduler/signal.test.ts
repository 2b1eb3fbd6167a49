import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { Alarm, forkIn } from "../../src/scheduler/internal/alarm.js"
import { Signal } from "../../src/scheduler/internal/signal.js"

describe("the loop's wake-up signal", () => {
  it.scoped("deadline: when a timed wait ends by itself, Infinity for an untimed one, -Infinity when no wait is under way", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(10_000)
      const signal = new Signal(yield* Effect.clock, yield* Effect.scope)
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
  it.scoped("a raised timed wait's timer, still running, does not end the next wait early", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const signal = new Signal(yield* Effect.clock, yield* Effect.scope)
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

  it.scoped("a timed wait of 0 ms ends at once; an interrupted wait leaves no waiter for raise", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const signal = new Signal(yield* Effect.clock, yield* Effect.scope)
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


describe("the alarm behind timed waits and claimed-ahead starts", () => {
  /** An alarm that records the times it rang at; `then` runs at each ring (it may set it again). */
  const recording = (then: (alarm: Alarm, now: number) => Effect.Effect<void> = () => Effect.void) =>
    Effect.gen(function*() {
      const rang: Array<number> = []
      const alarm: Alarm = new Alarm(yield* Effect.clock, forkIn(yield* Effect.scope), (now) =>
        Effect.suspend(() => {
          rang.push(now)
          return then(alarm, now)
        }))
      return { alarm, rang }
    })

  it.scoped("rings once at the last time set: a time moved later rings then, not at the earlier one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const { alarm, rang } = yield* recording()
      yield* (alarm.set(1_000) ?? Effect.void)
      yield* (alarm.set(3_000) ?? Effect.void) // later: the sleeper asleep until 1 s sleeps again
      yield* TestClock.adjust("2 seconds")
      expect(rang).toEqual([])
      yield* TestClock.adjust("1 second")
      expect(rang).toEqual([3_000])
      expect(alarm.at).toBe(Infinity)
      yield* TestClock.adjust("10 seconds")
      expect(rang).toEqual([3_000])
    }))

  it.scoped("a time set earlier than the sleeper's sleep rings at that time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const { alarm, rang } = yield* recording()
      yield* (alarm.set(5_000) ?? Effect.void)
      yield* TestClock.adjust("1 second") // the sleeper is asleep until 5 s
      yield* (alarm.set(2_000) ?? Effect.void)
      yield* TestClock.adjust("1 second")
      expect(rang).toEqual([2_000])
      yield* TestClock.adjust("10 seconds")
      expect(rang).toEqual([2_000]) // the replaced sleeper's 5 s does not ring
    }))

  it.scoped("a cleared alarm does not ring; set again after a clear, parked, or a ring, it rings at the new time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const { alarm, rang } = yield* recording((a, now) => (now === 1_000 ? a.set(4_000) : undefined) ?? Effect.void)
      yield* (alarm.set(500) ?? Effect.void)
      alarm.clear()
      yield* TestClock.adjust("600 millis")
      expect(rang).toEqual([])
      yield* (alarm.set(1_000) ?? Effect.void) // the sleeper has parked: it is resumed
      yield* TestClock.adjust("400 millis")
      expect(rang).toEqual([1_000])
      yield* TestClock.adjust("3 seconds") // set again by the ring itself
      expect(rang).toEqual([1_000, 4_000])
    }))

  it.scoped("a set whose fork never ran (its caller was interrupted) does not stop a later set from ringing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const { alarm, rang } = yield* recording()
      expect(alarm.set(1_000)).toBeDefined() // the fork to run, dropped as an interrupted caller would
      yield* (alarm.set(2_000) ?? Effect.void)
      yield* TestClock.adjust("2 seconds")
      expect(rang).toEqual([2_000])
    }))

  it.scoped("stop: the sleeper ends and rings no more; a later set starts a new one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const { alarm, rang } = yield* recording()
      yield* (alarm.set(1_000) ?? Effect.void)
      alarm.stop()
      yield* TestClock.adjust("2 seconds")
      expect(rang).toEqual([])
      yield* (alarm.set(3_000) ?? Effect.void)
      yield* TestClock.adjust("1 second")
      expect(rang).toEqual([3_000])
    }))

  it.scoped("a signal's timed waits from fibers that end in turn are each resumed at their time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(0)
      const signal = new Signal(yield* Effect.clock, yield* Effect.scope)
      for (let i = 1; i <= 3; i++) {
        const waiter = yield* Effect.fork(signal.wait(1_000 * i, 60_000))
        yield* Effect.yieldNow()
        yield* TestClock.adjust(`${1_000 * i - 1} millis`)
        expect(yield* Fiber.poll(waiter)).toEqual(Option.none())
        yield* TestClock.adjust("1 millis")
        yield* Fiber.join(waiter)
        signal.clear()
      }
    }))
})
