/**
 * The types of what users write to describe a trigger: the options of each built-in alias
 * (`"date"`, `"interval"`, `"cron"`, `"and"`, `"or"`) in camelCase or APScheduler's snake_case, and
 * spec objects (`{ type: "cron", hour: 9 }`). They make the ordinary mistakes compile errors:
 * `dayofweek`, `hourr`, a trigger field among a job's options, a number where a date is expected.
 * A trigger alias registered as a plugin takes any options (its plugin checks them).
 *
 * @since 0.1.0
 */
import type { DateTime } from "luxon"
import type { CompiledTrigger } from "./Trigger.js"

/**
 * `maxInstances` → `max_instances` (type level): APScheduler's spelling of a camelCase name.
 *
 * @since 0.1.0
 * @category models
 */
export type SnakeCase<S extends string> = S extends `${infer C}${infer Rest}`
  ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeCase<Rest>}`
  : S

/** The keys of `T` spelt in snake_case, each as optional or required as in `T`. */
type SnakeSpelt<T> = { [K in keyof T as K extends string ? SnakeCase<K> : never]: T[K] }

/** The keys `T` requires. */
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T]

/**
 * An options type whose keys may also be written in snake_case (`dayOfWeek` or `day_of_week`;
 * giving both is refused when the options are read). A required option is required in one of its
 * spellings.
 *
 * @since 0.1.0
 * @category models
 */
export type WithSnakeCase<T> = [RequiredKeys<T>] extends [never] ? T & Partial<SnakeSpelt<T>>
  : (T & Partial<SnakeSpelt<T>>) | (SnakeSpelt<T> & Partial<T>)

/**
 * A date in a trigger's options: an APScheduler date string (`"2026-12-01 09:00:00"`, read in the
 * trigger's time zone unless it carries an offset), a `Date` or a luxon `DateTime`. A bare number
 * is refused (seconds or milliseconds?).
 *
 * @since 0.1.0
 * @category models
 */
export type DateInput = string | Date | DateTime

/**
 * Options of the `"date"` trigger: fire once at `runDate`. APScheduler: `DateTrigger`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DateTriggerOptions {
  readonly runDate: DateInput
  readonly timezone?: string | undefined
}

/**
 * Options of the `"interval"` trigger (the durations add up; none = 1 second). APScheduler:
 * `IntervalTrigger`.
 *
 * @since 0.1.0
 * @category models
 */
export interface IntervalTriggerOptions {
  readonly weeks?: number | undefined
  readonly days?: number | undefined
  readonly hours?: number | undefined
  readonly minutes?: number | undefined
  readonly seconds?: number | undefined
  readonly startDate?: DateInput | undefined
  readonly endDate?: DateInput | undefined
  readonly timezone?: string | undefined
  /** Seconds: each fire is delayed by a random amount up to this. */
  readonly jitter?: number | undefined
}

/**
 * A cron field: an APScheduler expression (`"*\/5"`, `"mon-fri"`, `"last fri"`) or a number.
 *
 * @since 0.1.0
 * @category models
 */
export type CronField = string | number

/**
 * Options of the `"cron"` trigger. APScheduler: `CronTrigger`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CronTriggerOptions {
  readonly year?: CronField | undefined
  readonly month?: CronField | undefined
  readonly day?: CronField | undefined
  readonly week?: CronField | undefined
  /** 0 = Monday, as in APScheduler; or `mon`–`sun`. */
  readonly dayOfWeek?: CronField | undefined
  readonly hour?: CronField | undefined
  readonly minute?: CronField | undefined
  readonly second?: CronField | undefined
  /** `"or"`: a day matches when `day` or `dayOfWeek` does (Vixie cron); default `"and"`. */
  readonly dayMatch?: "and" | "or" | undefined
  readonly startDate?: DateInput | undefined
  readonly endDate?: DateInput | undefined
  readonly timezone?: string | undefined
  readonly jitter?: number | undefined
}

/**
 * Options of the `"and"` / `"or"` triggers: the triggers they combine, as spec objects.
 *
 * @since 0.1.0
 * @category models
 */
export interface CombiningTriggerOptions {
  readonly triggers: ReadonlyArray<BuiltinTriggerSpecInput>
  readonly jitter?: number | undefined
}

/**
 * The options of each built-in trigger alias.
 *
 * @since 0.1.0
 * @category models
 */
export interface TriggerOptionsByAlias {
  readonly date: DateTriggerOptions
  readonly interval: IntervalTriggerOptions
  readonly cron: CronTriggerOptions
  readonly and: CombiningTriggerOptions
  readonly or: CombiningTriggerOptions
}

/**
 * The built-in trigger aliases.
 *
 * @since 0.1.0
 * @category models
 */
export type BuiltinTriggerAlias = keyof TriggerOptionsByAlias

/**
 * The options an alias takes: a built-in alias' own (camelCase or snake_case), any object for an
 * alias registered as a plugin.
 *
 * @since 0.1.0
 * @category models
 */
export type TriggerOptionsFor<A extends string> = [A] extends [BuiltinTriggerAlias]
  ? WithSnakeCase<TriggerOptionsByAlias[A]>
  : Readonly<Record<string, unknown>>

/**
 * A spec object of a built-in trigger: `{ type: "cron", hour: 9 }`.
 *
 * @since 0.1.0
 * @category models
 */
export type BuiltinTriggerSpecInput = {
  [A in BuiltinTriggerAlias]: { readonly type: A } & WithSnakeCase<TriggerOptionsByAlias[A]>
}[BuiltinTriggerAlias]

/**
 * A spec object: `{ type: "interval", seconds: 10 }`, typed by its `type` (any options for a
 * plugin's type).
 *
 * @since 0.1.0
 * @category models
 */
export type TriggerSpecInput<A extends string = BuiltinTriggerAlias> = { readonly type: A } & TriggerOptionsFor<A>

/**
 * A trigger given to a job: an alias (its options beside it), a spec object, or a compiled trigger.
 *
 * @since 0.1.0
 * @category models
 */
export type TriggerInput<A extends string = string> = A | TriggerSpecInput<A> | CompiledTrigger
