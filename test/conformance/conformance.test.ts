/**
 * Every public APScheduler 3.9.1 vector must pass; cases carrying a quirk we fix on purpose are
 * skipped (lenient-parse ones are asserted to be rejected instead).
 */
import { describe, expect, it } from "@effect/vitest"
import * as path from "node:path"
import { FILES, loadCases, runCase } from "./runner.js"

const dir = path.join(import.meta.dirname, "..", "fixtures", "conformance")

for (const file of FILES) {
  const cases = loadCases(dir, file) ?? []
  describe(`conformance ${file}.json`, () => {
    it("has cases", () => {
      expect(cases.length).toBeGreaterThan(0)
    })
    for (const c of cases) {
      const outcome = runCase(file, c)
      if (outcome.status === "skipped") {
        it.skip(`${c.id} (${outcome.reason})`, () => {})
      } else {
        it(c.id, () => {
          expect(outcome).toEqual({ status: "passed", id: c.id })
        })
      }
    }
  })
}

describe("conformance runner", () => {
  it("skips a vector carrying dst_gap_later_times_dropped (rule 1: every matching time in a gap fires shifted)", () => {
    const base = (loadCases(dir, "cron") ?? []).find((c) => c.id === "cron-0096")
    expect(base).toBeDefined()
    const c = { ...structuredClone(base), quirk_codes: ["dst_gap_later_times_dropped"] }
    expect(runCase("cron", c)).toEqual({ status: "skipped", id: "cron-0096", reason: "dst_gap_later_times_dropped" })
  })
})
