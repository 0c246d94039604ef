type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold: Level = 'info';

/** Set once at boot from LOG_LEVEL. */
export function setLogLevel(level: Level): void {
  threshold = level;
}

/** Structured one-line-JSON logger; `context` names the component. Credentials must never be passed in `fields`. */
export class Logger {
  constructor(private readonly context: string) {}

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  private write(level: Level, message: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < RANK[threshold]) return;
    const line: Record<string, unknown> = { ts: new Date().toISOString(), level, context: this.context, msg: message };
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        line[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
      }
    }
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(JSON.stringify(line) + '\n');
  }
}

/** Adapter so Nest's own messages go through the same logger and level. */
export class NestLoggerAdapter {
  private readonly logger = new Logger('nest');
  log(message: unknown, context?: string) {
    this.logger.debug(String(message), { nestContext: context });
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error(String(message), { trace, nestContext: context });
  }
  warn(message: unknown, context?: string) {
    this.logger.warn(String(message), { nestContext: context });
  }
  debug(message: unknown, context?: string) {
    this.logger.debug(String(message), { nestContext: context });
  }
  verbose(message: unknown, context?: string) {
    this.logger.debug(String(message), { nestContext: context });
  }
}
