/**
 * Helpers of the Redis store tests: the machine's Redis (`REDIS_URL`, default
 * `redis://127.0.0.1:6379`), a random key prefix per test file, and its cleanup.
 */
import { Redis } from "ioredis"
import type { RedisClient } from "../../src/stores/RedisJobStore.js"

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

/**
 * A store client over a real ioredis client `inner` that shows every script call to `seen` (the
 * script's SHA1, its arguments, its reply) before returning the reply: a window on what a store
 * sends, not a stand-in for Redis.
 */
export const watchedClient = (
  inner: Redis,
  seen: (sha: string, args: ReadonlyArray<string | number>, reply: unknown) => void
): RedisClient => ({
  evalsha: async (sha, n, ...args) => {
    const reply = await inner.evalsha(sha, n, ...args)
    seen(sha, args, reply)
    return reply
  },
  script: (sub, source) => inner.script(sub, source),
  zrange: (key, start, stop) => inner.zrange(key, start, stop, "WITHSCORES"),
  hgetall: (key) => inner.hgetall(key),
  multi: () => inner.multi(),
  connect: () => inner.connect(),
  quit: () => inner.quit(),
  disconnect: () => inner.disconnect(),
  get status() {
    return inner.status
  }
})
