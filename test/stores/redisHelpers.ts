/**
 * Helpers of the Redis store tests: the machine's Redis (`REDIS_URL`, default
 * `redis://127.0.0.1:6379`), a random key prefix per test file, and its cleanup.
 */
import { Redis } from "ioredis"

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"

/** A key prefix of its own for a test file (random, so parallel files never meet). */
export const randomPrefix = (name: string) => `test:${name}:${Math.random().toString(36).slice(2, 10)}`

/** A plain client for reading and corrupting keys in tests. */
export const rawClient = () => new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 })

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export const cleanup = async (client: Redis, prefix: string) => {
  let cursor = "0"
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000)
    cursor = next
    if (keys.length > 0) await client.del(...keys)
  } while (cursor !== "0")
}
