/**
 * Property (issue 7 §1): a cron trigger's `fastForward(prev, target)` agrees with walking `next()`
 * one fire at a time — count, last fire and next fire — for random specs and zones, with targets
 * placed on and around UTC-offset changes (found with `Zone.nextTransition`): exactly on a change,
 * a second either side, and one or two days either side (where a fire exactly 24 h before a change
 * used to be dropped).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { compileCron } from "../../../src/triggers/CronTrigger.js"
import { getZone } from "../../../src/triggers/internal/zone.js"

const DAY = 86_400_000
const HOUR = 3_600_000

/** Zones with positive, negative (Dublin, Windhoek, Casablanca), 30-minute and midnight changes. */
const ZONES = [
  "America/New_York", "Europe/London", "Europe/Berlin", "Europe/Dublin", "Africa/Windhoek",
  "Africa/Casablanca", "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo",
  "Pacific/Chatham", "America/Santiago", "Asia/Tehran", "America/Havana", "Asia/Kolkata", "UTC"
]

const listArb = (min: number, max: number, maxLength: number) =>
  fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength }).map((vs) => vs.join(","))

/** Random cron fields, dense enough to fire near a change, sparse enough to walk (about <= 1/min). */
const fieldsArb = fc.record({
  month: fc.option(fc.constantFrom("*", "3,10", "*/2", "1-6"), { nil: undefined }),
  day: fc.option(fc.oneof(listArb(1, 31, 6), fc.constantFrom("*", "last", "1st sun", "*/3", "1-10")), { nil: undefined }),
  dayOfWeek: fc.option(fc.oneof(listArb(0, 6, 3), fc.constantFrom("*", "mon-fri", "sun")), { nil: undefined }),
  hour: fc.option(fc.oneof(listArb(0, 23, 5), fc.constantFrom("*", "*/2", "0-3", "1", "2", "22-23", "*/1")), { nil: undefined }),
  minute: fc.option(fc.oneof(listArb(0, 59, 4), fc.constantFrom("0", "30", "*/15", "0,30", "59")), { nil: undefined }),
  second: fc.option(fc.constantFrom("0", "30", "0,30"), { nil: undefined })
})

/** Where the target lies relative to the chosen change. */
const deltaArb = fc.oneof(
  fc.constantFrom(0, 1, -1, 1000, -1000, DAY, -DAY, DAY + 1000, DAY - 1000, -DAY - 1000, 2 * DAY, -2 * DAY, HOUR, -HOUR, 0.5, -0.5),
  // just after the instant one day before the change
  fc.constantFrom(1, 1000, 60_000, HOUR / 2, HOUR - 1).map((d) => d - DAY),
  fc.integer({ min: -2 * DAY, max: 2 * DAY }),
  fc.integer({ min: -48, max: 48 }).map((h) => h * HOUR / 2)
)

const MAX_STEPS = 6_000

describe("cron fastForward agrees with walking next()", () => {
  it("random specs and zones, targets on and around UTC-offset changes: 0 disagreements", () => {
    let checked = 0
    fc.assert(
      fc.property(
        fieldsArb,
        fc.constantFrom(...ZONES),
        fc.integer({ min: 1972, max: 2058 }),
        fc.nat(),
        deltaArb,
        fc.oneof(fc.constantFrom(HOUR, DAY, 2 * DAY, 3 * DAY), fc.integer({ min: 1, max: 3 * DAY })),
        fc.boolean(),
        fc.constantFrom(undefined, -DAY, 0, DAY, -HOUR),
        (fields0, zoneName, year, pick, delta, length, prevOnFire, alignAt) => {
          const zone = getZone(zoneName)!
          // the changes of that year (none for UTC / Kolkata: plain targets then)
          const changes: Array<number> = []
          const end = Date.UTC(year + 1, 0, 1)
          for (let x = zone.nextTransition(Date.UTC(year, 0, 1), end); x !== undefined; x = zone.nextTransition(x, end)) {
            changes.push(x)
          }
          const x = changes.length > 0 ? changes[pick % changes.length]! : Date.UTC(year, pick % 12, 15)
          let fields: Record<string, string | undefined> = fields0
          if (alignAt !== undefined) {
            // make the spec fire at the wall time of x + alignAt (a day before the change, on it …)
            const at = x + alignAt
            const wall = new Date(at + zone.offsetAt(at))
            const h = wall.getUTCHours()
            fields = {
              ...fields,
              hour: fields.hour === "*" || fields.hour === undefined ? fields.hour : `${fields.hour},${h}`,
              minute: String(wall.getUTCMinutes()),
              second: String(wall.getUTCSeconds())
            }
          }
          const compiled = compileCron({ type: "cron", ...fields, timezone: zoneName })
          if (Either.isLeft(compiled)) return
          const t = compiled.right
          const target = x + delta
          let prev = target - length
          if (prevOnFire) {
            // start from a fire time (as planRuns does from a job's next run time)
            const f = t.next(undefined, prev)
            if (f !== undefined && f < target) prev = f
          }
          let count = 0
          let last: number | undefined
          let f = t.next(prev, prev)
          let steps = 0
          while (f !== undefined && f < target && steps++ < MAX_STEPS) {
            count++
            last = f
            f = t.next(f, f)
          }
          if (steps >= MAX_STEPS) return
          checked++
          expect({ spec: fields, zoneName, prev, target, ff: t.fastForward(prev, target) })
            .toEqual({ spec: fields, zoneName, prev, target, ff: { count, last, next: f } })
        }
      ),
      { numRuns: 10_000, seed: 20241102 }
    )
    expect(checked).toBeGreaterThan(9_000)
  })
})
