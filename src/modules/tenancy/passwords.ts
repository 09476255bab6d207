import os from 'node:os';
import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

/** AU2: length is what counts. No composition rules, no truncation, paste allowed. */
export const passwordRules = {
  minLength: 15,
  /** At least 64 must be allowed; far longer only wastes hashing time. */
  maxLength: 256,
};

const commonPasswords = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

/**
 * Checks a new password against AU2. Returns a sentence for the person, or null when it is fine.
 * `context` holds words a guesser would try first (the email's name part, the person's names).
 */
export function passwordProblem(password: string, context: string[] = []): string | null {
  const length = [...password].length;
  if (length < passwordRules.minLength) {
    return `Use at least ${passwordRules.minLength} characters. A few unrelated words together make a good password.`;
  }
  if (length > passwordRules.maxLength) return `Use no more than ${passwordRules.maxLength} characters.`;
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower) || isRepetition(lower)) {
    return 'That password is too easy to guess. It appears on lists of common passwords or repeats itself.';
  }
  const words = ['waypoint', ...context.map((w) => w.toLowerCase())].filter((w) => w.length >= 4);
  const stripped = words.reduce((rest, w) => rest.split(w).join(''), lower);
  if ([...stripped].length < 8) {
    return 'That password is mostly your name, email or the name of this service. Choose something unrelated.';
  }
  return null;
}

/** "aaaa…", "abcabcabc…", or a common password said twice. */
function isRepetition(lower: string): boolean {
  for (let size = 1; size <= lower.length / 2; size++) {
    if (lower.length % size !== 0) continue;
    const unit = lower.slice(0, size);
    if (unit.repeat(lower.length / size) === lower && (size <= 4 || commonPasswords.has(unit))) return true;
  }
  return false;
}

export interface HashParams {
  memoryCost: number;
  timeCost: number;
  /** Hashes run at once; more wait their turn. Default: one fewer than the cores, at least 1. */
  concurrency?: number;
}

/** One fewer hash at once than the machine has cores, so one is always left for the event loop. */
export const defaultHashConcurrency = () => Math.max(1, os.availableParallelism() - 1);

/**
 * At most `size` tasks at once; the rest wait in arrival order. A waiting sign-in holds no
 * database connection (auth-service checks the password between its two transactions).
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a semaphore needs a size of at least 1');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so `running` counts it without a gap.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}

/**
 * Argon2id hashing (AU3: at least m=19456 KiB, t=2, p=1). argon2 hashes on libuv's thread pool,
 * so a hash never blocks the event loop, but each one keeps a core busy for tens of milliseconds:
 * a burst of sign-ins on all four of libuv's threads would leave a two-core machine's event loop
 * waiting for a core, and every page with it. So only `concurrency` hashes run at once.
 */
export class PasswordHasher {
  private readonly options: argon2.HashOptions;
  private readonly slots: Semaphore;
  private dummy: Promise<string> | undefined;

  constructor(params: HashParams) {
    this.options = { type: argon2.argon2id, memoryCost: params.memoryCost, timeCost: params.timeCost, parallelism: 1 };
    this.slots = new Semaphore(params.concurrency ?? defaultHashConcurrency());
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => argon2.hash(password, this.options));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.slots.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /** True when the stored hash used weaker parameters than today's (rehash on sign-in). */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }

  /**
   * AU5: an unknown email costs the same hashing time as a known one, so response time does not
   * reveal which emails have accounts.
   */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummy ??= this.hash('waypoint-no-such-account-dummy-password');
    await this.verify(await this.dummy, password);
    return false;
  }
}
