/**
 * The lease policies' settings are checked when the policy is built: a bad one fails with
 * InvalidArgumentError naming the field, never a scheduler that renews every NaN ms.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Lock from "../../src/stores/Lock.js"

describe("Lock settings", () => {
  it.effect("leaseMs, pollMs and storeTimeoutMs must be finite numbers of ms from 1 on; the error names the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Lock.LockOptions, string]> = [
        [{ leaseMs: Number.NaN }, "leaseMs"],
        [{ leaseMs: -5 }, "leaseMs"],
        [{ pollMs: 0 }, "pollMs"],
        [{ pollMs: Number.POSITIVE_INFINITY }, "pollMs"],
        [{ storeTimeoutMs: -1 }, "storeTimeoutMs"],
        [{ leaseMs: "30" as unknown as number }, "leaseMs"],
        [{ owner: "" }, "owner"]
      ]
      for (const [options, field] of cases) {
        for (const make of [Lock.makeLeased, Lock.makeSingle]) {
          const exit = yield* Effect.exit(make(options))
          expect(Exit.isFailure(exit), JSON.stringify(options)).toBe(true)
          if (Exit.isFailure(exit)) {
            const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
            expect(error?._tag).toBe("InvalidArgumentError")
            expect(error?.field).toBe(field)
          }
        }
      }
    }))

  it.effect("valid settings (and storeTimeoutMs: null, no limit) build the policy as given", () =>
    Effect.gen(function*() {
      const lock = yield* Lock.makeLeased({ owner: "a", leaseMs: 5_000, pollMs: 250, storeTimeoutMs: null })
      expect([lock.mode, lock.owner, lock.leaseMs, lock.pollMs, lock.storeTimeoutMs]).toEqual(["leased", "a", 5_000, 250, null])
      const single = yield* Lock.makeSingle()
      expect([single.mode, single.pollMs, single.leaseMs]).toEqual(["single", null, Lock.DEFAULT_LEASE_MS])
    }))
})
