import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { Trigger, Triggers } from "../../src/index.js"

describe("the Trigger module of the package's entry point", () => {
  it("holds the compiled-trigger contract and the specs with compile; Triggers is the same module", () => {
    const trigger = Trigger.unsafeCompile({ type: "interval", minutes: 1, startDate: "2024-01-01 00:00:00", timezone: "UTC" })
    expect(trigger.next(undefined, Date.UTC(2024, 0, 1))).toBe(Date.UTC(2024, 0, 1))
    expect(Trigger.applyJitter(1000, 2, 0.5)).toBe(2000)
    expect(Trigger.MAX_DURATION_SECONDS).toBe(3_155_760_000)
    expect(Either.isLeft(Trigger.compile({ type: "cron", hour: "25" }))).toBe(true)
    expect(Triggers).toBe(Trigger)
  })
})
