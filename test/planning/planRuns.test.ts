import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { planRuns, validateMisfireGraceTime } from "../../src/planning/planRuns.js"
import { unsafeCompile } from "../../src/triggers/compile.js"

const T0 = Date.UTC(2024, 0, 1)
const everySecond = unsafeCompile({ type: "interval", seconds: 1, startDate: "2014-01-01 00:00:00", timezone: "UTC" })
const everyMinute = unsafeCompile({ type: "interval", minutes: 1, startDate: "2024-01-01 00:00:00", timezone: "UTC" })

describe("planRuns", () => {
  it("does nothing before the next run time", () => {
    const plan = planRuns({ nextRunTime: T0 + 1000, trigger: everyMinute, now: T0, misfireGraceTime: 1, coalesce: true })
    expect(plan).toMatchObject({ due: false, runTimes: [], missed: [], nextRunTime: T0 + 1000, jobRemoved: false })
  })

  it("a run 1 s late runs, 2 s late is missed (grace 1 s)", () => {
    const onTime = planRuns({ nextRunTime: T0, trigger: everyMinute, now: T0 + 1000, misfireGraceTime: 1, coalesce: false })
    expect(onTime.runTimes).toEqual([T0])
    expect(onTime.missed).toEqual([])
    const late = planRuns({ nextRunTime: T0, trigger: everyMinute, now: T0 + 2000, misfireGraceTime: 1, coalesce: false })
    expect(late.runTimes).toEqual([])
    expect(late.missed).toEqual([T0])
    expect(late.missedSummary).toEqual({ first: T0, last: T0, count: 1 })
    expect(late.nextRunTime).toBe(T0 + 60_000)
  })

  it("coalesce off: every run time inside the grace window runs, older ones are missed", () => {
    const plan = planRuns({ nextRunTime: T0, trigger: everyMinute, now: T0 + 3_600_000, misfireGraceTime: 600, coalesce: false })
    expect(plan.runTimes).toHaveLength(11) // minutes 50..60
    expect(plan.runTimes[0]).toBe(T0 + 50 * 60_000)
    expect(plan.missedSummary).toEqual({ first: T0, last: T0 + 49 * 60_000, count: 50 })
    expect(plan.missed).toHaveLength(50)
    expect(plan.nextRunTime).toBe(T0 + 61 * 60_000)
  })

  it("coalesce on: one run for the whole backlog", () => {
    const plan = planRuns({ nextRunTime: T0, trigger: everyMinute, now: T0 + 3_600_000 + 5, misfireGraceTime: 60, coalesce: true })
    expect(plan.runTimes).toEqual([T0 + 3_600_000])
    expect(plan.missed).toEqual([])
    expect(plan.nextRunTime).toBe(T0 + 61 * 60_000)
  })

  it("coalesce on with the last run outside the grace window: one miss", () => {
    const plan = planRuns({ nextRunTime: T0, trigger: everyMinute, now: T0 + 3_630_000, misfireGraceTime: 10, coalesce: true })
    expect(plan.runTimes).toEqual([])
    expect(plan.missed).toEqual([T0 + 3_600_000])
  })

  it("unlimited grace runs everything (coalesce off)", () => {
    const plan = planRuns({ nextRunTime: T0, trigger: everyMinute, now: T0 + 10 * 60_000, misfireGraceTime: null, coalesce: false })
    expect(plan.runTimes).toHaveLength(11)
    expect(plan.missedSummary).toBeUndefined()
  })

  it("a per-second job 10 years late: the backlog is a summary, not one object per run", () => {
    const now = Date.UTC(2024, 0, 1)
    const plan = planRuns({ nextRunTime: Date.UTC(2014, 0, 1), trigger: everySecond, now, misfireGraceTime: 60, coalesce: false })
    expect(plan.runTimes).toHaveLength(61)
    expect(plan.runTimes[0]).toBe(now - 60_000)
    expect(plan.missed).toEqual([])
    expect(plan.missedSummary).toEqual({ first: Date.UTC(2014, 0, 1), last: now - 61_000, count: (now - Date.UTC(2014, 0, 1)) / 1000 - 60 })
    expect(plan.nextRunTime).toBe(now + 1000)
  })

  it("removes the job when the trigger is exhausted", () => {
    const once = unsafeCompile({ type: "date", runDate: "2024-01-01 00:00:00", timezone: "UTC" })
    const plan = planRuns({ nextRunTime: T0, trigger: once, now: T0, misfireGraceTime: 1, coalesce: true })
    expect(plan).toMatchObject({ due: true, runTimes: [T0], jobRemoved: true, nextRunTime: undefined })
  })

  it("validates misfire grace times", () => {
    expect(validateMisfireGraceTime(null)).toEqual(Either.right(null))
    expect(validateMisfireGraceTime(1.5)).toEqual(Either.right(1.5))
    for (const bad of [0, -1, Number.NaN, Infinity, "30", {}]) {
      const r = validateMisfireGraceTime(bad)
      expect(Either.isLeft(r) && r.left.field).toBe("misfireGraceTime")
    }
  })
})

describe("planRuns next to a UTC-offset change (a fire exactly 24 h before it)", () => {
  const hourly = unsafeCompile({ type: "cron", minute: 0, timezone: "America/New_York" })
  const at2 = unsafeCompile({ type: "cron", hour: 2, minute: 0, timezone: "America/New_York" })
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString())
  const view = (plan: ReturnType<typeof planRuns>) => ({
    runTimes: plan.runTimes.map(iso),
    missed: plan.missed.map(iso),
    nextRunTime: iso(plan.nextRunTime)
  })

  it("New York {minute: 0}, 2.5 h late a day before fall back, coalesce, no grace limit: runs 06:00Z, next 07:00Z", () => {
    const plan = planRuns({
      nextRunTime: Date.parse("2024-11-02T04:00:00Z"),
      trigger: hourly,
      now: Date.parse("2024-11-02T06:30:00Z"),
      misfireGraceTime: null,
      coalesce: true
    })
    expect(view(plan)).toEqual({ runTimes: ["2024-11-02T06:00:00.000Z"], missed: [], nextRunTime: "2024-11-02T07:00:00.000Z" })
  })

  it("New York {hour: 2, minute: 0}, a day late before fall back, grace 3600 s, coalesce: runs Nov 2 06:00Z, next Nov 3 07:00Z", () => {
    const plan = planRuns({
      nextRunTime: Date.parse("2024-11-01T06:00:00Z"),
      trigger: at2,
      now: Date.parse("2024-11-02T06:30:00Z"),
      misfireGraceTime: 3600,
      coalesce: true
    })
    expect(view(plan)).toEqual({ runTimes: ["2024-11-02T06:00:00.000Z"], missed: [], nextRunTime: "2024-11-03T07:00:00.000Z" })
  })

  it("New York {hour: 2, minute: 0}, a day late before spring forward, grace 3600 s, coalesce: runs Mar 9 07:00Z, next Mar 10 07:00Z", () => {
    const plan = planRuns({
      nextRunTime: Date.parse("2024-03-08T07:00:00Z"),
      trigger: at2,
      now: Date.parse("2024-03-09T07:30:00Z"),
      misfireGraceTime: 3600,
      coalesce: true
    })
    // 2024-03-10 02:00 EST does not exist: it fires shifted by the gap, at 03:00 EDT = 07:00Z
    expect(view(plan)).toEqual({ runTimes: ["2024-03-09T07:00:00.000Z"], missed: [], nextRunTime: "2024-03-10T07:00:00.000Z" })
  })

  it("cron fastForward keeps a fire exactly one day before an offset change as its last fire", () => {
    const ff = hourly.fastForward(Date.parse("2024-11-02T04:00:00Z"), Date.parse("2024-11-02T06:30:00Z"))
    expect({ count: ff.count, last: iso(ff.last), next: iso(ff.next) })
      .toEqual({ count: 2, last: "2024-11-02T06:00:00.000Z", next: "2024-11-02T07:00:00.000Z" })
  })
})

describe("planRuns in whole microseconds", () => {
  it("a run late by exactly the grace time runs (interval 0.333333 s, 42 intervals + 1 s late, grace 1 s)", () => {
    const trigger = unsafeCompile({ type: "interval", seconds: 0.333333, startDate: "2024-01-01 00:00:00", timezone: "UTC" })
    const fire42 = T0 * 1000 + 42 * 333_333
    const plan = planRuns({ nextRunTime: T0, trigger, now: (fire42 + 1_000_000) / 1000, misfireGraceTime: 1, coalesce: false })
    expect(Math.round(plan.runTimes[0]! * 1000)).toBe(fire42)
    expect(plan.runTimes).toHaveLength(4) // fires 42..45
    expect(plan.missedSummary?.count).toBe(42)
    expect(Math.round(plan.missedSummary!.last * 1000)).toBe(fire42 - 333_333)
  })
})
