/**
 * Redis wake-up hints: a job a peer adds (PUBLISH inside the write script, a subscriber connection
 * in the running scheduler) starts on time although the running scheduler polls only every minute.
 */
import { afterAll, describe, it } from "@effect/vitest"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { peerJobStartsOnTime } from "../support/wakeupCase.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const prefix = randomPrefix("wakeup")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

describe("Redis wake-up hints", () => {
  it.live("a job added by a peer starts on time in a scheduler that polls once a minute (PUBLISH/SUBSCRIBE)", () =>
    peerJobStartsOnTime(() => RedisJobStore.layer({ url: REDIS_URL, prefix })), 30_000)
})
