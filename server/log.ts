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

/**
 * A value as it goes into a log line: control characters (C0, DEL, C1, the Unicode line and
 * paragraph separators), spaces and backslashes escaped, so no input can end a line or add a field.
 */
export const escapeLogField = (value: string): string =>
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  value.replace(/[\u0000-\u0020\u007f-\u009f\u2028\u2029\\]/g, (char) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };
    const code = char.charCodeAt(0);
    return (
      named[char] ??
      (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`)
    );
  });
