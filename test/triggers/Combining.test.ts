import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { planRuns } from "../../src/planning/planRuns.js"
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

describe("and / or fastForward agrees with walking next()", () => {
  const M = 60_000
  const defined = <A extends Record<string, unknown>>(r: A) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))
  const cronArb = fc.record({
    type: fc.constant("cron" as const),
    minute: fc.constantFrom("*/7", "0,30", "*/15", "5-10", "*"),
    second: fc.constantFrom("0", "0,30", "*/20"),
    hour: fc.constantFrom(undefined, "*", "1-3", "*/2"),
    timezone: fc.constantFrom("UTC", "America/New_York", "Europe/Dublin"),
    endDate: fc.constantFrom(undefined, "2024-03-10 08:00:00")
  }).map(defined)
  const intervalArb = (seconds: fc.Arbitrary<number>) =>
    fc.record({
      type: fc.constant("interval" as const),
      seconds,
      startDate: fc.constantFrom("2024-03-09 00:00:00", "2024-03-09 00:00:00.250000"),
      endDate: fc.constantFrom(undefined, "2024-03-09 12:00:00", "2024-03-10 03:00:00"),
      timezone: fc.constant("UTC")
    }).map(defined)
  const dateArb = fc.constantFrom("2024-03-09 01:00:00", "2024-03-10 02:30:00").map((runDate) => ({ type: "date", runDate, timezone: "America/New_York" }))
  const leaf = fc.oneof({ weight: 3, arbitrary: cronArb }, { weight: 3, arbitrary: intervalArb(fc.constantFrom(20, 45, 60, 61.5, 333.333333, 600, 0.5)) }, { weight: 1, arbitrary: dateArb })
  // intervals on the crons' 20 s grid: an `and` whose chain starts on that grid agrees within a few
  // rounds (triggers that never agree make every `next()` of the walk below search 10,000 rounds;
  // the give-up itself is pinned above)
  const gridLeaf = fc.oneof({ weight: 3, arbitrary: cronArb }, { weight: 3, arbitrary: intervalArb(fc.constantFrom(20, 60, 600)) }, { weight: 1, arbitrary: dateArb })
  const combo = (type: string, members: fc.Arbitrary<unknown>) => fc.record({ type: fc.constant(type), triggers: fc.array(members, { minLength: 1, maxLength: 3 }) })
  /** A tree of at most `depth` combinator levels below the root. */
  const tree = (leaves: fc.Arbitrary<unknown>, types: ReadonlyArray<string>, depth: number): fc.Arbitrary<unknown> =>
    depth === 0 ? leaves : fc.oneof({ weight: 2, arbitrary: leaves }, ...types.map((type) => ({ weight: 1, arbitrary: combo(type, tree(leaves, types, depth - 1)) })))
  /** A spec and the fraction of a millisecond its chain starts at. */
  const caseArb = fc.oneof(
    // `or` trees: any interval, any phase
    fc.tuple(combo("or", tree(leaf, ["or"], 2)), fc.constantFrom(0, 0.25, 500)),
    // `and`/`or` trees on the grid, starting on it
    fc.tuple(fc.constantFrom("and", "or").chain((type) => combo(type, tree(gridLeaf, ["and", "or"], 2))), fc.constant(0))
  )

  it("random nested and/or specs of cron, interval and date triggers: count, last and next agree (0 disagreements)", () => {
    let checked = 0
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 36 * 60 }), fc.integer({ min: 0, max: 8 * 60 }), ([spec, frac], startMin, lengthMin) => {
        const t = unsafeCompile(spec)
        const prev = Date.UTC(2024, 2, 9) + startMin * M + frac
        const target = prev + lengthMin * M + (frac === 500 ? 0.5 : 0)
        // the walk, one fire at a time (windows with very many fires are skipped)
        let count = 0
        let last: number | undefined
        let f = t.next(prev, prev)
        while (f !== undefined && f < target && count < 1_000) {
          count++
          last = f
          f = t.next(f, f)
        }
        if (count >= 1_000) return
        checked++
        const ff = t.fastForward(prev, target)
        expect({ spec, prev, target, count: ff.count, last: ff.last, next: ff.next }).toEqual({ spec, prev, target, count, last, next: f })
      }),
      { numRuns: 400, seed: 77 }
    )
    expect(checked).toBeGreaterThan(300)
  })

  it("a walked fire exactly on the target is next, not last", () => {
    const t = unsafeCompile({ type: "or", triggers: [every(2), { type: "cron", hour: "*/3", minute: 30, timezone: "UTC" }] })
    // from T0: 00:30 (cron beats 02:00), 02:30 (2 h after it), 03:30 (cron beats 04:30): on the target
    const ff = t.fastForward(T0, T0 + 3.5 * H)
    expect([ff.count, ff.last, ff.next]).toEqual([2, T0 + 2.5 * H, T0 + 3.5 * H])
  })
})

describe("and / or fastForward does not walk the backlog", () => {
  const S = 1_000
  const perSecondOr = unsafeCompile({
    type: "or",
    triggers: [
      { type: "interval", seconds: 1, startDate: "2024-01-01 00:00:00", timezone: "UTC" },
      { type: "interval", seconds: 3, startDate: "2024-01-01 00:00:00.500000", timezone: "UTC" }
    ]
  })

  it("or of two per-second interval triggers 30 days late: planRuns coalesces to now, next one second later", () => {
    const now = T0 + 30 * 24 * H
    const plan = planRuns({ nextRunTime: T0, trigger: perSecondOr, now, misfireGraceTime: 60, coalesce: true })
    expect([plan.runTimes, plan.missed, plan.nextRunTime]).toEqual([[now], [], now + S])
  })

  it("or of interval triggers 100 years late: count, last and next by arithmetic (a walk would take 3e9 steps)", () => {
    const target = T0 + 36_525 * 24 * H + 0.5
    const ff = perSecondOr.fastForward(T0, target)
    expect([ff.count, ff.last, ff.next]).toEqual([36_525 * 86_400, T0 + 36_525 * 24 * H, T0 + 36_525 * 24 * H + S])
  })

  it("or of interval triggers whose shortest one ends: the next shortest takes over from its last fire", () => {
    const t = unsafeCompile({
      type: "or",
      triggers: [
        { type: "interval", hours: 1, endDate: "2024-01-01 03:30:00", timezone: "UTC" },
        { type: "interval", hours: 5, timezone: "UTC" }
      ]
    })
    // 01:00, 02:00, 03:00 (hourly until 03:30), then every 5 h from 03:00: 08:00, 13:00, …
    const ff = t.fastForward(T0, T0 + 1_000 * 5 * H + 3 * H)
    expect([ff.count, ff.last, ff.next]).toEqual([3 + 999, T0 + 999 * 5 * H + 3 * H, T0 + 1_000 * 5 * H + 3 * H])
  })

  it("and of two cron triggers 10 years late: last and next from a bounded search around the target", () => {
    // midnight on Mondays that are the 13th
    const t = unsafeCompile({ type: "and", triggers: [{ type: "cron", hour: 0, minute: 0, day: 13, timezone: "UTC" }, { type: "cron", hour: 0, minute: 0, dayOfWeek: "mon", timezone: "UTC" }] })
    const ff = t.fastForward(Date.UTC(2014, 0, 1), Date.UTC(2024, 2, 1))
    expect([ff.last, ff.next]).toEqual([Date.UTC(2023, 10, 13), Date.UTC(2024, 4, 13)])
    expect(ff.count).toBe(19) // read lazily: the walk happens only here
  })
})
