import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import fc from "fast-check"
import { DateTime } from "luxon"
import * as fs from "node:fs"
import * as path from "node:path"
import { TriggerError } from "../../src/errors.js"
import { unsafeCompile } from "../../src/triggers/compile.js"
import { encodeDateInput, parseDateInput } from "../../src/triggers/internal/dates.js"
import { getZone } from "../../src/triggers/internal/zone.js"

const ny = getZone("America/New_York")!
const iso = (e: Either.Either<number, TriggerError>) => new Date(Either.getOrThrow(e)).toISOString()

describe("parseDateInput", () => {
  it("reads APScheduler's formats", () => {
    expect(iso(parseDateInput("2024-06-01", "d", ny))).toBe("2024-06-01T04:00:00.000Z")
    expect(iso(parseDateInput("2024-6-1 9:5:7", "d", ny))).toBe("2024-06-01T13:05:07.000Z")
    expect(iso(parseDateInput("2024-06-01T12:00:00", "d", ny))).toBe("2024-06-01T16:00:00.000Z")
    expect(iso(parseDateInput("2024-06-01 12:00:00Z", "d", ny))).toBe("2024-06-01T12:00:00.000Z")
    expect(iso(parseDateInput("2024-06-01 12:00:00+05:30", "d", ny))).toBe("2024-06-01T06:30:00.000Z")
    expect(Either.getOrThrow(parseDateInput("2024-06-01 12:00:00.123456", "d", ny)) % 1000).toBeCloseTo(123.456, 3)
  })

  it("a gap time is shifted forward, an ambiguous time is the standard-time occurrence", () => {
    expect(iso(parseDateInput("2024-03-10 02:30:00", "d", ny))).toBe("2024-03-10T07:30:00.000Z")
    expect(iso(parseDateInput("2024-11-03 01:30:00", "d", ny))).toBe("2024-11-03T06:30:00.000Z")
  })

  it("takes Dates and luxon DateTimes as instants", () => {
    expect(Either.getOrThrow(parseDateInput(new Date(86_400_000), "d", ny))).toBe(86_400_000)
    expect(Either.getOrThrow(parseDateInput(DateTime.fromMillis(5000, { zone: "Asia/Kolkata" }), "d", ny))).toBe(5000)
  })

  it("rejects bad input with a TriggerError naming the field", () => {
    for (const bad of ["2024-13-01", "2024-02-30", "2024/01/01", "2024-01-01T10:00", "2024-01-01 10:00:00+0530", "tomorrow", "2024-01-01 24:00:00", ""]) {
      const r = parseDateInput(bad, "startDate", ny)
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) expect(r.left.field).toBe("startDate")
    }
    const n = parseDateInput(1_700_000_000, "runDate", ny)
    expect(Either.isLeft(n) && n.left.reason).toMatch(/bare number/)
    expect(Either.isLeft(parseDateInput(new Date(Number.NaN), "runDate", ny))).toBe(true)
    expect(Either.isLeft(parseDateInput({}, "runDate", ny))).toBe(true)
  })

  it("never throws on fuzzed input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything(), fc.stringMatching(/^\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,7})?)?(Z|[+-]\d\d:\d\d)?$/)), (value) => {
        const r = parseDateInput(value, "runDate", ny)
        expect(Either.isLeft(r) ? r.left instanceof TriggerError : Number.isFinite(r.right)).toBe(true)
      }),
      { numRuns: 10_000 }
    )
  })
})

describe("date strings as APScheduler resolved them (every `resolved` value of the vectors)", () => {
  const dir = path.join(import.meta.dirname, "..", "fixtures", "conformance")
  const keys = { start_date: "startDate", end_date: "endDate", run_date: "runDate" } as const
  const AFTER_2037_US = Date.UTC(2037, 11, 31) * 1000
  const cases: Array<{ id: string; text: string; timezone: string; epochUs: number }> = []
  for (const file of ["cron", "interval", "date", "misfire"]) {
    for (const c of JSON.parse(fs.readFileSync(path.join(dir, `${file}.json`), "utf8")).cases) {
      const spec = file === "misfire" ? c.trigger : c
      const resolved = c.resolved ?? {}
      for (const key of Object.keys(keys) as Array<keyof typeof keys>) {
        // after 2037 pytz freezes UTC offsets (DST rule 4: we use the real rules)
        if (typeof spec[key] === "string" && resolved[key] && resolved[key].epoch_us < AFTER_2037_US) {
          cases.push({ id: `${c.id}.${key}`, text: spec[key], timezone: spec.timezone, epochUs: resolved[key].epoch_us })
        }
      }
    }
  }

  it("has cases", () => {
    expect(cases.length).toBeGreaterThan(100)
  })

  it("reads each to the microsecond", () => {
    for (const c of cases) {
      const instant = Either.getOrThrow(parseDateInput(c.text, "startDate", getZone(c.timezone)!))
      expect(Math.round(instant * 1000), `${c.id}: ${c.text} in ${c.timezone}`).toBe(c.epochUs)
    }
  })

  it("a fraction is a whole number of microseconds, as APScheduler reads it; encoded Dates keep their ms", () => {
    const utc = getZone("UTC")!
    expect(Either.getOrThrow(parseDateInput("2024-01-05 09:00:00.5", "d", utc)) * 1000 % 1_000_000).toBeCloseTo(5, 3)
    expect(Either.getOrThrow(parseDateInput("2024-01-05T09:00:00.840000Z", "d", utc)) % 1000).toBe(840)
    const t = Date.UTC(2024, 0, 5, 9, 0, 0, 840)
    const encoded = Either.getOrThrow(encodeDateInput(new Date(t), "d", getZone("Asia/Kolkata")))
    expect(encoded).toBe("2024-01-05T14:30:00.840000+05:30")
    expect(Either.getOrThrow(parseDateInput(encoded, "d", utc))).toBe(t)
  })
})

describe("ambiguous date strings in negative-DST zones: the standard-time occurrence (DST offset zero)", () => {
  const at = (text: string, zone: string) => iso(parseDateInput(text, "runDate", getZone(zone)!))

  it("runDate 2024-10-27 01:30:00 in Europe/Dublin is 00:30Z (01:30 IST, the earlier occurrence)", () => {
    const trigger = unsafeCompile({ type: "date", runDate: "2024-10-27 01:30:00", timezone: "Europe/Dublin" })
    expect(new Date(trigger.next(undefined, 0)!).toISOString()).toBe("2024-10-27T00:30:00.000Z")
  })

  it("runDate 2024-03-10 02:30:00 in Africa/Casablanca is 01:30Z (02:30+01:00, before Ramadan's -1 h)", () => {
    const trigger = unsafeCompile({ type: "date", runDate: "2024-03-10 02:30:00", timezone: "Africa/Casablanca" })
    expect(new Date(trigger.next(undefined, 0)!).toISOString()).toBe("2024-03-10T01:30:00.000Z")
  })

  it("cron {hour: */2, minute: 8-59, startDate: 2042-08-10 02:17:57} in Africa/Casablanca first fires at 02:18+01:00", () => {
    const trigger = unsafeCompile({ type: "cron", hour: "*/2", minute: "8-59", startDate: "2042-08-10 02:17:57", timezone: "Africa/Casablanca" })
    const first = trigger.next(undefined, Date.parse("2042-08-01T00:00:00Z"))!
    expect(DateTime.fromMillis(first, { zone: "Africa/Casablanca" }).toISO({ suppressMilliseconds: true })).toBe("2042-08-10T02:18:00+01:00")
  })

  it("positive-DST zones keep the later occurrence (London, New York, Berlin, Sydney, Lord Howe)", () => {
    expect(at("2024-10-27 01:30:00", "Europe/London")).toBe("2024-10-27T01:30:00.000Z") // GMT
    expect(at("2024-11-03 01:30:00", "America/New_York")).toBe("2024-11-03T06:30:00.000Z") // EST
    expect(at("2024-10-27 02:30:00", "Europe/Berlin")).toBe("2024-10-27T01:30:00.000Z") // CET
    expect(at("2024-04-07 02:30:00", "Australia/Sydney")).toBe("2024-04-06T16:30:00.000Z") // AEST
    expect(at("2024-04-07 01:45:00", "Australia/Lord_Howe")).toBe("2024-04-06T15:15:00.000Z") // +10:30
  })

  it("negative DST only where tzdata has it: Windhoek 1994–2017, Dublin since 1971-10-31, Morocco since 2018-10-28", () => {
    expect(at("2000-04-02 01:30:00", "Africa/Windhoek")).toBe("2000-04-01T23:30:00.000Z") // CAT +02 (standard)
    expect(at("2018-04-01 01:30:00", "Africa/Windhoek")).toBe("2018-03-31T23:30:00.000Z") // CAT all year: unique
    expect(at("1970-10-25 02:30:00", "Europe/Dublin")).toBe("1970-10-25T01:30:00.000Z") // IST all year: unique
    expect(at("1967-10-29 02:30:00", "Europe/Dublin")).toBe("1967-10-29T02:30:00.000Z") // positive DST then: GMT
    expect(at("1972-10-29 02:30:00", "Eire")).toBe("1972-10-29T01:30:00.000Z") // IST (standard)
    expect(at("2018-05-13 02:30:00", "Africa/Casablanca")).toBe("2018-05-13T02:30:00.000Z") // positive DST then: +00
  })

  it("an explicit offset still wins in a negative-DST zone", () => {
    expect(at("2024-10-27 01:30:00+00:00", "Europe/Dublin")).toBe("2024-10-27T01:30:00.000Z")
  })
})
