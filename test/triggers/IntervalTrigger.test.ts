import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { iterateFastForward } from "../../src/triggers/Combining.js"
import { unsafeCompile } from "../../src/triggers/compile.js"

const T0 = Date.UTC(2024, 0, 1)

describe("IntervalTrigger", () => {
  it("is absolute time across DST (days=1 is 86,400 s)", () => {
    const t = unsafeCompile({ type: "interval", days: 1, startDate: "2024-03-09 12:00:00", timezone: "America/New_York" })
    const first = t.next(undefined, Date.UTC(2024, 2, 9))!
    expect(new Date(first).toISOString()).toBe("2024-03-09T17:00:00.000Z")
    expect(new Date(t.next(first, first)!).toISOString()).toBe("2024-03-10T17:00:00.000Z") // 13:00 EDT
  })

  it("aligns to the start date; a boundary now fires now; end date is inclusive", () => {
    const t = unsafeCompile({ type: "interval", hours: 1, startDate: "2024-01-01 00:00:00", endDate: "2024-01-01 03:00:00", timezone: "UTC" })
    expect(t.next(undefined, T0 + 3_600_000)).toBe(T0 + 3_600_000)
    expect(t.next(undefined, T0 + 3_600_001)).toBe(T0 + 7_200_000)
    expect(t.next(T0 + 3 * 3_600_000, T0)).toBeUndefined()
    expect(t.next(T0 + 2 * 3_600_000, T0)).toBe(T0 + 3 * 3_600_000)
  })

  it("zero interval becomes one second; jitter adds up to `jitter` seconds", () => {
    const zero = unsafeCompile({ type: "interval", startDate: "2024-01-01", timezone: "UTC" })
    expect(zero.next(T0, T0)).toBe(T0 + 1000)
    const j = unsafeCompile({ type: "interval", minutes: 1, jitter: 10, startDate: "2024-01-01", timezone: "UTC" })
    expect(j.next(T0, T0, 0)).toBe(T0 + 60_000)
    expect(j.next(T0, T0, 0.5)).toBe(T0 + 65_000)
  })

  it("fastForward agrees with walking the chain", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.option(fc.integer({ min: 0, max: 1_000_000 })), (seconds, span, endSpan) => {
        const spec = { type: "interval", seconds: seconds / 10, startDate: "2024-01-01", timezone: "UTC", ...(endSpan === null ? {} : { endDate: new Date(T0 + endSpan * 100).toISOString().replace("Z", "+00:00") }) }
        const t = unsafeCompile(spec)
        const fast = t.fastForward(T0, T0 + span * 10)
        const slow = iterateFastForward((p, n) => t.next(p, n), T0, T0 + span * 10)
        expect(fast).toEqual(slow)
      }),
      { numRuns: 300 }
    )
  })
})
