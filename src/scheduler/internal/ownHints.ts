/**
 * A store's change hints (`JobStoreService.changes`: PostgreSQL `NOTIFY`, Redis pub/sub, SQLite's
 * in-process hints) without those of the scheduler's own writes. Each successful `add` and
 * `update` hints every listener of the store, this scheduler's loop too; but the job API has woken
 * the loop already when the change matters before its next wake-up (`Signal.deadline`), so the
 * hint only made the loop run a pass for nothing (on SQLite, a pass — recover, acquire,
 * getNextRunTime — for about every third add of a burst, most of an add's cost).
 *
 * Hints carry nothing that says whose write they follow, so this counts: each own write takes a
 * credit before it starts, and a hint that finds a credit is dropped. Counts are exact while every
 * own write hints once and every hint arrives: which of two hints is dropped makes no difference
 * (a peer's hint dropped in place of ours is followed by ours, which then finds no credit). A
 * write that fails gives its credit back, and when a hint took it already, wakes the loop in that
 * hint's place. A credit lapses after {@link CREDIT_MS} of real time (the lag of a hint behind its
 * write), so a hint that never came — a listener reconnecting — costs at most a peer's hint within
 * that time, which the loop's poll (`Lock`'s `pollMs`) covers as it covers any lost hint. Credits
 * are taken only while the loop listens.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { JobStoreService } from "../../stores/JobStore.js"

/** How long an own write's credit waits for its hint, in ms of real time. */
export const CREDIT_MS = 5_000

/** Real time: a hint's lag behind its write is real time, whatever clock the scheduler reads. */
const realClock = Clock.make()

/** An own write's credit: `pending` until a hint takes it (`used`), or it lapses or is given back (`void`). */
interface Credit {
  readonly until: number
  state: "pending" | "used" | "void"
}

/**
 * `store` (itself when it has no `changes`) whose `changes` leave out one hint per own successful
 * `add` or `update`; `wake` wakes the loop (for a hint taken by a write that then failed).
 */
export const withoutOwnHints = (store: JobStoreService, wake: () => void): JobStoreService => {
  const changes = store.changes
  if (changes === undefined) return store
  let listening = 0
  let credits: Array<Credit> = []
  let head = 0

  /** Takes the oldest live credit: whether there was one (the hint is then dropped). */
  const absorb = (): boolean => {
    const now = realClock.unsafeCurrentTimeMillis()
    while (head < credits.length) {
      const credit = credits[head++]!
      if (credit.state === "pending" && credit.until >= now) {
        credit.state = "used"
        if (head >= 1024 && head * 2 >= credits.length) {
          credits = credits.slice(head)
          head = 0
        }
        return true
      }
      credit.state = "void" // lapsed or given back
    }
    credits = []
    head = 0
    return false
  }

  const write = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      if (listening === 0) return effect
      const credit: Credit = { until: realClock.unsafeCurrentTimeMillis() + CREDIT_MS, state: "pending" }
      credits.push(credit)
      return Effect.onError(effect, () =>
        Effect.sync(() => {
          // no hint of ours (or none known): a hint this credit took was a peer's
          if (credit.state === "used") wake()
          credit.state = "void"
        }))
    })

  return {
    ...store,
    add: (job, replaceExisting) => write(store.add(job, replaceExisting)),
    update: (job) => write(store.update(job)),
    changes: Stream.unwrapScoped(
      Effect.as(
        Effect.acquireRelease(
          Effect.sync(() => void listening++),
          () =>
            Effect.sync(() => {
              if (--listening === 0) {
                credits = []
                head = 0
              }
            })
        ),
        Stream.filter(changes, () => !absorb())
      )
    )
  }
}
