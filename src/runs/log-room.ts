/**
 * Backpressure between a run and the readers of its log: the run waits while
 * its only reader is far behind (RunEventLog.room).
 */

/**
 * Holds the run while its only reader is far behind (RunEventLog.room), so the
 * upstream is read no faster than the answer is delivered; a stopped run does not wait.
 * @param room resolves when the log has room again.
 * @param signal the run's signal: once aborted, the wait ends at once.
 */
export async function roomInLog(room: Promise<void>, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const stopped = () => resolve();
    signal.addEventListener('abort', stopped, { once: true });
    void room.then(() => {
      signal.removeEventListener('abort', stopped);
      resolve();
    });
  });
}
