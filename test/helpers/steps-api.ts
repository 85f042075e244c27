/** Shapes and calls of the seed-002 steps API, shared by its tests. */

/** A processing step as the routes send it. */
export interface Step {
  step: string;
  content: string;
  timestamp: string;
  duration_ms: number;
  is_complete?: boolean;
  session_id?: string;
  message_id?: string;
  finish_reason?: string;
}

/** A message as the history route lists it. */
export interface HistoryMessage {
  id: string;
  type: string;
  content: string;
  timestamp: string;
  status: string;
}

/** `POST /api/chat/stream` as the seed's curl example sends it. */
export function postStream(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
