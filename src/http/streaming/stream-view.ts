/**
 * The one contract every streaming view implements (DESIGN.md "Views"): a
 * fold from run events to frames, with an initial state, event → frames, an
 * optional trailer, and how an early failure is reported. The transports
 * (SSE in run-stream.ts, the WebSocket session) feed it events and write its
 * frames; resuming is the same operation everywhere: replay the run's events
 * from the first through the fold, and drop the frames at or before the
 * client's position.
 *
 * A new streaming surface is one view (this interface), one route that picks
 * its run with `RunReader.resumeOrStart` and streams it with
 * `serveRunStream` (or its own transport over {@link foldRun}), and one entry
 * in test/streaming-contract.test.ts.
 */
import { isTerminal, type RunEvent, type TerminalEvent } from '../../runs/events.js';

/**
 * What a resume position counts: `event` the seq of the run event a frame
 * came from (SSE `id: <run_id>:<seq>`), `frame` the frame's own number from 1
 * (WebSocket `seq`, OpenAI Responses `sequence_number`), `none` for a stream
 * that cannot be resumed.
 */
export type ResumeKind = 'event' | 'frame' | 'none';

/** A streaming view: a fold from a run's events to wire frames. */
export interface StreamView<State, Frame> {
  readonly resume: ResumeKind;
  /**
   * How a run that fails before any output is reported: `status`, an HTTP
   * error status (the stream never opens), or `event`, a frame of the stream.
   */
  readonly earlyFailure: 'status' | 'event';
  /** The state before the run's first event. */
  initial(): State;
  /**
   * The frames one event yields, in order. Must depend only on the events
   * before it (a replay yields the same frames); may update `state` in place.
   */
  map(state: State, event: RunEvent): Frame | readonly Frame[] | undefined;
  /** Frames sent after the terminal event's own (e.g. `data: [DONE]`); they share its position. */
  trailer?(state: State, terminal: TerminalEvent): readonly Frame[];
}

/** A view whose frames depend on one event each (no state). */
export function statelessView<Frame>(
  map: (event: RunEvent) => Frame | readonly Frame[] | undefined,
  options: { resume: ResumeKind; earlyFailure: 'status' | 'event'; trailer?: (terminal: TerminalEvent) => readonly Frame[] },
): StreamView<undefined, Frame> {
  const { trailer } = options;
  return {
    resume: options.resume,
    earlyFailure: options.earlyFailure,
    initial: () => undefined,
    map: (_state, event) => map(event),
    ...(trailer === undefined ? {} : { trailer: (_state: undefined, terminal: TerminalEvent) => trailer(terminal) }),
  };
}

/** A fold written as a pure step: the next state and the frames, the input state left untouched. */
export interface PureFold<State, Frame> {
  initial(): State;
  step(state: State, event: RunEvent): { state: State; frames: readonly Frame[] };
}

/** A view over a {@link PureFold}: the state is carried in a box the transport never sees. */
export function pureFoldView<State, Frame>(
  fold: PureFold<State, Frame>,
  options: { resume: ResumeKind; earlyFailure: 'status' | 'event'; trailer?: (state: State, terminal: TerminalEvent) => readonly Frame[] },
): StreamView<{ current: State }, Frame> {
  const { trailer } = options;
  return {
    resume: options.resume,
    earlyFailure: options.earlyFailure,
    initial: () => ({ current: fold.initial() }),
    map: (box, event) => {
      const { state, frames } = fold.step(box.current, event);
      box.current = state;
      return frames;
    },
    ...(trailer === undefined ? {} : { trailer: (box: { current: State }, terminal: TerminalEvent) => trailer(box.current, terminal) }),
  };
}

/** Where a fold's frames go: one call per frame, then one flush per batch of events. */
export interface FrameSink<Frame> {
  /** Takes a frame at its position (see {@link ResumeKind}; the event seq for `none`). */
  frame(frame: Frame, position: number): void;
  /**
   * Sends the frames taken since the last flush; false (or a promise of
   * false) once the client is gone. A sink that could send at once returns
   * the boolean itself, which spares the fold a promise per batch.
   */
  flush(): boolean | Promise<boolean>;
}

/** How a fold ended: the terminal event's frames were sent, the client left, or the events stopped (unknown run, aborted read). */
export type FoldEnd = 'ended' | 'gone' | 'cut';

/**
 * Folds a run's events (from its first: frames may depend on all of them)
 * through `view` into `sink`, skipping the frames at or before `after`.
 */
export async function foldRun<State, Frame>(
  events: AsyncIterable<readonly RunEvent[]>,
  view: StreamView<State, Frame>,
  after: number,
  sink: FrameSink<Frame>,
): Promise<FoldEnd> {
  const state = view.initial();
  const byFrame = view.resume === 'frame';
  let numbered = 0;
  const one = (frame: Frame, seq: number) => {
    numbered += 1;
    const position = byFrame ? numbered : seq;
    if (position > after) sink.frame(frame, position);
  };
  const take = (frames: Frame | readonly Frame[] | undefined, seq: number) => {
    if (frames === undefined) return;
    if (!Array.isArray(frames)) one(frames as Frame, seq);
    else for (const frame of frames as readonly Frame[]) one(frame, seq);
  };
  for await (const batch of events) {
    let ended = false;
    for (const event of batch) {
      take(view.map(state, event), event.seq);
      if (isTerminal(event)) {
        if (view.trailer !== undefined) take(view.trailer(state, event), event.seq);
        ended = true;
      }
    }
    const sent = sink.flush();
    if (!(typeof sent === 'boolean' ? sent : await sent)) return 'gone';
    if (ended) return 'ended';
  }
  return 'cut';
}
