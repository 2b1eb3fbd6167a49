/**
 * Many interval jobs, random periods and random clock steps: every job runs exactly at its start
 * date plus multiples of its period, never twice, never late (TestClock replays every wake-up).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { iso, SEC, T0, withScheduler } from "./helpers.js"

const lcg = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

describe("many jobs, random steps", () => {
  for (const seed of [1, 2, 3]) {
    it.effect(`seed ${seed}: each job runs on its own grid`, () =>
      withScheduler((scheduler) =>
        Effect.gen(function*() {
          const rnd = lcg(seed)
          const jobs = Array.from({ length: 10 }, (_, i) => ({
            id: `j${i}`,
            period: 5 + Math.floor(rnd() * 90),
            start: Math.floor(rnd() * 120)
          }))
          for (const j of jobs) {
            yield* scheduler.addJob(() => 1, {
              id: j.id,
              trigger: "interval",
              triggerArgs: { seconds: j.period, startDate: iso(T0 + j.start * SEC) }
            })
          }
          const all = []
          let elapsed = 0
          while (elapsed < 600) {
            const step = 1 + Math.floor(rnd() * 200)
            all.push(...(yield* TestScheduler.advance(step * SEC)))
            elapsed += step
          }
          for (const j of jobs) {
            const expected: Array<number> = []
            for (let t = j.start; t <= elapsed; t += j.period) expected.push(T0 + t * SEC)
            expect(TestScheduler.executed(all, j.id)).toEqual(expected)
          }
          expect(all.some((e) => e._tag === "JobMissed" || e._tag === "JobMaxInstances")).toBe(false)
        })
      ))
  }
})
