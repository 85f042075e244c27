import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NativeStepper } from '../src/runs/thinking/native.js';
import { StructuredThinkingParser, type StructuredOutput } from '../src/runs/thinking/structured.js';

const REPLY = [
  'ANALYZE: The user asks what a qubit is.\n',
  'THINK: A qubit is a two-state system.\n\n',
  'It can be in superposition.\n',
  'ANSWER: A qubit is the basic unit of quantum information.\n\n',
  'It can be 0, 1, or both at once.\n',
  'FOLLOWUPS:\n- What is superposition?\n- How are qubits built?\n',
  'CONFIDENCE: 0.9\n',
].join('');

function parseInPieces(text: string, size: number): { outputs: StructuredOutput[]; parser: StructuredThinkingParser } {
  const parser = new StructuredThinkingParser();
  const outputs: StructuredOutput[] = [];
  for (let index = 0; index < text.length; index += size) outputs.push(...parser.push(text.slice(index, index + size)));
  outputs.push(...parser.flush());
  return { outputs, parser };
}

describe('structured thinking parser', () => {
  for (const size of [1, 2, 3, 7, 16, 1000]) {
    test(`gives the same steps, answer and metadata when fed ${size} characters at a time`, () => {
      const { outputs, parser } = parseInPieces(REPLY, size);
      const steps = outputs.flatMap((output) => (output.type === 'thinking.step' ? [output.step] : []));
      assert.deepEqual(
        steps.map(({ step, status, message, progress }) => ({ step, status, message, progress })),
        [
          { step: 1, status: 'analyzing', message: 'The user asks what a qubit is.', progress: 25 },
          { step: 2, status: 'reasoning', message: 'A qubit is a two-state system.', progress: 50 },
          { step: 3, status: 'reasoning', message: 'It can be in superposition.', progress: 50 },
        ],
      );
      const answer = outputs.flatMap((output) => (output.type === 'message.delta' ? [output.text] : [])).join('');
      assert.equal(answer, 'A qubit is the basic unit of quantum information.\n\nIt can be 0, 1, or both at once.');
      assert.deepEqual(parser.result, { confidence: 0.9, suggested_followups: ['What is superposition?', 'How are qubits built?'] });
    });
  }

  test('the answer streams before the reply ends', () => {
    const parser = new StructuredThinkingParser();
    const early = parser.push('ANALYZE: x\nANSWER: Hello wor');
    assert.deepEqual(early.filter((output) => output.type === 'message.delta').map((output) => output.text), ['Hello wor']);
  });

  test('markdown labels are recognised', () => {
    const { outputs } = parseInPieces('**ANALYZE:** a\n## Answer: b\n', 3);
    assert.deepEqual(outputs.filter((output) => output.type === 'message.delta').map((output) => output.text).join(''), 'b');
  });

  test('a reply that ignores the format is all answer, with no invented steps or values', () => {
    const { outputs, parser } = parseInPieces('Just a plain answer.\nWith two lines.', 4);
    assert.equal(outputs.filter((output) => output.type === 'thinking.step').length, 0);
    assert.equal(outputs.filter((output) => output.type === 'message.delta').map((output) => output.text).join(''), 'Just a plain answer.\nWith two lines.');
    assert.deepEqual(parser.result, { confidence: null, suggested_followups: [] });
  });

  test('a percentage confidence is scaled to 0..1; a missing one stays null', () => {
    assert.equal(parseInPieces('ANSWER: a\nCONFIDENCE: 85%\n', 5).parser.result.confidence, 0.85);
    assert.equal(parseInPieces('ANSWER: a\n', 5).parser.result.confidence, null);
  });
});

describe('native reasoning steps', () => {
  test('cuts reasoning into one step per paragraph, split anywhere', () => {
    const text = 'First idea.\n\nSecond idea\ncontinues.\n\n\nThird.';
    for (const size of [1, 4, 100]) {
      const stepper = new NativeStepper();
      const steps = [];
      for (let index = 0; index < text.length; index += size) steps.push(...stepper.push(text.slice(index, index + size)));
      steps.push(...stepper.flush());
      assert.deepEqual(
        steps.map((step) => [step.step, step.message, step.progress]),
        [
          [1, 'First idea.', 10],
          [2, 'Second idea\ncontinues.', 20],
          [3, 'Third.', 30],
        ],
      );
    }
  });
});

describe('applyThinking', () => {
  test('passes usage that follows the finish part, as OpenAI streams send it', async () => {
    const { applyThinking } = await import('./helpers/stream-adapters.js');
    const usage = { prompt_tokens: 16, completion_tokens: 3, reasoning_tokens: 0, cached_tokens: 0 };
    async function* upstream() {
      yield { type: 'reasoning.delta' as const, text: 'Plan.' };
      yield { type: 'message.delta' as const, text: 'Hi' };
      yield { type: 'finish' as const, finish_reason: 'stop' as const };
      yield { type: 'usage' as const, usage };
    }
    for (const mode of ['auto', 'structured', 'off'] as const) {
      const parts = [];
      for await (const part of applyThinking(mode, upstream())) parts.push(part);
      const types = parts.map((part) => part.type);
      assert.equal(types.at(-1), 'usage', mode);
      assert.equal(types.indexOf('finish'), types.length - 2, mode);
      if (mode === 'auto') assert.ok(types.includes('thinking.step'));
    }
  });
});
