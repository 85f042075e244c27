/**
 * The part of an event-stream reader that is the same for every provider whose
 * `data:` payloads are JSON: parse, check against a compiled schema, hand the
 * typed event to the provider's mapper, and map HTTP and JSON-instead-of-stream
 * failures with the provider's error mapper. Provider folders subclass
 * {@link JsonEventStreamReader} with their schema, error mapper and event mapping.
 */
import type { ParleyError } from '../../errors.js';
import type { StreamPart } from '../types.js';
import type { EventStreamReader } from './event-stream.js';
import type { ResponseHeaders } from './retry-after.js';
import { badResponseError, parseJsonOrUndefined, type UpstreamCallContext } from './upstream-errors.js';

/** A compiled schema (typebox `Compile`): a type guard and its first errors. */
export interface SchemaValidator<T> {
  Check(value: unknown): value is T;
  Errors(value: unknown): readonly { instancePath: string; message: string }[];
}

/**
 * Checks a parsed value against a compiled schema.
 * @param what names the whole value in the reason when the root is wrong (`event`, `chunk`).
 * @returns the typed value, or a reason naming the first bad field (JSON pointer); never throws.
 */
export function checkSchema<T>(validator: SchemaValidator<T>, value: unknown, what: string): { ok: true; value: T } | { ok: false; reason: string } {
  if (validator.Check(value)) return { ok: true, value };
  const [first] = validator.Errors(value);
  const where = first === undefined || first.instancePath === '' ? what : first.instancePath;
  return { ok: false, reason: `${where}: ${first?.message ?? `does not match the ${what} schema`}` };
}

/** How one provider maps its error answers (its ./errors.ts). */
export interface ProviderErrorMapper {
  /** Maps a non-2xx answer from its status, headers and (first 8 KiB of) body. */
  fromHttpError(status: number, headers: ResponseHeaders, bodyText: string, context: UpstreamCallContext): ParleyError;
  /** Maps a JSON error body sent with a 2xx; undefined when the body names no error. */
  fromErrorBody(body: unknown, context: UpstreamCallContext): ParleyError | undefined;
}

/** Base of the readers of JSON event streams (see {@link EventStreamReader}). */
export abstract class JsonEventStreamReader<Event> implements EventStreamReader {
  /**
   * @param validator the compiled schema of one event.
   * @param what names an event in schema failure reasons.
   */
  protected constructor(
    protected readonly context: UpstreamCallContext,
    private readonly errors: ProviderErrorMapper,
    private readonly validator: SchemaValidator<Event>,
    private readonly what: string,
  ) {}

  abstract readonly ended: boolean;
  abstract readonly finished: boolean;
  abstract complete(): readonly StreamPart[];
  abstract fail(error: ParleyError): readonly StreamPart[];
  /** Maps one valid event. */
  protected abstract map(event: Event): readonly StreamPart[];

  httpError(status: number, headers: ResponseHeaders, bodyText: string): ParleyError {
    return this.errors.fromHttpError(status, headers, bodyText, this.context);
  }

  jsonInsteadOfStream(bodyText: string): ParleyError {
    return (
      this.errors.fromErrorBody(parseJsonOrUndefined(bodyText), this.context) ??
      badResponseError(this.context, 'expected an event stream, got a JSON body')
    );
  }

  read(data: string): readonly StreamPart[] {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch (error) {
      return this.fail(badResponseError(this.context, 'data is not JSON', error));
    }
    const validation = checkSchema(this.validator, json, this.what);
    if (!validation.ok) return this.fail(badResponseError(this.context, validation.reason));
    return this.map(validation.value);
  }
}
