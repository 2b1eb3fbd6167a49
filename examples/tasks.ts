/**
 * Task functions that worker threads import by reference (`"<path>:fib"`): a module of plain
 * exported functions, as APScheduler's process pool imports `module:function`.
 */

/** The n-th Fibonacci number, the slow way (CPU-bound work for a worker thread). */
export const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2))
