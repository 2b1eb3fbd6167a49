import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { suite } from "./jobStoreSuite.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const prefix = randomPrefix("suite")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

suite("RedisJobStore (clock: effect)", RedisJobStore.layer({ url: REDIS_URL, prefix, clock: "effect" }))

describe("RedisJobStore", () => {
  it.effect("keys live under the prefix", () =>
    Effect.gen(function*() {
      const keys = yield* Effect.promise(() => raw.keys(`${prefix}:*`))
      expect(keys.every((k) => k.startsWith(`${prefix}:`))).toBe(true)
    }))
})
