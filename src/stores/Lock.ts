/**
 * The lease policy the scheduler claims jobs with (ARCHITECTURE §2 `Lock`): who this scheduler is
 * (`owner`, a random id per process start, never the host name) and how long a claim lasts. It
 * never holds a critical section around a pass: the store's `acquire` / `release` are atomic, and
 * a job leased by a live owner is not handed to another.
 *
 * - {@link single}: one scheduler on its store (the default for the memory store): leases are
 *   taken and cleared within one pass; no heartbeat.
 * - {@link leased}: several schedulers on one store (the default for persistent stores). The
 *   scheduler's heartbeat renews the leases of the runs it holds every `leaseMs / 3` (one
 *   `renewRuns` per store), stops a run whose lease could not be renewed in time, recovers runs
 *   whose holder's lease expired (`recover`: re-run with a higher fence and `attempt + 1`, or
 *   `abandoned` for a job with `recovery: "abandon"`) and hands its leases back at shutdown
 *   (`src/scheduler/internal/heartbeat.ts`).
 *
 * The default, when no `Lock` is in the scheduler's context, is settled when the scheduler starts
 * ({@link defaultMode}): `leased` when one of its job stores is persistent (SQL, Redis, MongoDB:
 * `JobStoreService.persistent`), else `single`. A persistent store under `single` would keep the
 * runs of a process killed with `kill -9` live for ever; under `leased` a peer (or the process
 * itself, restarted) recovers them when their lease ends. Provide `Lock.single()` to opt out.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import { InvalidArgumentError } from "../errors.js"

/**
 * The lease policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface LockService {
  /** `single`: one scheduler per store; `leased`: several schedulers share stores. */
  readonly mode: "single" | "leased"
  /** This scheduler's id in leases and runs (random per process start). */
  readonly owner: string
  /** How long a claim (and a run's lease) lasts, in ms. */
  readonly leaseMs: number
  /**
   * The longest the loop sleeps between looks at its stores, in ms (`null`: until the next run
   * time or a local wake-up). With `leased`, peers change the store too, so the loop polls.
   */
  readonly pollMs: number | null
  /**
   * How long the scheduler waits for any one call to a persistent store (SQL, Redis, MongoDB)
   * before it counts it as failed, in ms
   * (`null`: for ever). A call past it fails with `StoreError` (reason `no answer within … ms`):
   * the loop retries after `jobstoreRetryInterval`, the heartbeat counts a failed renewal, the job
   * API returns the error. A blackholed connection never answers; this is what ends the wait.
   */
  readonly storeTimeoutMs: number | null
}

/**
 * The lease policy in use.
 *
 * @since 0.1.0
 * @category tags
 */
export class Lock extends Context.Tag("effect-apscheduler/Lock")<Lock, LockService>() {}

/**
 * The default lease: 30 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_LEASE_MS = 30_000

/**
 * How often a scheduler on a shared store (`leased`) looks at it at least: every second.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_POLL_MS = 1_000

/**
 * How long the scheduler waits for one store call by default: 10 seconds (a third of the
 * default lease, as long as the heartbeat waits for a renewal).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_STORE_TIMEOUT_MS = 10_000

/**
 * A random owner id (128 bits, hex), drawn from `Random`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOwner: Effect.Effect<string> = Effect.gen(function*() {
  let id = ""
  for (let i = 0; i < 8; i++) id += (yield* Random.nextIntBetween(0, 0x10000)).toString(16).padStart(4, "0")
  return id
})

/**
 * Options of the lease policies.
 *
 * @since 0.1.0
 * @category models
 */
export interface LockOptions {
  /** The owner id (default: random per start). */
  readonly owner?: string | undefined
  /** Lease length in ms (default {@link DEFAULT_LEASE_MS}). */
  readonly leaseMs?: number | undefined
  /** `leased` only: the longest sleep between looks at the stores, in ms (default {@link DEFAULT_POLL_MS}). */
  readonly pollMs?: number | undefined
  /**
   * The longest wait for one store call, in ms, before it fails with `StoreError` (default
   * {@link DEFAULT_STORE_TIMEOUT_MS}; `null`: no limit).
   */
  readonly storeTimeoutMs?: number | null | undefined
}

/** The first option that is not a positive whole number of ms (`null` allowed for `storeTimeoutMs`). */
const badOption = (options: LockOptions): InvalidArgumentError | undefined => {
  const fields = [["leaseMs", options.leaseMs], ["pollMs", options.pollMs], ["storeTimeoutMs", options.storeTimeoutMs]] as const
  for (const [field, value] of fields) {
    if (value === undefined || (value === null && field === "storeTimeoutMs")) continue
    if (typeof value !== "number" || !Number.isFinite(value) || value < 1 || value > 2_147_483_647) {
      return new InvalidArgumentError({
        field,
        reason: `expected a number of ms from 1 to 2147483647, got ${String(value)}`
      })
    }
  }
  if (options.owner !== undefined && (typeof options.owner !== "string" || options.owner === "")) {
    return new InvalidArgumentError({ field: "owner", reason: "expected a non-empty string" })
  }
  return undefined
}

const build = (mode: LockService["mode"], options: LockOptions): Effect.Effect<LockService, InvalidArgumentError> =>
  Effect.suspend(() => {
    const bad = badOption(options)
    return bad === undefined ? Effect.void : Effect.fail(bad)
  }).pipe(Effect.zipRight(options.owner === undefined ? makeOwner : Effect.succeed(options.owner)), Effect.map((owner) =>
    Lock.of({
      mode,
      owner,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      pollMs: mode === "single" ? null : Math.max(1, options.pollMs ?? DEFAULT_POLL_MS),
      storeTimeoutMs: options.storeTimeoutMs === null
        ? null
        : Math.max(1, options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS)
    })))

/**
 * The policy a scheduler without a given `Lock` uses: `leased` when any of its job stores is
 * persistent (kept outside the process: SQL, Redis, MongoDB), else `single` (the memory store).
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultMode = (stores: Iterable<{ readonly persistent?: boolean | undefined }>): LockService["mode"] => {
  for (const store of stores) if (store.persistent === true) return "leased"
  return "single"
}

/**
 * The shared-store policy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLeased = (options: LockOptions = {}): Effect.Effect<LockService, InvalidArgumentError> =>
  build("leased", options)

/**
 * The single-scheduler policy (the default when none is provided and no job store is persistent).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSingle = (options: LockOptions = {}): Effect.Effect<LockService, InvalidArgumentError> =>
  build("single", options)

/**
 * The single-scheduler policy as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const single = (options: LockOptions = {}): Layer.Layer<Lock, InvalidArgumentError> =>
  Layer.effect(Lock, makeSingle(options))

/**
 * The shared-store policy as a layer: several schedulers on one store.
 *
 * @since 0.1.0
 * @category layers
 */
export const leased = (options: LockOptions = {}): Layer.Layer<Lock, InvalidArgumentError> =>
  Layer.effect(Lock, build("leased", options))
