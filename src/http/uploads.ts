import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { HttpError } from '../errors.js';
import { csrf } from './csrf.js';

const limits = { files: 1, fields: 10, parts: 11, fieldSize: 1024, fieldNameSize: 100 };

const nothingSaved = 'Nothing was saved. Go back, choose the file again and use the form on that page.';

/**
 * I4: what each of multer's refusals means, in words, with 413 where it is about size and 400
 * otherwise. Without this they reached the error page as 500s.
 */
function refusal(code: string, maxBytes: number): HttpError {
  switch (code) {
    case 'LIMIT_FILE_SIZE':
      return new HttpError(
        413,
        `The file is larger than Waypoint accepts (at most ${Math.round(maxBytes / 1024 / 1024)} MB). Nothing was saved.`,
      );
    case 'LIMIT_FIELD_VALUE':
      return new HttpError(
        413,
        `A form field was longer than Waypoint accepts (${limits.fieldSize / 1024} KB). ${nothingSaved}`,
      );
    case 'LIMIT_FIELD_KEY':
      return new HttpError(413, `A form field’s name was longer than Waypoint accepts. ${nothingSaved}`);
    case 'LIMIT_FILE_COUNT':
      return new HttpError(400, `Upload one file at a time: the form sent more than one. ${nothingSaved}`);
    case 'LIMIT_UNEXPECTED_FILE':
      return new HttpError(400, `The form sent a file in a field Waypoint does not expect. ${nothingSaved}`);
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new HttpError(
        400,
        `The form sent more fields than Waypoint expects (at most ${limits.fields}). ${nothingSaved}`,
      );
    default:
      return new HttpError(400, `The upload could not be read. ${nothingSaved}`);
  }
}

/**
 * A single-file form upload, held in memory up to `maxBytes` (larger gets the 413 page). The
 * global CSRF check skips multipart bodies because they are not parsed yet, so it runs here,
 * after multer has read the `_csrf` field. Every refusal by multer, or a body busboy cannot read
 * (a broken multipart body), is a 4xx with a message, never a 500.
 */
export function singleFileUpload(field: string, maxBytes: number): RequestHandler[] {
  const parse = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBytes, ...limits } }).single(field);
  const upload: RequestHandler = (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) return next(refusal(err.code, maxBytes));
      next(refusal('', maxBytes));
    });
  };
  const checkToken = (req: Request, _res: Response, next: NextFunction) => {
    if (!csrf.isRequestValid(req)) return next(csrf.invalidCsrfTokenError);
    next();
  };
  return [upload, checkToken];
}

export const isMultipart = (req: Request): boolean => !!req.is('multipart/form-data');
