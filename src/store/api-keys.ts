/**
 * Client API keys issued by `parley keys create`. Only the SHA-256 digest of a
 * key is stored (plus a short prefix to tell keys apart in listings); the key
 * itself is shown once, when issued, and cannot be recovered afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { ApiKeysTable, Database } from './schema.js';

/** A stored key as listings show it: everything but the digest. */
export type ApiKeyRecord = Omit<Selectable<ApiKeysTable>, 'key_hash'>;

/** An unrevoked key as the authenticator needs it. */
export type ActiveApiKey = Pick<Selectable<ApiKeysTable>, 'id' | 'key_hash' | 'rate_limit_per_minute'>;

/** A freshly issued key: the plaintext `key` exists only in this object. */
export interface IssuedApiKey {
  record: ApiKeyRecord;
  key: string;
}

/** Marks keys Parley issued, so a leaked one is recognisable in logs and secret scanners. */
const KEY_PREFIX = 'pk_';
/** Characters of the key kept in `key_prefix`: `pk_` and 8 more, far too few to guess the rest. */
const STORED_PREFIX_LENGTH = KEY_PREFIX.length + 8;

/** A new random key: `pk_` and 32 random bytes in base64url (43 characters). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 of a key as lowercase hex, the form stored in `api_keys.key_hash`. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const LISTED_COLUMNS = ['id', 'name', 'key_prefix', 'rate_limit_per_minute', 'created_at', 'revoked_at'] as const;

/** Repository of client keys. */
export class ApiKeyRepository {
  constructor(private readonly database: Kysely<Database>) {}

  /**
   * Issues a key: generates it, stores its digest and returns the plaintext
   * once.
   * @param rateLimitPerMinute chat-starting requests per minute for this key;
   *   null uses PARLEY_RATE_LIMIT_KEY_PER_MINUTE.
   */
  async issue(name: string, rateLimitPerMinute: number | null = null): Promise<IssuedApiKey> {
    const key = generateApiKey();
    const record: ApiKeyRecord = {
      id: uuidv7(),
      name,
      key_prefix: key.slice(0, STORED_PREFIX_LENGTH),
      rate_limit_per_minute: rateLimitPerMinute,
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    await this.database
      .insertInto('api_keys')
      .values({ ...record, key_hash: hashApiKey(key) })
      .execute();
    return { record, key };
  }

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    return this.database.selectFrom('api_keys').select(LISTED_COLUMNS).orderBy('created_at').orderBy('id').execute();
  }

  /** Digests of the keys that are not revoked. */
  async listActive(): Promise<ActiveApiKey[]> {
    return this.database.selectFrom('api_keys').select(['id', 'key_hash', 'rate_limit_per_minute']).where('revoked_at', 'is', null).execute();
  }

  /**
   * Revokes a key (idempotent: an earlier revocation time is kept). Returns
   * the key as it now is, or undefined when no key has that id.
   */
  async revoke(id: string): Promise<ApiKeyRecord | undefined> {
    await this.database
      .updateTable('api_keys')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return this.database.selectFrom('api_keys').select(LISTED_COLUMNS).where('id', '=', id).executeTakeFirst();
  }
}
