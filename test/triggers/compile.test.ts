import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { DateTime } from "luxon"
import { TriggerError } from "../../src/errors.js"
import { IntervalTriggerSpec } from "../../src/triggers/IntervalTrigger.js"
import { compile, compileFromOptions, decodeTriggerSpec, MAX_FIELD_LENGTH, MAX_NESTING, specFromOptions, TriggerSpec, unsafeCompile, withDefaults } from "../../src/triggers/compile.js"

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

describe("compile: nesting and text limits", () => {
  const leaf = { type: "interval", hours: 1, startDate: "2024-01-01 00:00:00", timezone: "UTC" }
  /** `depth` levels of `and`/`or`, each with a cron trigger of its own and the next level. */
  const nested = (depth: number, inner: unknown = leaf): unknown => {
    let spec = inner
    for (let level = depth; level >= 1; level--) spec = { type: level % 2 ? "or" : "and", triggers: [{ type: "cron", minute: level % 60, timezone: "UTC" }, spec] }
    return spec
  }
  const errorOf = (r: Either.Either<unknown, TriggerError>) => (Either.isLeft(r) ? { field: r.left.field, message: r.left.message } : "accepted")

  it("a 500-deep and/or spec compiles, and compiles to the same trigger again (interned)", () => {
    const t = unsafeCompile(nested(500))
    expect(String(t).startsWith("or[cron[minute='1'], and[cron[minute='2'], or[")).toBe(true)
    expect(unsafeCompile(nested(500))).toBe(t)
    expect(unsafeCompile(nested(500, { ...leaf, hours: 2 }))).not.toBe(t)
  })

  it("a spec nested MAX_NESTING levels deep is accepted; one level more: a TriggerError on 'triggers' that says the depth limit", () => {
    expect(MAX_NESTING).toBe(1_000)
    expect(Either.isRight(compile(nested(MAX_NESTING)))).toBe(true)
    const expected = { field: "triggers", message: "Invalid trigger field 'triggers': and/or triggers nest more than 1000 levels deep (the depth limit is 1000)" }
    expect(errorOf(compile(nested(MAX_NESTING + 1)))).toEqual(expected)
    // 5,000 levels used to fail with "must be JSON-serializable" (a stack overflow caught)
    expect(errorOf(compile(nested(5_000)))).toEqual(expected)
    expect(errorOf(decodeTriggerSpec(nested(5_000)))).toEqual(expected)
    expect(errorOf(withDefaults(nested(5_000) as Record<string, unknown>, { timezone: "UTC" }))).toEqual(expected)
    // a cyclic spec nests without end
    const cyclic: { type: string; triggers: Array<unknown> } = { type: "or", triggers: [leaf] }
    cyclic.triggers.push(cyclic)
    expect(errorOf(compile(cyclic))).toEqual(expected)
  })

  it("a field text longer than MAX_FIELD_LENGTH: a TriggerError naming the field and the limit (a 1 MB cron field)", () => {
    expect(MAX_FIELD_LENGTH).toBe(1_000)
    const mb = "1,".repeat(500_000)
    expect(errorOf(compile({ type: "cron", minute: mb, timezone: "UTC" }))).toEqual({
      field: "minute",
      message: "Invalid trigger field 'minute': the text is 1000000 characters long; at most 1000 are accepted"
    })
    expect(errorOf(compile({ type: "or", triggers: [leaf, { type: "date", runDate: " ".repeat(1_001) }] }))).toEqual({
      field: "triggers.1.runDate",
      message: "Invalid trigger field 'triggers.1.runDate': the text is 1001 characters long; at most 1000 are accepted"
    })
    expect(errorOf(withDefaults({ type: "cron", hour: mb }))).toEqual({
      field: "hour",
      message: "Invalid trigger field 'hour': the text is 1000000 characters long; at most 1000 are accepted"
    })
    // at the limit: accepted (a list of every minute, repeated, is valid cron)
    const list = Array.from({ length: 60 }, (_, i) => i).join(",")
    const long = Array.from({ length: 12 }, () => list).join(",").slice(0, MAX_FIELD_LENGTH).replace(/,\d*$/, "")
    expect(Either.isRight(compile({ type: "cron", minute: long, timezone: "UTC" }))).toBe(true)
  })

  it("and/or errors name the nested field", () => {
    expect(errorOf(compile({ type: "and", triggers: [leaf, { type: "or", triggers: [] }] }))).toMatchObject({ field: "triggers.1.triggers" })
    expect(errorOf(compile({ type: "and", triggers: [leaf], jitter: -1 }))).toMatchObject({ field: "jitter" })
    expect(errorOf(compile({ type: "and", triggers: [leaf], extra: 1 }))).toMatchObject({ field: "extra" })
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

describe("compileFromOptions", () => {
  it("finds an interned trigger from options in either spelling, and still refuses bad options", () => {
    const first = Either.getOrThrow(compileFromOptions("cron", { day_of_week: "mon", hour: 9 }, { timezone: "UTC" }))
    const again = Either.getOrThrow(compileFromOptions("cron", { dayOfWeek: "mon", hour: 9 }, { timezone: "UTC" }))
    expect(again).toBe(first)
    expect(Either.getOrThrow(compileFromOptions("cron", { hour: 9, dayOfWeek: "mon", timezone: "UTC" }))).toBe(first)
    const extra = Either.getLeft(compileFromOptions("cron", { dayOfWeek: "mon", hour: 9, foo: 1 }, { timezone: "UTC" }))
    expect(Option.getOrThrow(extra)).toMatchObject({ _tag: "TriggerError", field: "foo" })
    // "9" is a valid expression too, but another spec: its own trigger
    const text = Either.getOrThrow(compileFromOptions("cron", { dayOfWeek: "mon", hour: "9" }, { timezone: "UTC" }))
    expect(text).not.toBe(first)
    const twice = Either.getLeft(compileFromOptions("cron", { dayOfWeek: "mon", day_of_week: "mon", hour: 9 }, { timezone: "UTC" }))
    expect(Option.getOrThrow(twice)).toMatchObject({ _tag: "TriggerError", field: "day_of_week" })
  })
})

describe("interval triggers started at their add (compiled once, placed at each start)", () => {
  it("equal the trigger compiled from the spec with that start: same spec, same fire times", () => {
    fc.assert(
      fc.property(
        fc.record({
          minutes: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1e4, noNaN: true })),
          seconds: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
          timezone: fc.option(fc.constantFrom("UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"), { nil: undefined }),
          jitter: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
          end_date: fc.option(fc.constant("2100-01-01 00:00:00"), { nil: undefined })
        }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 0, max: 1e12 }),
        (options, now, later) => {
          const started = Either.getOrThrow(compileFromOptions("interval", options, { timezone: "Europe/Paris", now }))
          const general = Either.getOrThrow(Either.flatMap(specFromOptions("interval", options, { timezone: "Europe/Paris", now }), compile))
          const reread = unsafeCompile(JSON.parse(JSON.stringify(started.spec)))
          expect(started.spec).toEqual(general.spec)
          for (const other of [general, reread]) {
            expect(String(started)).toBe(String(other))
            expect(started.jitter).toBe(other.jitter)
            expect(started.timezone).toBe(other.timezone)
            for (const t of [now, now + later]) {
              expect(started.next(undefined, t)).toBe(other.next(undefined, t))
              expect(started.next(t, t, 0.5)).toBe(other.next(t, t, 0.5))
              expect(started.fastForward(t, t + later)).toEqual(other.fastForward(t, t + later))
            }
          }
        }
      ),
      { numRuns: 300 }
    )
  })

  it("share the compiled interval: two jobs' triggers differ only in their start", () => {
    const a = Either.getOrThrow(compileFromOptions("interval", { minutes: 5 }, { timezone: "UTC", now: 0 }))
    const b = Either.getOrThrow(compileFromOptions("interval", { minutes: 5 }, { timezone: "UTC", now: 60_000 }))
    expect(a.spec).toEqual({ type: "interval", minutes: 5, timezone: "UTC", startDate: "1970-01-01T00:05:00.000000+00:00" })
    expect(b.spec).toEqual({ type: "interval", minutes: 5, timezone: "UTC", startDate: "1970-01-01T00:06:00.000000+00:00" })
    expect([a.next(undefined, 0), b.next(undefined, 0)]).toEqual([300_000, 360_000])
  })
})

describe("interval templates found by the options' content", () => {
  it("give each zone, value type and end its own template; bad options still fail by the general path", () => {
    const now = Date.UTC(2026, 0, 1)
    const utc = Either.getOrThrow(compileFromOptions("interval", { minutes: 5 }, { timezone: "UTC", now }))
    const kolkata = Either.getOrThrow(compileFromOptions("interval", { minutes: 5 }, { timezone: "Asia/Kolkata", now }))
    expect(utc.spec).toEqual({ type: "interval", minutes: 5, timezone: "UTC", startDate: "2026-01-01T00:05:00.000000+00:00" })
    expect(kolkata.spec).toEqual({ type: "interval", minutes: 5, timezone: "Asia/Kolkata", startDate: "2026-01-01T05:35:00.000000+05:30" })
    const ended = Either.getOrThrow(compileFromOptions("interval", { minutes: 5, end_date: "2026-01-01 00:07:00" }, { timezone: "UTC", now }))
    expect(ended.next(undefined, now + 6 * 60_000)).toBeUndefined()
    expect(utc.next(undefined, now + 6 * 60_000)).toBe(now + 10 * 60_000)
    const text = Either.getLeft(compileFromOptions("interval", { minutes: "5" }, { timezone: "UTC", now }))
    expect(Option.isSome(text)).toBe(true)
    const twice = Either.getLeft(compileFromOptions("interval", { minutes: 5, seconds: 1, end_date: "2030-01-01", endDate: "2030-01-01" }, { timezone: "UTC", now }))
    expect(Option.getOrThrow(twice)).toMatchObject({ _tag: "TriggerError", field: "endDate" })
  })
})

describe("interval specs decoded without the schema", () => {
  it("give exactly what the schema gives (the same spec, or an error)", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom("weeks", "days", "hours", "minutes", "seconds", "jitter", "startDate", "endDate", "timezone", "colour"),
          fc.oneof(
            fc.double(),
            fc.constantFrom(0, 1, 1e15, 3_155_760_000, 3_155_760_001, -1),
            fc.string({ maxLength: 3 }),
            fc.constant(null),
            fc.constant(undefined)
          )
        ),
        (fields) => {
          const input = { type: "interval", ...fields }
          const ours = decodeTriggerSpec(input)
          const schema = Schema.decodeUnknownEither(IntervalTriggerSpec, { onExcessProperty: "error" })(input)
          expect(Either.isRight(ours)).toBe(Either.isRight(schema))
          if (Either.isRight(ours) && Either.isRight(schema)) expect(ours.right).toEqual(schema.right)
        }
      ),
      { numRuns: 2000 }
    )
  })
})
