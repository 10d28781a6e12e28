// Log levels of the local server (LOG_LEVEL=debug|info|warn|error, default info). A request line
// is `info` when the answer is below 500 and `error` from 500 on, so LOG_LEVEL=warn prints only
// failing requests and server faults.
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const isLogLevel = (value: string): value is LogLevel =>
  (LOG_LEVELS as readonly string[]).includes(value);

/** Whether a message at `level` is printed when the threshold is `threshold`. */
export const shouldLog = (level: LogLevel, threshold: LogLevel): boolean =>
  LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);

/** The level of the line for a request answered with `status`. */
export const requestLevel = (status: number): LogLevel => (status >= 500 ? 'error' : 'info');
