/**
 * Property tests: cron-parser agreement (standard flavor), chain invariants, fastForward against
 * naive iteration.
 */
import { describe, expect, it } from "@effect/vitest"
import { CronExpressionParser } from "cron-parser"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { DateTime } from "luxon"
import { compileCron, type CronTriggerSpec, fromCrontab } from "../../../src/triggers/CronTrigger.js"

const DST_ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Chatham"]
const ALL_ZONES = ["UTC", "Asia/Kolkata", ...DST_ZONES]

/** A random crontab field: `*`, `*\/n`, a value, a range, a stepped range or a list. */
const fieldArb = (min: number, max: number, allowStar = true): fc.Arbitrary<string> => {
  const value = fc.integer({ min, max })
  const range = fc.tuple(value, value).map(([a, b]) => (a <= b ? `${a}-${b}` : `${b}-${a}`))
  const options: Array<fc.Arbitrary<string>> = [
    value.map(String),
    range,
    fc.tuple(range, fc.integer({ min: 1, max: Math.max(1, Math.floor((max - min) / 2)) })).map(([r, s]) => `${r}/${s}`),
    fc.uniqueArray(value, { minLength: 2, maxLength: 4 }).map((vs) => vs.join(","))
  ]
  if (allowStar) {
    options.push(fc.constant("*"), fc.integer({ min: 2, max: Math.max(2, Math.floor((max - min) / 2)) }).map((s) => `*/${s}`))
  }
  return fc.oneof(...options)
}

/** Standard crontab text; in DST zones the hours stay away from every zone's transitions. */
const crontabArb = (safeHours: boolean) =>
  fc.tuple(
    fieldArb(0, 59),
    safeHours ? fieldArb(5, 20, false) : fieldArb(0, 23),
    fc.oneof(fc.constant("*"), fieldArb(1, 28), fieldArb(1, 31)),
    fc.oneof(fc.constant("*"), fieldArb(1, 12)),
    fc.oneof(fc.constant("*"), fc.constant("*"), fieldArb(0, 7, false))
  ).map((fs) => fs.join(" "))

const nowArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2035, 0, 1) }).map((t) => Math.floor(t / 1000) * 1000 + 500)

const ourChain = (spec: CronTriggerSpec, now: number, n: number): Array<number> => {
  const t = Either.getOrThrow(compileCron(spec))
  const out: Array<number> = []
  let prev: number | undefined
  for (let i = 0; i < n; i++) {
    const f = prev === undefined ? t.next(undefined, now) : t.next(prev, prev)
    if (f === undefined) break
    out.push(f)
    prev = f
  }
  return out
}

/** cron-parser's chain, or `undefined` when cron-parser rejects the text or gives up searching. */
const parserChain = (text: string, tz: string, now: number, n: number): Array<number> | undefined => {
  try {
    const it = CronExpressionParser.parse(text, { currentDate: new Date(now), tz })
    const out: Array<number> = []
    for (let i = 0; i < n; i++) out.push(it.next().getTime())
    return out
  } catch {
    return undefined
  }
}

/**
 * cron-parser ORs the day fields unless one is exactly `*` or `?`; Vixie cron / cronie (and we) AND
 * them as soon as one *starts with* `*` (`*\/2`): those texts are compared in CronTrigger.test.ts.
 */
const dayRulesDiffer = (text: string): boolean => {
  const [, , dom, , dow] = text.split(" ") as [string, string, string, string, string]
  const star = (f: string) => f === "*" || f === "?"
  return (dom.startsWith("*") && !star(dom) && !star(dow)) || (dow.startsWith("*") && !star(dow) && !star(dom))
}

describe("fromCrontab standard flavor agrees with cron-parser", () => {
  it("UTC, any expression", () => {
    fc.assert(
      fc.property(crontabArb(false), nowArb, (text, now) => {
        const expected = parserChain(text, "UTC", now, 6)
        fc.pre(expected !== undefined && !dayRulesDiffer(text))
        const spec = Either.getOrThrow(fromCrontab(text, { timezone: "UTC" }))
        expect(ourChain(spec, now, 6)).toEqual(expected)
      }),
      { numRuns: 400, seed: 42 }
    )
  })
  it("DST zones, hours away from transitions", () => {
    fc.assert(
      fc.property(crontabArb(true), nowArb, fc.constantFrom(...DST_ZONES), (text, now, tz) => {
        const expected = parserChain(text, tz, now, 6)
        fc.pre(expected !== undefined && !dayRulesDiffer(text))
        const spec = Either.getOrThrow(fromCrontab(text, { timezone: tz }))
        expect(ourChain(spec, now, 6)).toEqual(expected)
      }),
      { numRuns: 300, seed: 7 }
    )
  })
  it("macros, names, L, nth and last weekday", () => {
    const now = Date.UTC(2024, 0, 1, 0, 0, 0, 500)
    for (const text of ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly", "0 9 * jan-mar mon-fri", "30 8 L * *", "0 12 * * 5#3", "0 12 * * 5L", "0 6 15 * 5L", "0 0 1,15 * 1", "0 0 1-31 * 1", "15 10 * * 7"]) {
      const spec = Either.getOrThrow(fromCrontab(text, { timezone: "Europe/Berlin" }))
      expect([text, ourChain(spec, now, 8)]).toEqual([text, parserChain(text, "Europe/Berlin", now, 8)])
    }
    // cron-parser has no @midnight; it is @daily
    expect(fromCrontab("@midnight")).toEqual(fromCrontab("@daily"))
  })
})

// --- random APScheduler-style specs with an independent oracle ----------------------------------

interface RandomSpec {
  readonly spec: CronTriggerSpec
  readonly sets: { month: Set<number>; day: Set<number>; dow: Set<number>; hour: Set<number>; minute: Set<number>; second: Set<number> }
}

const setArb = (min: number, max: number, maxLength: number) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<Array<number> | undefined>(undefined) },
    { weight: 3, arbitrary: fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength }) }
  )

const randomSpecArb: fc.Arbitrary<RandomSpec> = fc
  .record({
    month: setArb(1, 12, 6),
    day: setArb(1, 31, 8),
    dow: setArb(0, 6, 4),
    hour: setArb(0, 23, 6),
    minute: setArb(0, 59, 6),
    second: setArb(0, 59, 4),
    zone: fc.constantFrom(...ALL_ZONES)
  })
  .map((r) => {
    const spec: Record<string, unknown> = { type: "cron", timezone: r.zone }
    const names = ["month", "day", "dow", "hour", "minute", "second"] as const
    const keys = { month: "month", day: "day", dow: "dayOfWeek", hour: "hour", minute: "minute", second: "second" }
    // APScheduler's default rule for the oracle: below the least significant given field: minimum
    const given = names.filter((n) => r[n] !== undefined)
    const least = given.length === 0 ? -1 : names.indexOf(given[given.length - 1]!)
    const full = (a: number, b: number) => new Set(Array.from({ length: b - a + 1 }, (_, i) => a + i))
    const ranges = { month: [1, 12], day: [1, 31], dow: [0, 6], hour: [0, 23], minute: [0, 59], second: [0, 59] } as const
    const sets = {} as RandomSpec["sets"]
    names.forEach((n, i) => {
      const vs = r[n]
      if (vs !== undefined) {
        spec[keys[n]] = vs.join(",")
        sets[n] = new Set(vs)
      } else if (i > least && least >= 0 && n !== "dow") {
        sets[n] = new Set([ranges[n][0]])
      } else {
        sets[n] = full(ranges[n][0], ranges[n][1])
      }
    })
    return { spec: spec as CronTriggerSpec, sets }
  })

const matchesOracle = (sets: RandomSpec["sets"], instant: number, zone: string): boolean => {
  const d = DateTime.fromMillis(instant, { zone })
  return sets.month.has(d.month) && sets.day.has(d.day) && sets.dow.has(d.weekday - 1) && sets.hour.has(d.hour) &&
    sets.minute.has(d.minute) && sets.second.has(d.second)
}

/** Around DST changes a fire may be a shifted gap reading: check it one gap length earlier too. */
const matchesAround = (sets: RandomSpec["sets"], instant: number, zone: string): boolean => {
  if (matchesOracle(sets, instant, zone)) return true
  const d = DateTime.fromMillis(instant, { zone })
  const before = DateTime.fromMillis(instant - 86_400_000, { zone }).offset
  const gap = (d.offset - before) * 60_000
  if (gap <= 0) return false
  // the gap reading w was read with the offset from before the change: instant = w - before
  const wall = DateTime.fromMillis(instant, { zone: "UTC" }).plus({ minutes: before })
  return sets.month.has(wall.month) && sets.day.has(wall.day) && sets.dow.has(wall.weekday - 1) && sets.hour.has(wall.hour) &&
    sets.minute.has(wall.minute) && sets.second.has(wall.second)
}

describe("chain invariants", () => {
  it("strictly increasing, never before now, every fire matches the spec", () => {
    fc.assert(
      fc.property(randomSpecArb, nowArb, ({ sets, spec }, now) => {
        const t = Either.getOrThrow(compileCron(spec))
        let prev: number | undefined
        let at = now
        for (let i = 0; i < 12; i++) {
          const f = prev === undefined ? t.next(undefined, at) : t.next(prev, prev)
          if (f === undefined) break
          expect(f).toBeGreaterThanOrEqual(Math.ceil(now / 1000) * 1000)
          if (prev !== undefined) expect(f).toBeGreaterThan(prev)
          expect(matchesAround(sets, f, spec.timezone!)).toBe(true)
          prev = f
          at = f
        }
      }),
      { numRuns: 500, seed: 3 }
    )
  })
  it("the same invariants next to DST changes", () => {
    const changes = [
      ["America/New_York", "2024-03-10T07:00:00Z"], ["America/New_York", "2024-11-03T06:00:00Z"],
      ["Europe/Berlin", "2024-03-31T01:00:00Z"], ["Europe/Berlin", "2024-10-27T01:00:00Z"],
      ["Australia/Lord_Howe", "2024-10-05T15:30:00Z"], ["Australia/Lord_Howe", "2024-04-06T15:00:00Z"],
      ["America/Sao_Paulo", "2018-11-04T03:00:00Z"], ["America/Sao_Paulo", "2019-02-17T02:00:00Z"],
      ["Pacific/Chatham", "2024-09-28T14:00:00Z"], ["Pacific/Chatham", "2024-04-06T14:00:00Z"]
    ] as const
    fc.assert(
      fc.property(randomSpecArb, fc.constantFrom(...changes), fc.integer({ min: -6 * 3600, max: 2 * 3600 }), ({ sets, spec }, [zone, at], shift) => {
        const t = Either.getOrThrow(compileCron({ ...spec, timezone: zone }))
        const s2 = sets
        const now = Date.parse(at) + shift * 1000
        let prev: number | undefined
        for (let i = 0; i < 12; i++) {
          const f = prev === undefined ? t.next(undefined, now) : t.next(prev, prev)
          if (f === undefined) break
          expect(f).toBeGreaterThanOrEqual(now)
          if (prev !== undefined) expect(f).toBeGreaterThan(prev)
          expect(matchesAround(s2, f, zone)).toBe(true)
          prev = f
        }
      }),
      { numRuns: 500, seed: 13 }
    )
  })
  it("no matching second is skipped (UTC, dense specs)", () => {
    fc.assert(
      fc.property(randomSpecArb, nowArb, ({ sets, spec }, now) => {
        const t = Either.getOrThrow(compileCron({ ...spec, timezone: "UTC", month: undefined, day: undefined, dayOfWeek: undefined }))
        const first = t.next(undefined, now)
        if (first === undefined) return
        const second = t.next(first, first)
        if (second === undefined || second - first > 3 * 3_600_000) return
        const s2 = { ...sets, month: new Set([...Array(12)].map((_, i) => i + 1)), day: new Set([...Array(31)].map((_, i) => i + 1)), dow: new Set([0, 1, 2, 3, 4, 5, 6]) }
        for (let x = first + 1000; x < second; x += 1000) expect(matchesOracle(s2, x, "UTC")).toBe(false)
      }),
      { numRuns: 200, seed: 5 }
    )
  })
})

describe("fastForward equals naive iteration", () => {
  const denseSpecArb = fc.record({
    hour: fc.option(fieldArb(0, 23), { nil: undefined }),
    minute: fc.option(fieldArb(0, 59), { nil: undefined }),
    second: fc.option(fc.constantFrom("0", "0,30", "*/15", "10-12"), { nil: undefined }),
    day: fc.option(fc.constantFrom("*", "1-10", "last", "2nd sun", "*/3"), { nil: undefined }),
    dayOfWeek: fc.option(fc.constantFrom("*", "mon-fri", "sun", "0,3"), { nil: undefined }),
    timezone: fc.constantFrom(...ALL_ZONES)
  })
  // windows around DST changes of the zones used
  const transitions = [
    Date.parse("2024-03-10T07:00:00Z"), Date.parse("2024-11-03T06:00:00Z"), Date.parse("2024-03-31T01:00:00Z"),
    Date.parse("2024-10-27T01:00:00Z"), Date.parse("2024-10-05T16:00:00Z"), Date.parse("2024-04-06T16:00:00Z"),
    Date.parse("2024-04-06T15:00:00Z"), Date.parse("2024-10-05T15:30:00Z"), Date.parse("2018-11-04T03:00:00Z"),
    Date.parse("2019-02-17T02:00:00Z"), Date.parse("2024-09-28T14:00:00Z"), Date.parse("2024-04-06T14:00:00Z")
  ]
  it("count, last and next over random windows (incl. DST changes)", () => {
    fc.assert(
      fc.property(
        denseSpecArb,
        fc.constantFrom(...transitions),
        fc.integer({ min: -2 * 86_400_000, max: 86_400_000 }),
        fc.integer({ min: 0, max: 3 * 86_400_000 }),
        fc.boolean(),
        (fields, around, offset, length, withEnd) => {
          const spec = { type: "cron" as const, ...fields, ...(withEnd ? { endDate: "2030-01-01 00:00:00" } : {}) }
          const compiled = compileCron(spec)
          fc.pre(Either.isRight(compiled))
          const t = Either.getOrThrow(compiled)
          const prev = around + offset + 137
          const target = prev + length
          // naive
          let count = 0
          let last: number | undefined
          let f = t.next(prev, prev)
          let guard = 0
          while (f !== undefined && f < target && guard++ < 20_000) {
            count++
            last = f
            f = t.next(f, f)
          }
          if (guard >= 20_000) return
          expect(t.fastForward(prev, target)).toEqual({ count, last, next: f })
        }
      ),
      { numRuns: 400, seed: 11 }
    )
  })
  it("fractional targets (microseconds)", () => {
    const t = Either.getOrThrow(compileCron({ type: "cron", month: "*/4", minute: "28-38/5", timezone: "Europe/Berlin" }))
    const prev = Date.parse("2020-01-01T00:38:00+01:00")
    const fire = Date.parse("2020-01-02T00:38:00+01:00")
    expect(t.fastForward(prev, fire + 0.001)).toEqual({ count: 72, last: fire, next: Date.parse("2020-01-02T01:28:00+01:00") })
    expect(t.fastForward(prev, fire)).toEqual({ count: 71, last: Date.parse("2020-01-02T00:33:00+01:00"), next: fire })
  })
  it("respects endDate", () => {
    const t = Either.getOrThrow(compileCron({ type: "cron", minute: "*/10", endDate: "2024-01-01 01:00:00" }))
    const prev = Date.parse("2024-01-01T00:00:00Z")
    expect(t.fastForward(prev, Date.parse("2024-01-02T00:00:00Z"))).toEqual({
      count: 6,
      last: Date.parse("2024-01-01T01:00:00Z"),
      next: undefined
    })
  })
  it("is fast for a per-second job ten years late", () => {
    const t = Either.getOrThrow(compileCron({ type: "cron", second: "*", timezone: "America/New_York" }))
    const prev = Date.parse("2014-01-01T00:00:00Z")
    const target = Date.parse("2024-01-01T00:00:00.500Z")
    const r = t.fastForward(prev, target)
    expect(r.count).toBe((target - 500 - prev) / 1000)
    expect(r.last).toBe(target - 500)
    expect(r.next).toBe(target + 500)
  })
})
