/**
 * CronTrigger: parsing, str(), defaults, errors, dates, jitter, day matching modes, fromCrontab,
 * and a fuzz of every field.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import { TriggerError } from "../../src/errors.js"
import { compileCron, CronTriggerSpec, fromCrontab } from "../../src/triggers/CronTrigger.js"

const ok = (spec: Omit<CronTriggerSpec, "type">) => Either.getOrThrow(compileCron({ type: "cron", ...spec }))
const err = (spec: Omit<CronTriggerSpec, "type">) => {
  const r = compileCron({ type: "cron", ...spec })
  if (Either.isRight(r)) throw new Error(`expected an error for ${JSON.stringify(spec)}`)
  return r.left
}
const utc = (iso: string) => Date.parse(iso)

describe("expressions and str()", () => {
  const cases: Array<[Omit<CronTriggerSpec, "type">, string]> = [
    [{}, "cron[]"],
    [{ minute: "*/5" }, "cron[minute='*/5']"],
    [{ hour: "9-17/2" }, "cron[hour='9-17/2']"],
    [{ minute: "5/10" }, "cron[minute='5/10']"],
    [{ minute: "0-0/5" }, "cron[minute='0/5']"],
    [{ second: "007" }, "cron[second='7']"],
    [{ month: "JAN-Mar,dec" }, "cron[month='jan-mar,dec']"],
    [{ dayOfWeek: "Mon-FRI" }, "cron[day_of_week='mon-fri']"],
    [{ day: "3RD fri, last,  1st mon" }, "cron[day='3rd fri,last,1st mon']"],
    [{ day: "last  sun" }, "cron[day='last sun']"],
    [{ year: 2030, week: 5 }, "cron[year='2030', week='5']"],
    [{ hour: " 1 , 2 " }, "cron[hour='1,2']"]
  ]
  for (const [spec, str] of cases) {
    it(`${JSON.stringify(spec)} -> ${str}`, () => {
      expect(ok(spec).toString()).toBe(str)
    })
  }
  it("APScheduler's default rule", () => {
    const f = ok({ day: 15, hour: 9 }).fields
    expect(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.expression]))).toEqual({
      year: "*", month: "*", day: "15", week: "*", dayOfWeek: "*", hour: "9", minute: "0", second: "0"
    })
    expect(f.minute.isDefault).toBe(true)
    expect(f.day.isDefault).toBe(false)
    expect(Object.values(ok({}).fields).every((v) => v.expression === "*")).toBe(true)
    expect(ok({ week: 3 }).fields.dayOfWeek.expression).toBe("*")
    expect(ok({ week: 3 }).fields.hour.expression).toBe("0")
  })
  it("a/n steps from a up to the field's maximum; a-b/n from a", () => {
    const t = ok({ minute: "50/4" })
    const t0 = utc("2024-01-01T10:00:00Z")
    const got: Array<number> = []
    let p: number | undefined
    for (let i = 0; i < 4; i++) got.push(p = p === undefined ? t.next(undefined, t0)! : t.next(p, p)!)
    expect(got.map((x) => new Date(x).toISOString().slice(11, 16))).toEqual(["10:50", "10:54", "10:58", "11:50"])
  })
  it("xth y, last x, last, */n in the day field follow the month", () => {
    const at = (spec: Omit<CronTriggerSpec, "type">, from: string) => new Date(ok(spec).next(undefined, utc(from))!).toISOString().slice(0, 10)
    expect(at({ day: "2nd tue" }, "2024-03-01T00:00:00Z")).toBe("2024-03-12")
    expect(at({ day: "last fri" }, "2024-02-01T00:00:00Z")).toBe("2024-02-23")
    expect(at({ day: "5th thu" }, "2024-03-01T00:00:00Z")).toBe("2024-05-30")
    expect(at({ day: "last" }, "2024-02-01T00:00:00Z")).toBe("2024-02-29")
    expect(at({ day: "*/10" }, "2024-02-22T00:00:00Z")).toBe("2024-03-01")
    expect(at({ day: "31" }, "2024-04-01T00:00:00Z")).toBe("2024-05-31")
  })
  it("ISO weeks: week 1 may start in December", () => {
    const t = ok({ week: 1, dayOfWeek: "mon" })
    expect(new Date(t.next(undefined, utc("2024-06-01T00:00:00Z"))!).toISOString()).toBe("2024-12-30T00:00:00.000Z")
  })
})

describe("errors (APScheduler's messages, our field names)", () => {
  it("names the field in camelCase", () => {
    const e = err({ dayOfWeek: "7" })
    expect(e).toBeInstanceOf(TriggerError)
    expect(e.field).toBe("dayOfWeek")
    expect(e.reason).toBe("Error validating expression '7': the last value (7) is higher than the maximum value (6)")
  })
  it("reports huge numbers exactly", () => {
    expect(err({ minute: "99999999999999999999" }).reason).toBe(
      "Error validating expression '99999999999999999999': the last value (99999999999999999999) is higher than the maximum value (59)"
    )
  })
  it("a/n with a at or above the maximum", () => {
    expect(err({ minute: "59/1" }).reason).toBe(
      "Error validating expression '59/1': the step value (1) is higher than the total range of the expression (0)"
    )
  })
  it("rejects half-read text (rule 5) naming the field", () => {
    for (const [field, value] of [["month", "jan-dec/2"], ["dayOfWeek", "mon-fri/2"], ["day", "lastfri"], ["month", "jan1"], ["dayOfWeek", "mon#2"], ["day", "3rd fri foo"], ["dayOfWeek", "mon-fri 9"], ["day", "last fri,"]] as const) {
      const e = err({ [field]: value })
      expect(e.field).toBe(field)
      expect(e.reason).toContain("Unrecognized expression")
    }
  })
  it("rejects non-integer numbers and bad types", () => {
    expect(err({ hour: 1.5 }).reason).toBe(`Unrecognized expression "1.5" for field "hour"`)
    expect(err({ hour: -1 }).field).toBe("hour")
    expect(err({ hour: {} as unknown as string }).field).toBe("hour")
  })
  it("timezone, dates, jitter", () => {
    expect(err({ timezone: "Mars/Olympus" }).field).toBe("timezone")
    expect(err({ startDate: "2024/01/01" }).field).toBe("startDate")
    expect(err({ endDate: "2024-02-30" }).field).toBe("endDate")
    expect(err({ jitter: -1 }).field).toBe("jitter")
  })
  it("the spec schema is JSON data", () => {
    const spec = { type: "cron", hour: 9, minute: "30", dayMatch: "or", timezone: "UTC", jitter: 5 }
    expect(Schema.decodeUnknownSync(CronTriggerSpec)(spec)).toEqual(spec)
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec)
  })
})

describe("next: start, end, jitter", () => {
  it("inclusive start, ceiled to the second; chained calls start after the previous fire", () => {
    const t = ok({ second: "*" })
    expect(t.next(undefined, utc("2024-01-01T00:00:00Z"))).toBe(utc("2024-01-01T00:00:00Z"))
    expect(t.next(undefined, utc("2024-01-01T00:00:00.001Z"))).toBe(utc("2024-01-01T00:00:01Z"))
    expect(t.next(utc("2024-01-01T00:00:00Z"), utc("2024-01-01T00:00:00Z"))).toBe(utc("2024-01-01T00:00:01Z"))
    // a late wake-up resumes right after the previous fire (misfire handling sees every run)
    expect(t.next(utc("2024-01-01T00:00:00Z"), utc("2024-01-01T05:00:00Z"))).toBe(utc("2024-01-01T00:00:01Z"))
  })
  it("startDate and endDate (inclusive)", () => {
    const t = ok({ minute: 0, startDate: "2024-01-05 10:30:00", endDate: "2024-01-05 12:00:00" })
    expect(t.next(undefined, utc("2024-01-01T00:00:00Z"))).toBe(utc("2024-01-05T11:00:00Z"))
    expect(t.next(utc("2024-01-05T11:00:00Z"), utc("2024-01-05T11:00:00Z"))).toBe(utc("2024-01-05T12:00:00Z"))
    expect(t.next(utc("2024-01-05T12:00:00Z"), utc("2024-01-05T12:00:00Z"))).toBeUndefined()
  })
  it("jitter adds sample * jitter seconds, clamped to endDate", () => {
    const t = ok({ minute: 0, jitter: 10, endDate: "2024-01-01 01:00:05" })
    expect(t.jitter).toBe(10)
    expect(t.next(undefined, utc("2024-01-01T00:30:00Z"), 0.5)).toBe(utc("2024-01-01T01:00:05Z"))
    expect(t.next(undefined, utc("2024-01-01T00:30:00Z"), 0.25)).toBe(utc("2024-01-01T01:00:02.500Z"))
    expect(t.next(undefined, utc("2024-01-01T00:30:00Z"))).toBe(utc("2024-01-01T01:00:00Z"))
  })
  it("years: past the year field's last value the trigger is exhausted", () => {
    const t = ok({ year: "2024-2025", month: 12, day: 31 })
    expect(t.next(undefined, utc("2025-06-01T00:00:00Z"))).toBe(utc("2025-12-31T00:00:00Z"))
    expect(t.next(utc("2025-12-31T00:00:00Z"), utc("2025-12-31T00:00:00Z"))).toBeUndefined()
  })
  it("non-finite inputs give undefined", () => {
    const t = ok({ minute: 0 })
    expect(t.next(undefined, Number.NaN)).toBeUndefined()
    expect(t.next(undefined, Number.POSITIVE_INFINITY)).toBeUndefined()
    expect(t.next(undefined, utc("9999-12-31T23:30:00Z"))).toBeUndefined()
  })
})

describe("day matching", () => {
  it("AND by default (APScheduler): the 13th that is a Friday", () => {
    const t = ok({ day: 13, dayOfWeek: "fri" })
    expect(new Date(t.next(undefined, utc("2024-01-01T00:00:00Z"))!).toISOString()).toBe("2024-09-13T00:00:00.000Z")
  })
  it("dayMatch 'or' (Vixie cron): the 13th or any Friday", () => {
    const t = ok({ day: 13, dayOfWeek: "fri", dayMatch: "or" })
    expect(new Date(t.next(undefined, utc("2024-01-06T00:00:00Z"))!).toISOString()).toBe("2024-01-12T00:00:00.000Z")
    expect(new Date(t.next(utc("2024-01-12T00:00:00Z"), utc("2024-01-12T00:00:00Z"))!).toISOString()).toBe("2024-01-13T00:00:00.000Z")
  })
  it("dayMatch 'or' with one side '*' is AND (as in cron)", () => {
    const t = ok({ dayOfWeek: "fri", dayMatch: "or" })
    expect(new Date(t.next(undefined, utc("2024-01-06T00:00:00Z"))!).toISOString()).toBe("2024-01-12T00:00:00.000Z")
  })
})

describe("fromCrontab", () => {
  it("apscheduler flavor passes the fields through (0 = Monday, ANDed, no macros)", () => {
    expect(fromCrontab("0 9 * * 1-5", { flavor: "apscheduler", timezone: "UTC" })).toEqual(
      Either.right({ type: "cron", minute: "0", hour: "9", day: "*", month: "*", dayOfWeek: "1-5", timezone: "UTC" })
    )
    const e = fromCrontab("@daily", { flavor: "apscheduler" })
    expect(Either.isLeft(e) && e.left.reason).toBe("Wrong number of fields; got 1, expected 5")
    const e2 = fromCrontab("0 0 * * 7", { flavor: "apscheduler" })
    expect(Either.isLeft(e2) && [e2.left.field, e2.left.reason]).toEqual([
      "dayOfWeek",
      "Error validating expression '7': the last value (7) is higher than the maximum value (6)"
    ])
  })
  it("standard flavor: 0 and 7 = Sunday, names, ranges, OR mode", () => {
    expect(Either.getOrThrow(fromCrontab("0 9 * * 1-5"))).toEqual({ type: "cron", minute: "0", hour: "9", day: "*", month: "*", dayOfWeek: "mon-fri" })
    expect(Either.getOrThrow(fromCrontab("0 0 * * 0")).dayOfWeek).toBe("sun")
    expect(Either.getOrThrow(fromCrontab("0 0 * * 7")).dayOfWeek).toBe("sun")
    expect(Either.getOrThrow(fromCrontab("*/15 0 1,15 * 1", { timezone: "Europe/Berlin" }))).toEqual({
      type: "cron", minute: "*/15", hour: "0", day: "1,15", month: "*", dayOfWeek: "mon", dayMatch: "or", timezone: "Europe/Berlin"
    })
    expect(Either.getOrThrow(fromCrontab("0 0 L * *")).day).toBe("last")
    expect(Either.getOrThrow(fromCrontab("0 0 * * 5#3")).day).toBe("3rd fri")
    expect(Either.getOrThrow(fromCrontab("0 0 * * 5L")).day).toBe("last fri")
    expect(Either.getOrThrow(fromCrontab("@hourly"))).toEqual({ type: "cron", minute: "0", hour: "*", day: "*", month: "*", dayOfWeek: "*" })
  })
  it("standard flavor errors", () => {
    for (const text of ["* * * *", "0 * * * * *", "61 * * * *", "foo", "", "0 0 * * 8", "0 0 15W * *", "H * * * *", "0 H(0-5) * * *"]) {
      const r = fromCrontab(text)
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) expect(r.left).toBeInstanceOf(TriggerError)
    }
    const bad = fromCrontab("0 0 * * *", { timezone: "Nowhere/Land" })
    expect(Either.isLeft(bad) && bad.left.field).toBe("timezone")
  })
})

describe("fuzz", () => {
  const FIELDS = ["year", "month", "day", "week", "dayOfWeek", "hour", "minute", "second"] as const
  const token = fc.oneof(
    fc.constantFrom("*", "/", "-", ",", " ", "last", "1st", "5th", "6th", "L", "#", "?", "W", "mon", "fri", "jan", "dec", "x", "\n", "\t", "٣"),
    fc.integer({ min: 0, max: 10000 }).map(String),
    fc.string({ maxLength: 3 })
  )
  const value = fc.oneof(
    fc.array(token, { maxLength: 6 }).map((ts) => ts.join("")),
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -5, max: 10000 }),
    fc.double(),
    fc.constantFrom(null, undefined, true, {}, [], "")
  )
  it("10,000 random field values: a TriggerError or a working trigger, never a throw or a hang", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), value, fc.constantFrom(...FIELDS), value, (f1, v1, f2, v2) => {
        const spec = { type: "cron", [f1]: v1, [f2]: v2, timezone: "America/New_York" } as unknown as CronTriggerSpec
        const r = compileCron(spec)
        if (Either.isLeft(r)) {
          expect(r.left).toBeInstanceOf(TriggerError)
          expect(typeof r.left.field).toBe("string")
          return
        }
        const t = r.right
        const f = t.next(undefined, Date.UTC(2024, 0, 1))
        if (f !== undefined) expect(t.next(f, f) === undefined || t.next(f, f)! > f).toBe(true)
        expect(typeof t.toString()).toBe("string")
        t.fastForward(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 3))
      }),
      { numRuns: 10_000, seed: 1 }
    )
  })
  it("10,000 random crontab texts in both flavors", () => {
    const text = fc.oneof(
      fc.array(fc.oneof(token, fc.constantFrom("@daily", "@weekly", "@reboot", "@every")), { maxLength: 12 }).map((ts) => ts.join(" ")),
      fc.string({ maxLength: 30 })
    )
    fc.assert(
      fc.property(text, fc.constantFrom("standard" as const, "apscheduler" as const), (t, flavor) => {
        const r = fromCrontab(t, { flavor })
        if (Either.isLeft(r)) expect(r.left).toBeInstanceOf(TriggerError)
        else expect(Either.isRight(compileCron(r.right))).toBe(true)
      }),
      { numRuns: 10_000, seed: 2 }
    )
  })
})

describe("fromCrontab standard flavor as Vixie cron / cronie reads it", () => {
  const chain = (text: string, from: string, n: number) => {
    const t = Either.getOrThrow(compileCron(Either.getOrThrow(fromCrontab(text, { timezone: "UTC" }))))
    const out: Array<string> = []
    let prev: number | undefined
    for (let i = 0; i < n; i++) {
      const f = prev === undefined ? t.next(undefined, utc(from)) : t.next(prev, prev)
      if (f === undefined) break
      out.push(new Date(f).toISOString().slice(0, 10))
      prev = f
    }
    return out
  }

  it("accepts overlapping list items: 0 0 * * 0,7 is Sunday", () => {
    expect(Either.getOrThrow(fromCrontab("0 0 * * 0,7")).dayOfWeek).toBe("sun")
    expect(chain("0 0 * * 0,7", "2024-01-01T00:00:00Z", 2)).toEqual(["2024-01-07", "2024-01-14"])
  })

  it("accepts overlapping list items: 0 0 1-5,5 * * is days 1 to 5", () => {
    expect(Either.getOrThrow(fromCrontab("0 0 1-5,5 * *")).day).toBe("1-5")
  })

  it("accepts overlapping list items: 1,1 * * * * is minute 1", () => {
    expect(Either.getOrThrow(fromCrontab("1,1 * * * *")).minute).toBe("1")
    expect(Either.getOrThrow(fromCrontab("0 0 * * 1-5,5")).dayOfWeek).toBe("mon-fri")
  })

  it("0 0 */15 * mon ANDs the day fields (cronie DOM_STAR): the 1st, 16th or 31st when a Monday", () => {
    const spec = Either.getOrThrow(fromCrontab("0 0 */15 * mon"))
    expect(spec.dayMatch).toBeUndefined()
    expect(chain("0 0 */15 * mon", "2024-01-01T00:00:00Z", 4)).toEqual(["2024-01-01", "2024-04-01", "2024-07-01", "2024-09-16"])
    // a day-of-week field starting with * ANDs as well (DOW_STAR)
    expect(Either.getOrThrow(fromCrontab("0 0 1,15 * */2")).dayMatch).toBeUndefined()
  })

  it("0 0 1,15 * mon still ORs the day fields (neither starts with *)", () => {
    expect(Either.getOrThrow(fromCrontab("0 0 1,15 * mon")).dayMatch).toBe("or")
    expect(chain("0 0 1,15 * mon", "2024-01-02T00:00:00Z", 4)).toEqual(["2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"])
  })

  it("a never-matching crontab (0 0 30 2 *) compiles and returns none (rule 6)", () => {
    const spec = Either.getOrThrow(fromCrontab("0 0 30 2 *", { timezone: "Europe/Berlin" }))
    const t = Either.getOrThrow(compileCron(spec))
    expect(t.next(undefined, utc("2024-01-01T00:00:00Z"))).toBeUndefined()
    expect(Either.isRight(fromCrontab("0 0 31 4,6 *"))).toBe(true)
  })
})
