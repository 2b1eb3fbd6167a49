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

describe("IntervalTrigger in whole microseconds, as APScheduler", () => {
  const T0_US = T0 * 1000
  const thirds = unsafeCompile({ type: "interval", seconds: 0.333333, startDate: "2024-01-01 00:00:00", timezone: "UTC" })
  const us = (t: number | undefined) => (t === undefined ? undefined : Math.round(t * 1000))

  it("seconds 0.333333, now exactly startDate + 632 intervals: fires at now", () => {
    const now = (T0_US + 632 * 333_333) / 1000
    expect(us(thirds.next(undefined, now))).toBe(T0_US + 632 * 333_333)
  })

  it("{days: 1, seconds: 2.5e-6} is 86,400,000,002 µs (timedelta rounds half to even)", () => {
    const t = unsafeCompile({ type: "interval", days: 1, seconds: 2.5e-6, startDate: "2024-01-01 00:00:00", timezone: "UTC" })
    expect(us(t.next(T0, T0))).toBe(T0_US + 86_400_000_002)
    expect(String(t)).toBe("interval[1 day, 0:00:00.000002]")
  })

  it("a chain of 100,000 next() calls of 0.333333 s does not drift", () => {
    let f = T0
    for (let i = 0; i < 100_000; i++) f = thirds.next(f, f)!
    expect(us(f)).toBe(T0_US + 100_000 * 333_333)
  })

  it("fastForward to a target that is exactly a fire time: that fire is next, as with next()", () => {
    for (const k of [1, 2, 42, 632, 99_999]) {
      const fire = (T0_US + k * 333_333) / 1000
      const ff = thirds.fastForward(T0, fire)
      expect([k, ff.count, us(ff.last), us(ff.next)]).toEqual([k, k - 1, k > 1 ? T0_US + (k - 1) * 333_333 : undefined, T0_US + k * 333_333])
      expect(ff).toEqual(iterateFastForward((p, n) => thirds.next(p, n), T0, fire))
    }
  })

  it("fastForward agrees with walking next() for fractional intervals and microsecond targets", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000_000 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -2, max: 2 }), (intervalUs, k, nudge) => {
        const t = unsafeCompile({ type: "interval", seconds: intervalUs / 1e6, startDate: "2024-01-01 00:00:00", timezone: "UTC" })
        const step = Math.round(t.next(T0, T0)! * 1000) - T0_US
        const target = (T0_US + k * step + nudge) / 1000
        expect(t.fastForward(T0, target)).toEqual(iterateFastForward((p, n) => t.next(p, n), T0, target))
      }),
      { numRuns: 300, seed: 7 }
    )
  })
})
