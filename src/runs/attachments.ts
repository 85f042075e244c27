/**
 * Attachments (images, audio, files) in messages: reading the URLs clients
 * send them as, the limits Parley enforces (PARLEY_MAX_ATTACHMENT_BYTES,
 * PARLEY_MAX_MESSAGE_ATTACHMENT_BYTES, PARLEY_ATTACHMENT_TYPES), and whether a
 * provider takes them. Parley never fetches a URL: an https URL is passed to
 * providers that fetch it themselves, and refused for the others.
 */
import { ParleyError } from '../errors.js';
import type { ChatMessage, ContentPart, MediaSource, ProviderInputs } from '../providers/types.js';

/** What clients may attach. */
export interface AttachmentLimits {
  /** Largest attachment, decoded bytes. */
  maxFileBytes: number;
  /** Most attachment bytes (decoded) in one message. */
  maxMessageBytes: number;
  /** Media types accepted (`image/png` …); a `type/*` entry accepts the whole type. */
  mediaTypes: readonly string[];
}

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)(?:;[a-z0-9-]+=[^;,]*)*;base64,(.*)$/is;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Media types guessed from an https URL's extension, for providers that need one with a URL (Gemini `fileData`). */
const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
};

/**
 * The source an attachment URL names: a `data:<type>;base64,…` URL as inline
 * bytes, an `https:` URL as a URL (with the media type its extension implies).
 * @param param the request field, named in errors (`messages.0.content.1.image_url.url`).
 * @throws ParleyError `validation_failed` for another scheme or a data URL that is not base64.
 */
export function sourceFromUrl(url: string, param: string, mediaType?: string): MediaSource {
  const data = DATA_URL.exec(url);
  if (data?.[1] !== undefined && data[2] !== undefined) return base64Source(data[2], mediaType ?? data[1].toLowerCase(), param);
  if (url.startsWith('data:')) throw new ParleyError('validation_failed', `${param} is a data: URL that is not base64 (data:<type>;base64,<data>).`, { param });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ParleyError('validation_failed', `${param} is neither an https: nor a data: URL.`, { param });
  }
  if (parsed.protocol !== 'https:') throw new ParleyError('validation_failed', `${param} must be an https: or data: URL, not ${parsed.protocol}.`, { param });
  const guessed = mediaType ?? EXTENSION_TYPES[parsed.pathname.split('.').at(-1)?.toLowerCase() ?? ''];
  return { type: 'url', url, ...(guessed === undefined ? {} : { mediaType: guessed }) };
}

/**
 * An attachment as a content part, its kind from its media type: `image/*` an
 * image, `audio/*` audio (inline only), anything else a file.
 * @throws ParleyError `validation_failed` for an audio URL.
 */
export function attachmentPart(source: MediaSource, param: string, filename?: string): ContentPart {
  const kind = source.mediaType?.split('/')[0];
  if (kind === 'image') return { type: 'image', source };
  if (kind === 'audio') {
    if (source.type === 'url') throw new ParleyError('validation_failed', `${param}: audio must be sent as a data: URL.`, { param });
    return { type: 'audio', source };
  }
  return { type: 'file', source, ...(filename === undefined ? {} : { filename }) };
}

/** An attachment's URL as clients send and see it: the https: URL, or its bytes as a data: URL. */
export function urlOfSource(source: MediaSource): string {
  return source.type === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}

/**
 * Inline base64 bytes with their media type.
 * @throws ParleyError `validation_failed` when `data` is not base64.
 */
export function base64Source(data: string, mediaType: string, param: string): Extract<MediaSource, { type: 'base64' }> {
  if (data.length % 4 !== 0 || !BASE64.test(data)) throw new ParleyError('validation_failed', `${param} is not valid base64.`, { param });
  return { type: 'base64', mediaType, data };
}

/** Decoded size of inline bytes; 0 for a URL. */
export function sourceBytes(source: MediaSource): number {
  if (source.type === 'url') return 0;
  const padding = source.data.endsWith('==') ? 2 : source.data.endsWith('=') ? 1 : 0;
  return (source.data.length / 4) * 3 - padding;
}

function allowedType(limits: AttachmentLimits, mediaType: string): boolean {
  const [kind] = mediaType.split('/');
  return limits.mediaTypes.some((allowed) => allowed === mediaType || allowed === `${kind}/*`);
}

/** A part's kind for messages: `an image`, `an image URL`, `audio`, `a file` … */
function describe(part: ContentPart): string {
  if (part.type === 'text') return 'text';
  const kind = `${part.type}${part.source.type === 'url' ? ' URL' : ''}`;
  return part.type === 'image' ? `an ${kind}` : part.type === 'file' ? `a ${kind}` : kind;
}

/**
 * Checks every attachment of `messages` against the limits.
 * @param param the field of message `index` (`messages.${index}.content`), named in errors.
 * @throws ParleyError `payload_too_large` for a file or message over its limit;
 *   `validation_failed` for a media type not allowed.
 */
export function checkAttachmentLimits(messages: readonly ChatMessage[], limits: AttachmentLimits, param: (index: number) => string): void {
  messages.forEach((message, index) => {
    let total = 0;
    message.parts?.forEach((part, partIndex) => {
      if (part.type === 'text') return;
      const where = `${param(index)}.${partIndex}`;
      const bytes = sourceBytes(part.source);
      if (bytes > limits.maxFileBytes) {
        throw new ParleyError('payload_too_large', `${where}: the ${part.type} has ${bytes} bytes, more than PARLEY_MAX_ATTACHMENT_BYTES (${limits.maxFileBytes}).`, {
          param: where,
        });
      }
      total += bytes;
      const { mediaType } = part.source;
      if (mediaType !== undefined && !allowedType(limits, mediaType)) {
        throw new ParleyError('validation_failed', `${where}: media type ${mediaType} is not accepted (PARLEY_ATTACHMENT_TYPES: ${limits.mediaTypes.join(', ')}).`, {
          param: where,
        });
      }
    });
    if (total > limits.maxMessageBytes) {
      throw new ParleyError(
        'payload_too_large',
        `${param(index)}: the attachments have ${total} bytes, more than PARLEY_MAX_MESSAGE_ATTACHMENT_BYTES (${limits.maxMessageBytes}).`,
        { param: param(index) },
      );
    }
  });
}

/** Whether `inputs` takes `part`. */
function accepts(inputs: ProviderInputs | undefined, part: ContentPart): boolean {
  switch (part.type) {
    case 'text':
      return true;
    case 'audio':
      return inputs?.audio === true;
    case 'image':
      return part.source.type === 'url' ? inputs?.imageUrl === true : inputs?.image === true;
    case 'file':
      return part.source.type === 'url' ? inputs?.fileUrl === true : inputs?.file === true;
  }
}

/**
 * The first part of `messages` that `inputs` does not take, as the error to
 * answer with; undefined when it takes them all.
 */
export function refusedPart(
  messages: readonly ChatMessage[],
  inputs: ProviderInputs | undefined,
  target: string,
  param: (index: number) => string,
): ParleyError | undefined {
  for (const [index, message] of messages.entries()) {
    const partIndex = message.parts?.findIndex((part) => !accepts(inputs, part)) ?? -1;
    const part = message.parts?.[partIndex];
    if (part === undefined) continue;
    const where = `${param(index)}.${partIndex}`;
    const hint = part.type !== 'text' && part.source.type === 'url' ? ' Parley does not fetch URLs: send the bytes as a data: URL.' : '';
    return new ParleyError('validation_failed', `${where} is ${describe(part)}, which ${target} does not take.${hint}`, { param: where });
  }
  return undefined;
}
