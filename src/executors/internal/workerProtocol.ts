/** A run request sent to a worker thread. */
export interface RunRequest {
  readonly task: string
  readonly args: ReadonlyArray<unknown>
  readonly kwargs: Readonly<Record<string, unknown>>
  /** The run context's data (the worker makes it `JobContext.current()` for the task). */
  readonly context: {
    readonly jobId: string
    readonly scheduledTime: number
    readonly fence: number
    readonly attempt: number
  }
}

/** A task's error, as sent back by a worker thread. */
export interface TaskFailure {
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
}
