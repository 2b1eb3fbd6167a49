/**
 * The in-memory job store: jobs (functions included) in an indexed binary heap ordered by
 * (next run time, id) plus an id map. Add, update and remove are O(log n); `getDueJobs` visits
 * only the due jobs (and their direct children in the heap); `getNextRunTime` is O(1).
 *
 * APScheduler: `MemoryJobStore`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConflictingIdError, JobLookupError } from "../errors.js"
import type { Job } from "../job/Job.js"
import type { Instant } from "../triggers/Trigger.js"
import { compareJobs, JobStore } from "./JobStore.js"

/** A stored job and its heap position (-1 when paused: not in the heap). */
interface Entry {
  job: Job
  pos: number
}

const less = (a: Job, b: Job): boolean => {
  const x = a.nextRunTime as number
  const y = b.nextRunTime as number
  return x < y || (x === y && a.id < b.id)
}

/**
 * The mutable index behind {@link make}; exported for benchmarks and custom stores.
 *
 * @since 0.1.0
 * @category models
 */
export class JobIndex {
  private readonly heap: Array<Entry> = []
  private readonly byId = new Map<string, Entry>()

  /** Number of jobs. */
  get size(): number {
    return this.byId.size
  }

  /** The job with this id. */
  get(id: string): Job | undefined {
    return this.byId.get(id)?.job
  }

  /** Adds a job; `false` when the id exists (unless `replace`). */
  add(job: Job, replace: boolean): boolean {
    const existing = this.byId.get(job.id)
    if (existing !== undefined) {
      if (!replace) return false
      this.set(existing, job)
      return true
    }
    const entry: Entry = { job, pos: -1 }
    this.byId.set(job.id, entry)
    if (job.nextRunTime !== null) this.push(entry)
    return true
  }

  /** Replaces a job; `false` when there is none with its id. */
  update(job: Job): boolean {
    const entry = this.byId.get(job.id)
    if (entry === undefined) return false
    this.set(entry, job)
    return true
  }

  /** Removes a job; `false` when there is none with this id. */
  remove(id: string): boolean {
    const entry = this.byId.get(id)
    if (entry === undefined) return false
    this.byId.delete(id)
    if (entry.pos >= 0) this.removeAt(entry.pos)
    return true
  }

  /** Removes every job. */
  clear(): void {
    this.heap.length = 0
    this.byId.clear()
  }

  /** The earliest next run time. */
  nextRunTime(): Instant | undefined {
    return this.heap.length === 0 ? undefined : (this.heap[0]!.job.nextRunTime as number)
  }

  /** The jobs due at `now`, ordered; visits only due jobs and their heap children. */
  due(now: Instant): Array<Job> {
    const heap = this.heap
    const out: Array<Job> = []
    if (heap.length === 0 || (heap[0]!.job.nextRunTime as number) > now) return out
    const stack = [0]
    while (stack.length > 0) {
      const i = stack.pop()!
      const job = heap[i]!.job
      if ((job.nextRunTime as number) > now) continue
      out.push(job)
      const l = 2 * i + 1
      if (l < heap.length) stack.push(l)
      if (l + 1 < heap.length) stack.push(l + 1)
    }
    return out.length > 1 ? out.sort(compareJobs) : out
  }

  /**
   * Takes the jobs due at `now` out of the time order and returns them, ordered. They stay stored
   * (found by id, listed) but are not in the time order until each is updated (back in it),
   * removed, or {@link restore}d. A scheduler pass updates or removes every due job: taking them
   * out at once (one partition of the heap when many are due) replaces one heap removal each.
   */
  takeDue(now: Instant): Array<Job> {
    const heap = this.heap
    if (heap.length === 0 || (heap[0]!.job.nextRunTime as number) > now) return []
    const taken: Array<Entry> = []
    const stack = [0]
    while (stack.length > 0) {
      const i = stack.pop()!
      const entry = heap[i]!
      if ((entry.job.nextRunTime as number) > now) continue
      taken.push(entry)
      const l = 2 * i + 1
      if (l < heap.length) stack.push(l)
      if (l + 1 < heap.length) stack.push(l + 1)
    }
    const n = heap.length
    const k = taken.length
    if (k * Math.log2(n) >= n - k) {
      // many: keep the others and rebuild the heap from them
      for (let i = 0; i < k; i++) taken[i]!.pos = -1
      let w = 0
      for (let r = 0; r < n; r++) {
        const entry = heap[r]!
        if (entry.pos < 0) continue
        heap[w] = entry
        entry.pos = w++
      }
      heap.length = w
      for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(i)
    } else {
      for (let i = 0; i < k; i++) this.removeAt(taken[i]!.pos)
    }
    const out: Array<Job> = new Array(k)
    for (let i = 0; i < k; i++) out[i] = taken[i]!.job
    return k > 1 ? out.sort(compareJobs) : out
  }

  /** Puts a job taken by {@link takeDue} back in the time order (unless updated or removed since). */
  restore(job: Job): void {
    const entry = this.byId.get(job.id)
    if (entry !== undefined && entry.job === job && entry.pos < 0 && job.nextRunTime !== null) this.push(entry)
  }

  /** Every job, ordered (paused last). */
  all(): Array<Job> {
    const out: Array<Job> = []
    for (const entry of this.byId.values()) out.push(entry.job)
    return out.sort(compareJobs)
  }

  private set(entry: Entry, job: Job): void {
    const wasScheduled = entry.pos >= 0
    entry.job = job
    if (job.nextRunTime === null) {
      if (wasScheduled) this.removeAt(entry.pos)
    } else if (!wasScheduled) {
      this.push(entry)
    } else {
      this.siftUp(entry.pos)
      this.siftDown(entry.pos)
    }
  }

  private push(entry: Entry): void {
    entry.pos = this.heap.length
    this.heap.push(entry)
    this.siftUp(entry.pos)
  }

  private removeAt(pos: number): void {
    const heap = this.heap
    const removed = heap[pos]!
    removed.pos = -1
    const last = heap.pop()!
    if (pos < heap.length) {
      heap[pos] = last
      last.pos = pos
      this.siftUp(pos)
      this.siftDown(last.pos)
    }
  }

  private siftUp(pos: number): void {
    const heap = this.heap
    const entry = heap[pos]!
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1
      const parent = heap[parentPos]!
      if (!less(entry.job, parent.job)) break
      heap[pos] = parent
      parent.pos = pos
      pos = parentPos
    }
    heap[pos] = entry
    entry.pos = pos
  }

  private siftDown(pos: number): void {
    const heap = this.heap
    const n = heap.length
    const entry = heap[pos]!
    for (;;) {
      const l = 2 * pos + 1
      if (l >= n) break
      const r = l + 1
      const child = r < n && less(heap[r]!.job, heap[l]!.job) ? r : l
      const c = heap[child]!
      if (!less(c.job, entry.job)) break
      heap[pos] = c
      c.pos = pos
      pos = child
    }
    heap[pos] = entry
    entry.pos = pos
  }
}

/**
 * Builds a memory job store over a fresh {@link JobIndex}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<JobStore["Type"]> = Effect.sync(() => fromIndex(new JobIndex()))

/**
 * A memory job store over an existing index.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromIndex = (index: JobIndex): JobStore["Type"] => {
  const store = JobStore.of({
    add: (job, replaceExisting = false) =>
      Effect.suspend(() =>
        index.add(job, replaceExisting) ? Effect.void : Effect.fail(new ConflictingIdError({ jobId: job.id }))
      ),
    update: (job) =>
      Effect.suspend(() => index.update(job) ? Effect.void : Effect.fail(new JobLookupError({ jobId: job.id }))),
    remove: (jobId) =>
      Effect.suspend(() => index.remove(jobId) ? Effect.void : Effect.fail(new JobLookupError({ jobId }))),
    removeAll: Effect.sync(() => index.clear()),
    lookup: (jobId) => Effect.sync(() => Option.fromNullable(index.get(jobId))),
    getDueJobs: (now) => Effect.sync(() => index.due(now)),
    getNextRunTime: Effect.sync(() => Option.fromNullable(index.nextRunTime())),
    getAll: Effect.sync(() => index.all())
  })
  indexes.set(store, index)
  return store
}

// the index of each store built here (keyed by the very object: a copy or wrapper has none)
const indexes = new WeakMap<JobStore["Type"], JobIndex>()

/**
 * The index behind a store built by {@link make} / {@link fromIndex} (that very object, not a copy
 * or a wrapper, which may change what its operations do): the scheduler's loop reads and updates it
 * synchronously instead of going through the store's Effects.
 *
 * @since 0.1.0
 * @category utils
 */
export const indexOf = (store: JobStore["Type"]): JobIndex | undefined => indexes.get(store)

/**
 * The memory job store layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<JobStore> = Layer.effect(JobStore, make)
