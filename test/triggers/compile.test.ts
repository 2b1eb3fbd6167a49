import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { DateTime } from "luxon"
import { TriggerError } from "../../src/errors.js"
import { compile, specFromOptions, TriggerSpec, unsafeCompile, withDefaults } from "../../src/triggers/compile.js"

const fieldOf = (r: Either.Either<unknown, TriggerError>) => (Either.isLeft(r) ? r.left.field : "accepted")

describe("compile", () => {
  it("interns equal specs (whatever the key order)", () => {
    const a = unsafeCompile({ type: "interval", minutes: 5, startDate: "2024-01-01", timezone: "UTC" })
    const b = unsafeCompile({ timezone: "UTC", startDate: "2024-01-01", minutes: 5, type: "interval" })
    expect(a).toBe(b)
    const c = unsafeCompile({ type: "interval", minutes: 6, startDate: "2024-01-01", timezone: "UTC" })
    expect(c).not.toBe(a)
  })

  it("specs round-trip through JSON and the schema", () => {
    const spec = { type: "and", triggers: [{ type: "interval", hours: 1, startDate: "2024-01-01 00:00:00", timezone: "UTC" }, { type: "date", runDate: "2024-01-01 05:00:00", timezone: "UTC" }] }
    const decoded = Schema.decodeUnknownSync(TriggerSpec)(JSON.parse(JSON.stringify(spec)))
    expect(decoded).toEqual(spec)
    expect(Schema.encodeSync(TriggerSpec)(decoded)).toEqual(spec)
  })

  it("names the offending field", () => {
    expect(fieldOf(compile({ type: "interval", weeks: "1" }))).toBe("weeks")
    expect(fieldOf(compile({ type: "interval", hours: -1 }))).toBe("hours")
    expect(fieldOf(compile({ type: "interval", hours: 1, timezone: "Mars/Olympus" }))).toBe("timezone")
    expect(fieldOf(compile({ type: "interval", hours: 1, startDate: "tomorrow" }))).toBe("startDate")
    expect(fieldOf(compile({ type: "interval", hours: 1, bogus: 1 }))).toBe("bogus")
    expect(fieldOf(compile({ type: "date", runDate: 12345 }))).toBe("runDate")
    expect(fieldOf(compile({ type: "weekly" }))).toBe("type")
    expect(fieldOf(compile(null))).toBe("type")
    expect(fieldOf(compile({ type: "or", triggers: [{ type: "date", runDate: "2024-02-30" }] }))).toBe("triggers.0.runDate")
  })

  it("never throws on fuzzed specs", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ type: fc.constantFrom("date", "interval", "and", "or", "x"), runDate: fc.anything(), hours: fc.anything(), startDate: fc.anything(), timezone: fc.anything(), triggers: fc.anything(), jitter: fc.anything() }, { requiredKeys: ["type"] })
        ),
        (spec) => {
          const r = compile(spec)
          expect(Either.isLeft(r) ? r.left instanceof TriggerError : typeof r.right.next).toBe(Either.isLeft(r) ? true : "function")
        }
      ),
      { numRuns: 10_000 }
    )
  })
})

describe("specFromOptions", () => {
  it("takes APScheduler's snake_case options and Dates, and fills zone and start", () => {
    const now = Date.UTC(2024, 0, 1, 12)
    const spec = Either.getOrThrow(specFromOptions("interval", { minutes: 5, end_date: new Date(Date.UTC(2024, 0, 2)) }, { timezone: "Europe/Berlin", now }))
    expect(spec).toEqual({ type: "interval", minutes: 5, endDate: "2024-01-02T01:00:00.000000+01:00", timezone: "Europe/Berlin", startDate: "2024-01-01T13:05:00.000000+01:00" })
    const t = unsafeCompile(spec)
    expect(t.next(undefined, now)).toBe(now + 300_000)
    const date = Either.getOrThrow(specFromOptions("date", { run_date: DateTime.fromISO("2024-06-01T12:00:00", { zone: "Asia/Kolkata" }) }, { timezone: "UTC" }))
    expect(unsafeCompile(date).next(undefined, 0)).toBe(Date.UTC(2024, 5, 1, 6, 30))
  })

  it("an interval without startDate starts at now + interval to the microsecond (seconds 0.333333)", () => {
    const now = Date.UTC(2024, 0, 1, 12)
    const spec = Either.getOrThrow(specFromOptions("interval", { seconds: 0.333333 }, { timezone: "UTC", now }))
    expect(spec).toMatchObject({ startDate: "2024-01-01T12:00:00.333333+00:00" })
    expect(Math.round(unsafeCompile(spec).next(undefined, now)! * 1000)).toBe(now * 1000 + 333_333)
  })

  it("a Date keeps its milliseconds through the encoded spec", () => {
    const t = Date.UTC(2024, 0, 5, 9, 0, 0, 840)
    const spec = Either.getOrThrow(specFromOptions("date", { run_date: new Date(t) }, { timezone: "Asia/Kolkata" }))
    expect(unsafeCompile(spec).next(undefined, 0)).toBe(t)
  })

  it("keeps a spec's own zone and fills children of and/or", () => {
    const spec = Either.getOrThrow(withDefaults({ type: "or", triggers: [{ type: "date", runDate: "2024-01-01" }, { type: "date", runDate: "2024-01-02", timezone: "Asia/Kolkata" }] }, { timezone: "America/New_York" }))
    expect(spec).toEqual({ type: "or", triggers: [{ type: "date", runDate: "2024-01-01", timezone: "America/New_York" }, { type: "date", runDate: "2024-01-02", timezone: "Asia/Kolkata" }] })
  })

  it("rejects bare numbers and unknown options", () => {
    expect(fieldOf(specFromOptions("date", { run_date: 1_700_000_000 }))).toBe("runDate")
    expect(fieldOf(specFromOptions("interval", { minutes: 1, foo: 2 }))).toBe("foo")
  })
})
