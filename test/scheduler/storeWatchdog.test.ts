/**
 * The store-call watchdog (`internal/storeTimeout.ts`) on its own, driven by `TestClock`: each
 * guarantee of the module's header — the caller's `StoreError` at the limit even when it is
 * uninterruptible, the hung call interrupted in the background, one sleeper for the calls of all
 * the scheduler's stores (a shorter limit added later still ends on time), nothing left running
 * once the scheduler's fiber set closes — and the fiber count of a call that answers.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { StoreError } from "../../src/errors.js"
import { Watchdog, withStoreTimeout } from "../../src/scheduler/internal/storeTimeout.js"
import type { JobStoreService } from "../../src/stores/JobStore.js"

/** A persistent store whose `lookup` answers `none` at once, or hangs while `gate.on`; counts the hung calls interrupted. */
const hanging = (gate: { on: boolean }, interrupted: { n: number }): JobStoreService =>
  ({
    lookup: () =>
      Effect.suspend(() =>
        gate.on
          ? Effect.onInterrupt(Effect.never, () => Effect.sync(() => void interrupted.n++))
          : Effect.succeed(Option.none())
      ),
    persistent: true
  }) as unknown as JobStoreService

/** Lets the forked fibers run. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("store call watchdog", () => {
  it.scoped("an uninterruptible caller of a call that never answers fails with StoreError at the limit (not 1 ms before), and the call is interrupted in the background", () =>
    Effect.gen(function*() {
      const fibers = yield* FiberSet.make<unknown, unknown>()
      const gate = { on: true }
      const interrupted = { n: 0 }
      const store = withStoreTimeout(hanging(gate, interrupted), "db", 1500, new Watchdog(yield* Effect.clock, fibers))
      const caller = yield* Effect.fork(Effect.exit(Effect.uninterruptible(store.lookup("a"))))
      yield* settle
      yield* TestClock.adjust(1499)
      yield* settle
      expect(Option.isNone(yield* Fiber.poll(caller))).toBe(true)
      yield* TestClock.adjust(1)
      yield* settle
      const exit = yield* Fiber.join(caller)
      expect(exit).toEqual(Exit.fail(new StoreError({ store: "db", operation: "lookup", reason: "no answer within 1500 ms" })))
      expect(interrupted.n).toBe(1)
      // the store answers again: a call succeeds
      gate.on = false
      expect(yield* store.lookup("a")).toEqual(Option.none())
    }))

  it.scoped("one watchdog for the scheduler's stores: a call with a shorter limit made after one with a longer limit times out at its own limit, the longer one at its own", () =>
    Effect.gen(function*() {
      const fibers = yield* FiberSet.make<unknown, unknown>()
      const clock = yield* Effect.clock
      const interrupted = { n: 0 }
      const dog = new Watchdog(clock, fibers)
      const slow = withStoreTimeout(hanging({ on: true }, interrupted), "slow", 10_000, dog)
      const fast = withStoreTimeout(hanging({ on: true }, interrupted), "fast", 1_000, dog)
      const a = yield* Effect.fork(Effect.exit(slow.lookup("a")))
      yield* settle
      yield* TestClock.adjust(500)
      const b = yield* Effect.fork(Effect.exit(fast.lookup("b")))
      yield* settle
      yield* TestClock.adjust(1_000) // t = 1500: b's deadline
      yield* settle
      expect(yield* Fiber.join(b)).toEqual(Exit.fail(new StoreError({ store: "fast", operation: "lookup", reason: "no answer within 1000 ms" })))
      expect(Option.isNone(yield* Fiber.poll(a))).toBe(true)
      yield* TestClock.adjust(8_500) // t = 10,000: a's deadline
      yield* settle
      expect(yield* Fiber.join(a)).toEqual(Exit.fail(new StoreError({ store: "slow", operation: "lookup", reason: "no answer within 10000 ms" })))
      expect(interrupted.n).toBe(2)
    }))

  it.scoped("calls that answer leave no fiber behind but the watchdog's one sleeper, which parks when it wakes with no call in flight and serves the next call; an interruptible caller interrupted while waiting interrupts its call", () =>
    Effect.gen(function*() {
      const fibers = yield* FiberSet.make<unknown, unknown>()
      const gate = { on: false }
      const interrupted = { n: 0 }
      const store = withStoreTimeout(hanging(gate, interrupted), "db", 1500, new Watchdog(yield* Effect.clock, fibers))
      for (let i = 0; i < 100; i++) yield* store.lookup("a")
      yield* settle
      expect(yield* FiberSet.size(fibers)).toBe(1)
      // the sleeper parks when it wakes with no call in flight
      yield* TestClock.adjust(1500)
      yield* settle
      expect(yield* FiberSet.size(fibers)).toBe(1)
      gate.on = true
      const caller = yield* Effect.fork(store.lookup("b"))
      yield* settle
      expect(yield* FiberSet.size(fibers)).toBe(2) // the call, and the same sleeper (none forked)
      yield* Fiber.interrupt(caller)
      yield* settle
      expect(interrupted.n).toBe(1)
      expect(yield* FiberSet.size(fibers)).toBe(1)
      // the parked sleeper still times calls out
      const late = yield* Effect.fork(Effect.exit(store.lookup("c")))
      yield* settle
      yield* TestClock.adjust(1500)
      expect(yield* Fiber.join(late)).toEqual(Exit.fail(new StoreError({ store: "db", operation: "lookup", reason: "no answer within 1500 ms" })))
    }))

  it.effect("closing the scheduler's fiber set interrupts the hung calls and the sleeper: nothing keeps running; a caller gets the interruption", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const fibers = yield* Scope.extend(FiberSet.make<unknown, unknown>(), scope)
      const interrupted = { n: 0 }
      const store = withStoreTimeout(hanging({ on: true }, interrupted), "db", 1500, new Watchdog(yield* Effect.clock, fibers))
      const callers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(Effect.exit(Effect.uninterruptible(store.lookup("a")))))
      yield* settle
      expect(yield* FiberSet.size(fibers)).toBe(4) // three calls and the sleeper
      yield* Scope.close(scope, Exit.void)
      yield* settle
      expect(interrupted.n).toBe(3)
      for (const caller of callers) expect(Exit.isInterrupted(yield* Fiber.join(caller))).toBe(true)
      // the clock passes the limit: nothing fires any more
      yield* TestClock.adjust(5_000)
      yield* settle
      expect(interrupted.n).toBe(3)
    }))
})
