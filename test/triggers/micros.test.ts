import { describe, expect, it } from "@effect/vitest"
import { addMul, timedeltaMicros, timedeltaSeconds, toMicros, toMillis } from "../../src/triggers/internal/micros.js"

describe("whole-microsecond arithmetic (Python timedelta)", () => {
  it("timedelta(...) fields: integer parts exact, fractions rounded once, half to even", () => {
    expect(timedeltaMicros({ days: 1, seconds: 2.5e-6 })).toBe(86_400_000_002n)
    expect(timedeltaMicros({ seconds: 0.333333 })).toBe(333_333n)
    expect(timedeltaMicros({ weeks: 2, days: 1, hours: 1, minutes: 1, seconds: 1 })).toBe(((15n * 24n + 1n) * 60n + 1n) * 60_000_000n + 1_000_000n)
    expect(timedeltaMicros({ seconds: 4e-7 })).toBe(0n)
    expect(timedeltaMicros({ weeks: 1e9 })).toBe(604_800_000_000n * 1_000_000_000n)
  })

  it("timedelta_seconds and exact a + b * n", () => {
    expect(timedeltaSeconds(210_666_456)).toBe(210.666456)
    expect(timedeltaSeconds(-1)).toBe(-1 + 0.999999)
    expect(addMul(2 ** 52, 3, 2 ** 50)).toBe(Number(2n ** 52n + 3n * 2n ** 50n))
    expect(toMicros(toMillis(1_704_067_214_999_986))).toBe(1_704_067_214_999_986)
  })
})
