/**
 * Named tests for the DST rules of ARCHITECTURE §1 (one block per rule, six zones).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { DateTime } from "luxon"
import { compileCron, type CronTriggerSpec, fromCrontab } from "../../../src/triggers/CronTrigger.js"

type Fields = Omit<CronTriggerSpec, "type" | "timezone">

const cron = (timezone: string, fields: Fields) => Either.getOrThrow(compileCron({ type: "cron", timezone, ...fields }))

/** The first `n` fire times from `now` (an ISO string with offset), as ISO strings in the zone. */
const fires = (timezone: string, fields: Fields, now: string, n: number): Array<string> => {
  const t = cron(timezone, fields)
  const out: Array<string> = []
  let prev: number | undefined
  let at = DateTime.fromISO(now, { setZone: true }).toMillis()
  for (let i = 0; i < n; i++) {
    const f = prev === undefined ? t.next(undefined, at) : t.next(prev, prev)
    if (f === undefined) break
    out.push(DateTime.fromMillis(f, { zone: timezone }).toISO({ suppressMilliseconds: true })!)
    prev = f
    at = f
  }
  return out
}

describe("rule 1: a wall time in a gap fires shifted by the gap (restricted hour)", () => {
  it("New York 30 2 * * * on 2024-03-10 fires at 03:30 EDT", () => {
    expect(fires("America/New_York", { hour: 2, minute: 30 }, "2024-03-09T00:00:00-05:00", 3)).toEqual([
      "2024-03-09T02:30:00-05:00",
      "2024-03-10T03:30:00-04:00",
      "2024-03-11T02:30:00-04:00"
    ])
  })
  it("New York fromCrontab standard 30 2 * * * agrees", () => {
    const spec = Either.getOrThrow(fromCrontab("30 2 * * *", { timezone: "America/New_York" }))
    const t = Either.getOrThrow(compileCron(spec))
    expect(t.next(undefined, Date.parse("2024-03-10T00:00:00-05:00"))).toBe(Date.parse("2024-03-10T03:30:00-04:00"))
  })
  it("New York hour=2,3 minute=0 fires once at 03:00 EDT", () => {
    expect(fires("America/New_York", { hour: "2,3", minute: 0 }, "2024-03-10T00:00:00-05:00", 3)).toEqual([
      "2024-03-10T03:00:00-04:00",
      "2024-03-11T02:00:00-04:00",
      "2024-03-11T03:00:00-04:00"
    ])
  })
  it("Berlin 02:30 on 2024-03-31 fires at 03:30 CEST", () => {
    expect(fires("Europe/Berlin", { hour: 2, minute: 30 }, "2024-03-31T00:00:00+01:00", 2)).toEqual([
      "2024-03-31T03:30:00+02:00",
      "2024-04-01T02:30:00+02:00"
    ])
  })
  it("Sydney 02:30 on 2024-10-06 fires at 03:30 AEDT", () => {
    expect(fires("Australia/Sydney", { hour: 2, minute: 30 }, "2024-10-06T00:00:00+10:00", 2)).toEqual([
      "2024-10-06T03:30:00+11:00",
      "2024-10-07T02:30:00+11:00"
    ])
  })
  it("Lord Howe (30-minute gap) 02:15 on 2024-10-06 fires at 02:45 +11:00", () => {
    expect(fires("Australia/Lord_Howe", { hour: 2, minute: 15 }, "2024-10-06T00:00:00+10:30", 2)).toEqual([
      "2024-10-06T02:45:00+11:00",
      "2024-10-07T02:15:00+11:00"
    ])
  })
  it("Sao Paulo midnight gap 2018-11-04: 30 0 * * * fires at 01:30 (APScheduler skips the day)", () => {
    expect(fires("America/Sao_Paulo", { hour: 0, minute: 30 }, "2018-11-03T00:00:00-03:00", 3)).toEqual([
      "2018-11-03T00:30:00-03:00",
      "2018-11-04T01:30:00-02:00",
      "2018-11-05T00:30:00-02:00"
    ])
  })
  it("Chatham (+12:45 -> +13:45) 03:15 on 2024-09-29 fires at 04:15 +13:45", () => {
    expect(fires("Pacific/Chatham", { hour: 3, minute: 15 }, "2024-09-29T00:00:00+12:45", 2)).toEqual([
      "2024-09-29T04:15:00+13:45",
      "2024-09-30T03:15:00+13:45"
    ])
  })
  it("hour '*' follows elapsed time: Lord Howe minute=0 fires 01:00, 03:00 (no 02:30)", () => {
    expect(fires("Australia/Lord_Howe", { minute: 0 }, "2024-10-06T00:30:00+10:30", 3)).toEqual([
      "2024-10-06T01:00:00+10:30",
      "2024-10-06T03:00:00+11:00",
      "2024-10-06T04:00:00+11:00"
    ])
  })
})

describe("rules 1 and 3: an hour field is `*` when it matches every hour (`*/1`, `0-23` count too)", () => {
  for (const hour of [undefined, "*", "*/1", "0-23", "0-11,12-23"]) {
    it(`hour ${JSON.stringify(hour)}: Lord Howe gap fires at real times only, New York overlap fires both occurrences`, () => {
      const fields = (minute: string | number): Fields => (hour === undefined ? { minute } : { hour, minute })
      expect(fires("Australia/Lord_Howe", fields(0), "2024-10-06T00:30:00+10:30", 2)).toEqual([
        "2024-10-06T01:00:00+10:30",
        "2024-10-06T03:00:00+11:00"
      ])
      expect(fires("America/New_York", fields("0,30"), "2024-11-03T00:45:00-04:00", 4)).toEqual([
        "2024-11-03T01:00:00-04:00",
        "2024-11-03T01:30:00-04:00",
        "2024-11-03T01:00:00-05:00",
        "2024-11-03T01:30:00-05:00"
      ])
    })
  }
  it("hour 1-23 is restricted: the New York overlap fires once per wall time", () => {
    expect(fires("America/New_York", { hour: "1-23", minute: "0,30" }, "2024-11-03T00:45:00-04:00", 3)).toEqual([
      "2024-11-03T01:00:00-04:00",
      "2024-11-03T01:30:00-04:00",
      "2024-11-03T02:00:00-05:00"
    ])
  })
  it("every matching time inside a gap fires shifted (hour=2, minute=*/7; APScheduler fires only the first)", () => {
    expect(fires("America/New_York", { hour: 2, minute: "*/7" }, "2024-03-10T00:00:00-05:00", 10)).toEqual([
      "2024-03-10T03:00:00-04:00",
      "2024-03-10T03:07:00-04:00",
      "2024-03-10T03:14:00-04:00",
      "2024-03-10T03:21:00-04:00",
      "2024-03-10T03:28:00-04:00",
      "2024-03-10T03:35:00-04:00",
      "2024-03-10T03:42:00-04:00",
      "2024-03-10T03:49:00-04:00",
      "2024-03-10T03:56:00-04:00",
      "2024-03-11T02:00:00-04:00"
    ])
  })
})

describe("rule 2: the day after a gap is never skipped", () => {
  it("New York hour=0 fires on 2024-03-11 00:00", () => {
    expect(fires("America/New_York", { hour: 0 }, "2024-03-09T12:00:00-05:00", 3)).toEqual([
      "2024-03-10T00:00:00-05:00",
      "2024-03-11T00:00:00-04:00",
      "2024-03-12T00:00:00-04:00"
    ])
  })
  it("New York Monday-midnight job fires on the Monday after DST starts", () => {
    expect(fires("America/New_York", { dayOfWeek: "mon", hour: 0 }, "2024-03-09T00:00:00-05:00", 2)).toEqual([
      "2024-03-11T00:00:00-04:00",
      "2024-03-18T00:00:00-04:00"
    ])
  })
  it("Berlin, Sydney, Lord Howe, Chatham: every matching time around the gap fires", () => {
    expect(fires("Europe/Berlin", { hour: "0,1,4", minute: 0 }, "2024-03-31T00:00:00+01:00", 4)).toEqual([
      "2024-03-31T00:00:00+01:00",
      "2024-03-31T01:00:00+01:00",
      "2024-03-31T04:00:00+02:00",
      "2024-04-01T00:00:00+02:00"
    ])
    expect(fires("Australia/Sydney", { hour: 3, minute: 0 }, "2024-10-06T00:00:00+10:00", 2)).toEqual([
      "2024-10-06T03:00:00+11:00",
      "2024-10-07T03:00:00+11:00"
    ])
    expect(fires("Australia/Lord_Howe", { hour: 2, minute: 30 }, "2024-10-06T00:00:00+10:30", 2)).toEqual([
      "2024-10-06T02:30:00+11:00",
      "2024-10-07T02:30:00+11:00"
    ])
    expect(fires("Pacific/Chatham", { hour: 0, minute: 0 }, "2024-09-29T00:00:00+12:45", 2)).toEqual([
      "2024-09-29T00:00:00+12:45",
      "2024-09-30T00:00:00+13:45"
    ])
  })
  it("Sao Paulo hour=0 fires on 2018-11-05 00:00", () => {
    expect(fires("America/Sao_Paulo", { hour: 0 }, "2018-11-04T12:00:00-02:00", 1)).toEqual(["2018-11-05T00:00:00-02:00"])
  })
})

describe("rule 3: fall-back overlap", () => {
  it("New York restricted hour: 01:30 fires once, at 01:30 EDT", () => {
    expect(fires("America/New_York", { hour: 1, minute: 30 }, "2024-11-02T12:00:00-04:00", 3)).toEqual([
      "2024-11-03T01:30:00-04:00",
      "2024-11-04T01:30:00-05:00",
      "2024-11-05T01:30:00-05:00"
    ])
  })
  it("New York restricted hour starting in the second pass waits for the next day", () => {
    expect(fires("America/New_York", { hour: 1, minute: 30 }, "2024-11-03T01:10:00-05:00", 1)).toEqual([
      "2024-11-04T01:30:00-05:00"
    ])
  })
  it("New York hour '*': minute=0,30 fires at both occurrences", () => {
    expect(fires("America/New_York", { minute: "0,30" }, "2024-11-03T00:45:00-04:00", 6)).toEqual([
      "2024-11-03T01:00:00-04:00",
      "2024-11-03T01:30:00-04:00",
      "2024-11-03T01:00:00-05:00",
      "2024-11-03T01:30:00-05:00",
      "2024-11-03T02:00:00-05:00",
      "2024-11-03T02:30:00-05:00"
    ])
  })
  it("Berlin restricted hour fires at the CEST occurrence; hour '*' at both", () => {
    expect(fires("Europe/Berlin", { hour: 2, minute: 30 }, "2024-10-27T00:00:00+02:00", 2)).toEqual([
      "2024-10-27T02:30:00+02:00",
      "2024-10-28T02:30:00+01:00"
    ])
    expect(fires("Europe/Berlin", { minute: 30 }, "2024-10-27T01:45:00+02:00", 3)).toEqual([
      "2024-10-27T02:30:00+02:00",
      "2024-10-27T02:30:00+01:00",
      "2024-10-27T03:30:00+01:00"
    ])
  })
  it("Sydney restricted hour fires at the AEDT occurrence", () => {
    expect(fires("Australia/Sydney", { hour: 2, minute: 30 }, "2024-04-07T00:00:00+11:00", 2)).toEqual([
      "2024-04-07T02:30:00+11:00",
      "2024-04-08T02:30:00+10:00"
    ])
  })
  it("Lord Howe (30-minute overlap): restricted once, hour '*' twice", () => {
    expect(fires("Australia/Lord_Howe", { hour: 1, minute: 45 }, "2024-04-07T00:00:00+11:00", 2)).toEqual([
      "2024-04-07T01:45:00+11:00",
      "2024-04-08T01:45:00+10:30"
    ])
    expect(fires("Australia/Lord_Howe", { minute: 45 }, "2024-04-07T01:00:00+11:00", 3)).toEqual([
      "2024-04-07T01:45:00+11:00",
      "2024-04-07T01:45:00+10:30",
      "2024-04-07T02:45:00+10:30"
    ])
  })
  it("Sao Paulo midnight fall-back 2019-02-16: hour=23 once; hour=22-23 once per wall time", () => {
    expect(fires("America/Sao_Paulo", { hour: 23, minute: 0 }, "2019-02-16T12:00:00-02:00", 2)).toEqual([
      "2019-02-16T23:00:00-02:00",
      "2019-02-17T23:00:00-03:00"
    ])
    expect(fires("America/Sao_Paulo", { hour: "22-23", minute: 0 }, "2006-02-17T16:25:43-02:00", 5)).toEqual([
      "2006-02-17T22:00:00-02:00",
      "2006-02-17T23:00:00-02:00",
      "2006-02-18T22:00:00-02:00",
      "2006-02-18T23:00:00-02:00",
      "2006-02-19T22:00:00-03:00"
    ])
  })
  it("Chatham (+13:45 -> +12:45): restricted once, hour '*' twice", () => {
    expect(fires("Pacific/Chatham", { hour: 3, minute: 0 }, "2024-04-07T00:00:00+13:45", 2)).toEqual([
      "2024-04-07T03:00:00+13:45",
      "2024-04-08T03:00:00+12:45"
    ])
    expect(fires("Pacific/Chatham", { minute: 0 }, "2024-04-07T02:30:00+13:45", 3)).toEqual([
      "2024-04-07T03:00:00+13:45",
      "2024-04-07T03:00:00+12:45",
      "2024-04-07T04:00:00+12:45"
    ])
  })
  it("a per-second job with hour '*' fires every elapsed second through the overlap", () => {
    const t = cron("America/New_York", { second: "*" })
    const start = Date.parse("2024-11-03T01:59:58-04:00")
    let prev = t.next(undefined, start)!
    const seen = [prev]
    for (let i = 0; i < 4; i++) seen.push(prev = t.next(prev, prev)!)
    expect(seen.map((x) => x - start)).toEqual([0, 1000, 2000, 3000, 4000])
  })
})

describe("rule 4: real tz rules after 2037", () => {
  it("New York keeps DST in 2040 (pytz would freeze the offset)", () => {
    expect(fires("America/New_York", { month: 7, day: 1, hour: 12 }, "2040-01-01T00:00:00-05:00", 1)).toEqual([
      "2040-07-01T12:00:00-04:00"
    ])
    expect(fires("America/New_York", { hour: 2, minute: 30 }, "2040-03-11T00:00:00-05:00", 1)).toEqual([
      "2040-03-11T03:30:00-04:00"
    ])
  })
  it("Sydney in 2050", () => {
    expect(fires("Australia/Sydney", { month: 1, day: 15, hour: 9 }, "2050-01-01T00:00:00+11:00", 1)).toEqual([
      "2050-01-15T09:00:00+11:00"
    ])
  })
})

describe("rule 6: never-matching specs return undefined", () => {
  const never: Array<[string, Fields]> = [
    ["UTC", { month: "feb", day: 31 }],
    ["UTC", { month: 2, day: 30 }],
    ["America/New_York", { month: "apr", day: 31 }],
    ["UTC", { year: 2020 }],
    ["UTC", { year: 2025, week: 53 }],
    ["America/New_York", { day: "last fri", dayOfWeek: "sat-sun", minute: "*/20" }],
    ["Asia/Kolkata", { day: "last thu", dayOfWeek: "0/2", hour: "1,11,21,22" }],
    ["Europe/Berlin", { day: "5th mon", month: "feb", year: "2021-2022" }]
  ]
  for (const [zone, fields] of never) {
    it(`${zone} ${JSON.stringify(fields)}`, () => {
      const t = cron(zone, fields)
      expect(t.next(undefined, Date.parse("2024-01-01T00:00:00Z"))).toBeUndefined()
      expect(t.fastForward(Date.parse("2024-01-01T00:00:00Z"), Date.parse("2034-01-01T00:00:00Z"))).toEqual({
        count: 0,
        last: undefined,
        next: undefined
      })
    })
  }
  it("a rare but possible spec still fires (5th monday of february: 2044)", () => {
    expect(fires("UTC", { day: "5th mon", month: "feb" }, "2024-01-01T00:00:00Z", 1)).toEqual(["2044-02-29T00:00:00Z"])
  })
  it("week 53 fires in years that have one", () => {
    expect(fires("UTC", { week: 53, dayOfWeek: "mon" }, "2021-01-05T00:00:00Z", 2)).toEqual([
      "2026-12-28T00:00:00Z",
      "2032-12-27T00:00:00Z"
    ])
  })
})
