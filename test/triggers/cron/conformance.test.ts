/**
 * APScheduler 3.9.1 conformance vectors for the cron trigger (test/fixtures/conformance), beyond
 * the fire-time chains that the shared runner (test/conformance/runner.ts) checks: `str(trigger)`,
 * effective and default fields, rule 5 (half-read text rejected) and 6 (never-matching), and the
 * exact error messages of invalid.json.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { TriggerError } from "../../../src/errors.js"
import { compile } from "../../../src/triggers/compile.js"
import { compileCron, CronTrigger, type CronTriggerSpec, fromCrontab } from "../../../src/triggers/CronTrigger.js"

const fixture = (name: string) =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../fixtures/conformance/${name}`, import.meta.url)), "utf8"))

interface Time {
  readonly epoch_ms: number
  readonly epoch_us: number
  readonly iso: string
}
interface CronCase {
  readonly id: string
  readonly constructor: "fields" | "from_crontab"
  readonly fields?: Record<string, string | number>
  readonly crontab?: string
  readonly timezone: string
  readonly start_date?: string
  readonly end_date?: string
  readonly now: Time
  readonly effective_fields?: Record<string, string>
  readonly default_fields?: ReadonlyArray<string>
  readonly str?: string
  readonly expected: { readonly fire_times?: ReadonlyArray<Time>; readonly exhausted?: boolean; readonly error?: unknown }
  readonly quirk_codes?: ReadonlyArray<string>
}

const cases: ReadonlyArray<CronCase> = fixture("cron.json").cases
const invalid: ReadonlyArray<CronCase & { type: string }> = fixture("invalid.json").cases.filter((c: { type: string }) => c.type === "cron")

const CAMEL: Record<string, string> = { day_of_week: "dayOfWeek" }
const SNAKE: Record<string, string> = { dayOfWeek: "day_of_week" }

const specOf = (c: CronCase): Either.Either<CronTriggerSpec, TriggerError> => {
  if (c.constructor === "from_crontab") return fromCrontab(c.crontab!, { timezone: c.timezone, flavor: "apscheduler" })
  const spec: Record<string, unknown> = { type: "cron", timezone: c.timezone }
  for (const [k, v] of Object.entries(c.fields ?? {})) spec[CAMEL[k] ?? k] = v
  if (c.start_date !== undefined) spec.startDate = c.start_date
  if (c.end_date !== undefined) spec.endDate = c.end_date
  return Either.right(spec as CronTriggerSpec)
}

const build = (c: CronCase): Either.Either<CronTrigger, TriggerError> => Either.flatMap(specOf(c), compileCron)

const has = (c: CronCase, code: string) => (c.quirk_codes ?? []).includes(code)

describe("cron.json", () => {
  it("has the expected number of cases", () => {
    expect(cases.length).toBe(819)
  })

  for (const c of cases) {
    if (has(c, "lenient_parse_ignored_suffix")) {
      it(`${c.id} half-read text is rejected (rule 5)`, () => {
        const r = build(c)
        expect(Either.isLeft(r)).toBe(true)
        if (Either.isLeft(r)) {
          expect(r.left).toBeInstanceOf(TriggerError)
          const given = c.fields !== undefined ? Object.keys(c.fields).map((k) => CAMEL[k] ?? k) : ["dayOfWeek"]
          expect(given).toContain(r.left.field)
        }
      })
    } else if (has(c, "raises_during_iteration")) {
      it(`${c.id} never fires: undefined, no throw (rule 6)`, () => {
        const t = Either.getOrThrow(build(c))
        expect(t.next(undefined, c.now.epoch_us / 1000)).toBeUndefined()
      })
    } else {
      // fire-time chains are checked by the shared runner (test/conformance); here: str() and fields
      it(`${c.id} str() and effective fields`, () => {
        const t = Either.getOrThrow(build(c))
        expect(t.toString()).toBe(c.str)
        const fields = t.fields
        for (const [name, text] of Object.entries(c.effective_fields!)) {
          expect(fields[(CAMEL[name] ?? name) as keyof typeof fields].expression).toBe(text)
        }
        const defaults = Object.entries(fields).filter(([, f]) => f.isDefault).map(([k]) => SNAKE[k] ?? k)
        expect(defaults.sort()).toEqual([...c.default_fields!].sort())
      })
    }
  }
})

describe("invalid.json (cron)", () => {
  for (const c of invalid) {
    it(`${c.id} is rejected`, () => {
      const r = build(c)
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isRight(r)) return
      const e = r.left
      expect(e).toBeInstanceOf(TriggerError)
      const error = c.expected.error as { type: string; message: string }
      if (error.type === "UnknownTimeZoneError") {
        expect(e.field).toBe("timezone")
      } else if (c.start_date !== undefined) {
        expect(e.field).toBe("startDate")
        expect(e.reason.startsWith(error.message)).toBe(true)
      } else {
        // APScheduler's message, word for word
        expect(e.reason).toBe(error.message)
        if (c.constructor === "from_crontab" && error.message.startsWith("Wrong number")) expect(e.field).toBe("crontab")
        const named = /for field "(\w+)"/.exec(error.message)
        if (named !== null) expect(e.field).toBe(CAMEL[named[1]!] ?? named[1])
      }
    })
  }

  it("compile() gives the same typed errors", () => {
    const r = compile({ type: "cron", hour: "24" })
    expect(Either.isLeft(r)).toBe(true)
    if (Either.isLeft(r)) {
      expect(r.left.field).toBe("hour")
      expect(r.left.reason).toBe("Error validating expression '24': the last value (24) is higher than the maximum value (23)")
    }
    const ok = compile({ type: "cron", dayOfWeek: "mon-fri", hour: 9, minute: "30" })
    expect(Either.isRight(ok) && ok.right.toString()).toBe("cron[day_of_week='mon-fri', hour='9', minute='30']")
  })
})
