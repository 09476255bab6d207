import type { Actor } from '../policy/index.js';

export interface SessionAuth {
  userId: string;
  /** Where the user is working: an organisation id, 'operator' or 'parent'; null until chosen. */
  context: string | null;
  signedInAt: number;
  lastSeenAt: number;
}

export interface Flash {
  kind: 'success' | 'info';
  text: string;
}

declare module 'express-session' {
  interface SessionData {
    auth?: SessionAuth;
    flash?: Flash[];
    /** A link token (invitation, reset) moved out of the URL into the session. */
    linkToken?: { purpose: 'invitation' | 'password_reset'; token: string };
    notice?: string;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      requestId: string;
      actor?: Actor;
    }
  }
}

export {};
