import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { makeLock } from "../../src/scheduler/internal/mutex.js"

describe("the job API's lock", () => {
  it.effect("runs one section at a time: a second waits until the first ends, then runs", () =>
    Effect.gen(function*() {
      const locked = makeLock()
      const log: Array<string> = []
      const section = (name: string) =>
        locked(Effect.gen(function*() {
          log.push(`${name} in`)
          yield* Effect.sleep("1 second")
          log.push(`${name} out`)
        }))
      const fibers = yield* Effect.forkAll([section("a"), section("b"), section("c")])
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.join(fibers)
      expect(log).toEqual(["a in", "a out", "b in", "b out", "c in", "c out"])
    }))

  it.effect("is released when its section fails or is interrupted, and an interrupted waiter blocks nobody", () =>
    Effect.gen(function*() {
      const locked = makeLock()
      expect(yield* Effect.flip(locked(Effect.fail("boom")))).toBe("boom")
      const holder = yield* Effect.fork(locked(Effect.never))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(locked(Effect.succeed("waiter")))
      const other = yield* Effect.fork(locked(Effect.succeed("other")))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiter)
      yield* Fiber.interrupt(holder)
      expect(yield* Fiber.join(other)).toBe("other")
      expect(yield* locked(Effect.succeed("after"))).toBe("after")
    }))
})
