/** `GET /api/personas`: the personas a request's `persona` field may name. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

/** Registers the persona listing. */
export function registerPersonaRoutes(app: FastifyInstance, context: AppContext): void {
  const { personas } = context;
  app.get('/api/personas', { schema: { tags: ['personas'], summary: 'Available personas; `default` is used when a conversation names none' } }, () => ({
    personas: personas.list().map((persona) => ({ name: persona.name, description: persona.description })),
    default: personas.defaultPersona.name,
  }));
}
