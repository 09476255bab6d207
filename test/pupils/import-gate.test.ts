import { expect } from 'chai';
import { ImportBusy, WorkGate } from '../../src/modules/pupils/import-gate.js';

describe('The import gate: one import at a time per process', () => {
  const later = () => {
    let release!: () => void;
    return { done: new Promise<void>((resolve) => (release = resolve)), release: () => release() };
  };

  it('I4: work runs one at a time, in the order it arrived, and a failure frees the gate', async () => {
    const gate = new WorkGate({ concurrency: 1, maxWaitMs: 5_000, maxQueue: 4 });
    const order: string[] = [];
    const first = later();
    const a = gate.run(async () => {
      order.push('a starts');
      await first.done;
      order.push('a ends');
    });
    const b = gate.run(async () => {
      order.push('b');
      throw new Error('b failed');
    });
    const c = gate.run(async () => {
      order.push('c');
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(order).to.deep.equal(['a starts']);
    first.release();
    await a;
    await b.then(
      () => expect.fail('b should fail'),
      (err: Error) => expect(err.message).to.equal('b failed'),
    );
    await c;
    expect(order).to.deep.equal(['a starts', 'a ends', 'b', 'c']);
  });

  it('I4: a waiter gives up after the bounded wait, and a full queue is refused at once, each with a 503', async () => {
    const gate = new WorkGate({ concurrency: 1, maxWaitMs: 50, maxQueue: 1 });
    const hold = later();
    const running = gate.run(() => hold.done);
    const waiting = gate.run(async () => 'never');
    const refused = gate.run(async () => 'never');
    const err = await refused.catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ImportBusy);
    expect((err as ImportBusy).status).to.equal(503);
    expect(await waiting.catch((e: unknown) => e)).to.be.instanceOf(ImportBusy);
    hold.release();
    await running;
    expect(await gate.run(async () => 'next'), 'the gate is free again').to.equal('next');
  });
});
