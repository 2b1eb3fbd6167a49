/**
 * Catch-up after an hour offline, on the real Redis, driven by the TestClock: the store reads
 * the Effect clock (`clock: "effect"`), so the TestClock is the store's clock too (Redis TIME
 * would not move with it).
 */
import { afterAll, describe } from "@effect/vitest"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { catchUpTest } from "./catchUp.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const prefix = randomPrefix("catchup")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

describe("RedisJobStore catch-up", () => {
  catchUpTest(RedisJobStore.layer({ url: REDIS_URL, prefix, clock: "effect" }))
})
