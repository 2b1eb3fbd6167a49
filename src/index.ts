/**
 * effect-apscheduler: APScheduler re-built in TypeScript on Effect.
 *
 * @since 0.1.0
 */
export * as Job from "./job/Job.js"
export * as TaskRef from "./job/TaskRef.js"
export * as TaskRegistry from "./job/TaskRegistry.js"
export * as SchedulerEvent from "./events/SchedulerEvent.js"
export * as EventBus from "./events/EventBus.js"
export * as JobStore from "./stores/JobStore.js"
export * as JobContext from "./job/JobContext.js"
export * as MemoryJobStore from "./stores/MemoryJobStore.js"
export * as EncodedJobStore from "./stores/EncodedJobStore.js"
/**
 * The SQL job store (SQLite, PostgreSQL, MySQL / MariaDB) over `@effect/sql`; each dialect's
 * client library is imported only when a store of that dialect is built.
 *
 * @since 0.1.0
 */
export * as SqlJobStore from "./stores/sql/SqlJobStore.js"
export * as RedisJobStore from "./stores/RedisJobStore.js"
export * as MongoJobStore from "./stores/MongoJobStore.js"
export * as Lock from "./stores/Lock.js"
export * as Executor from "./executors/Executor.js"
export * as FiberExecutor from "./executors/FiberExecutor.js"
export * as WorkerExecutor from "./executors/WorkerExecutor.js"
export * as Scheduler from "./scheduler/Scheduler.js"
export * as SchedulerConfig from "./scheduler/SchedulerConfig.js"
export * as Plugins from "./scheduler/Plugins.js"
export * as TestScheduler from "./testing/TestScheduler.js"
/**
 * Triggers: the compiled-trigger contract and the specs with `compile` in one module.
 *
 * @since 0.1.0
 */
export * as Trigger from "./triggers/TriggerModule.js"
/**
 * The same module as {@link Trigger}, under the name it had before the two were merged.
 *
 * @since 0.1.0
 * @deprecated use `Trigger`
 */
export * as Triggers from "./triggers/TriggerModule.js"
/**
 * The types of trigger options as users write them (per alias, camelCase or snake_case).
 *
 * @since 0.1.0
 */
export * as TriggerOptions from "./triggers/TriggerOptions.js"
export * as DateTrigger from "./triggers/DateTrigger.js"
export * as IntervalTrigger from "./triggers/IntervalTrigger.js"
export * as CronTrigger from "./triggers/CronTrigger.js"
export * as Combining from "./triggers/Combining.js"
export * as Planning from "./planning/planRuns.js"
export * from "./errors.js"
export * as Facade from "./facade/BackgroundScheduler.js"
export { BackgroundScheduler, BlockingScheduler } from "./facade/BackgroundScheduler.js"
