import { describe, expect, it } from "@effect/vitest"
import { unsafeCompile } from "../../src/triggers/compile.js"

const T0 = Date.UTC(2024, 0, 1)
const H = 3_600_000
const every = (hours: number) => ({ type: "interval", hours, startDate: "2024-01-01 00:00:00", timezone: "UTC" }) as const

describe("and / or triggers", () => {
  it("and: the earliest time all triggers agree on", () => {
    const t = unsafeCompile({ type: "and", triggers: [every(2), every(3)] })
    const first = t.next(undefined, T0 + 1)!
    expect(first).toBe(T0 + 6 * H)
    expect(t.next(first, first)).toBe(T0 + 12 * H)
    expect(String(t)).toBe("and[interval[2:00:00], interval[3:00:00]]")
  })

  it("and: gives up (none) when the triggers never agree, instead of looping forever", () => {
    const t = unsafeCompile({ type: "and", triggers: [every(2), { type: "interval", hours: 2, startDate: "2024-01-01 01:00:00", timezone: "UTC" }] })
    expect(t.next(undefined, T0)).toBeUndefined()
  })

  it("and: none once any trigger is exhausted", () => {
    const t = unsafeCompile({ type: "and", triggers: [every(1), { type: "date", runDate: "2024-01-01 05:00:00", timezone: "UTC" }] })
    expect(t.next(undefined, T0)).toBe(T0 + 5 * H)
    expect(t.next(T0 + 5 * H, T0 + 5 * H)).toBeUndefined()
  })

  it("or: the earliest of any trigger", () => {
    const t = unsafeCompile({ type: "or", triggers: [{ type: "date", runDate: "2024-01-01 01:30:00", timezone: "UTC" }, every(2)] })
    expect(t.next(undefined, T0 + 1)).toBe(T0 + 1.5 * H)
    expect(t.next(T0 + 1.5 * H, T0 + 1.5 * H)).toBe(T0 + 3.5 * H) // APScheduler: each trigger continues from the previous fire
    const ff = t.fastForward(T0, T0 + 10 * H)
    expect(ff.count).toBeGreaterThan(0)
  })
})
