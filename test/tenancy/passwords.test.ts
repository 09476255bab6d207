import { expect } from 'chai';
import { PasswordHasher, Semaphore } from '../../src/modules/tenancy/passwords.js';

/** Hashing may not take every core: a burst of sign-ins would leave none for serving pages. */
describe('Password hashing at most so many at once', () => {
  it('a semaphore runs at most its size at once and the rest in arrival order', async () => {
    const slots = new Semaphore(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) =>
      slots.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(i);
        running--;
        return i;
      });
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map(task));
    expect(results).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(most).to.equal(2);
    expect(order.slice(2)).to.deep.equal([2, 3, 4, 5]);
    expect(slots.queued).to.equal(0);
  });

  it('a failing task frees its slot', async () => {
    const slots = new Semaphore(1);
    const failed = slots.run(() => Promise.reject(new Error('no')));
    const next = slots.run(async () => 'ran');
    expect(
      await failed.then(
        () => 'resolved',
        (err: Error) => err.message,
      ),
    ).to.equal('no');
    expect(await next).to.equal('ran');
  });

  it('a hasher with one slot still verifies many passwords sent at once, and unknown accounts too', async () => {
    const hasher = new PasswordHasher({ memoryCost: 19456, timeCost: 2, concurrency: 1 });
    const hash = await hasher.hash('a long enough password for this');
    const answers = await Promise.all([
      hasher.verify(hash, 'a long enough password for this'),
      hasher.verify(hash, 'not the password at all'),
      hasher.verifyAgainstNothing('a long enough password for this'),
      hasher.verify(hash, 'a long enough password for this'),
    ]);
    expect(answers).to.deep.equal([true, false, false, true]);
  });
});
