/**
 * The compiled-trigger contract shared by every trigger kind.
 *
 * A compiled trigger is an immutable value with one pure method, `next`: given the previous fire
 * time (or `undefined` for the first one) and the current instant, it returns the next fire time
 * or `undefined` when the trigger is exhausted. No clock, no I/O, no randomness: jitter takes its
 * random sample as an argument.
 *
 * @since 0.1.0
 */

/**
 * UTC epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export type Instant = number

/**
 * The longest jitter or misfire grace time accepted, in seconds: 100 years (longer is a mistake,
 * and would take fire times out of the range of a `Date`).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_DURATION_SECONDS = 3_155_760_000

/**
 * A validated, immutable trigger. APScheduler: `BaseTrigger`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CompiledTrigger {
  /** The spec this trigger was compiled from (plain JSON-serializable data). */
  readonly spec: { readonly type: string }
  /** The IANA time zone the trigger computes wall-clock times in. */
  readonly timezone: string
  /** Jitter in seconds (`undefined` or 0 = none). */
  readonly jitter: number | undefined
  /**
   * The next fire time after `previousFire` (or the first one at or after `now` when
   * `previousFire` is undefined); `undefined` when the trigger will never fire again.
   * `jitterSample` in [0, 1) adds `jitterSample * jitter` seconds (APScheduler: `uniform(0, jitter)`).
   * APScheduler: `get_next_fire_time`.
   */
  readonly next: (previousFire: Instant | undefined, now: Instant, jitterSample?: number) => Instant | undefined
  /**
   * Walks the chain that continues from `previousFire` (the fire times `next` would give one after
   * another, without jitter) up to `target`: how many of them lie strictly after `previousFire` and
   * strictly before `target`, the last of those, and the first one at or after `target`.
   * Its cost does not grow with `count` for date, interval and cron triggers (misfire backlogs).
   */
  readonly fastForward: (previousFire: Instant, target: Instant) => FastForward
  /** APScheduler's `str(trigger)`, e.g. `cron[hour='9', minute='30']`. */
  readonly toString: () => string
}

/**
 * The result of {@link CompiledTrigger.fastForward}.
 *
 * @since 0.1.0
 * @category models
 */
export interface FastForward {
  readonly count: number
  readonly last: Instant | undefined
  readonly next: Instant | undefined
}

/**
 * Adds APScheduler's jitter (`uniform(0, jitter)` seconds) to a fire time.
 *
 * @since 0.1.0
 * @category utils
 */
export const applyJitter = (
  fire: Instant | undefined,
  jitter: number | undefined,
  jitterSample: number | undefined
): Instant | undefined =>
  fire === undefined || !jitter || jitterSample === undefined ? fire : fire + Math.floor(jitterSample * jitter * 1000)
