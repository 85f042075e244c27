/** Wire shapes of seed 000's polling API, from a task snapshot of the core. */
import type { TaskSnapshot } from '../../../services/tasks.js';

/** `GET /chat/status/{task_id}`: the seed's five fields, plus `task_id` and, on `error`, the error. */
export function statusView(snapshot: TaskSnapshot) {
  return { task_id: snapshot.record.taskId, ...snapshot.status };
}

/**
 * `GET /chat/result/{task_id}` of an ended task: the seed's fields, plus
 * `task_id`, how it ended (`status`) and, on `error`, the error. A cancelled or
 * failed task's `final_answer` is the partial text that was written.
 */
export function resultView(snapshot: TaskSnapshot & { outcome: NonNullable<TaskSnapshot['outcome']> }) {
  return {
    task_id: snapshot.record.taskId,
    status: snapshot.outcome,
    ...snapshot.result,
    ...(snapshot.status.error === undefined ? {} : { error: snapshot.status.error }),
  };
}
