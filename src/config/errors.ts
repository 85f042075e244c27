/** The one error the configuration loader throws. */

/** A bad or missing setting; the message names the variable. Stops startup. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}
