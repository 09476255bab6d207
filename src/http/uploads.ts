import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { csrf } from './csrf.js';

/**
 * A single-file form upload, held in memory up to `maxBytes` (larger gets the 413 page). The
 * global CSRF check skips multipart bodies because they are not parsed yet, so it runs here,
 * after multer has read the `_csrf` field.
 */
export function singleFileUpload(field: string, maxBytes: number): RequestHandler[] {
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024 } }).single(field);
  const checkToken = (req: Request, _res: Response, next: NextFunction) => {
    if (!csrf.isRequestValid(req)) return next(csrf.invalidCsrfTokenError);
    next();
  };
  return [upload, checkToken];
}

export const isMultipart = (req: Request): boolean => !!req.is('multipart/form-data');
