import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { Conflict } from '../../src/errors.js';
import { FieldError, type FormState, formPost } from '../../src/http/form-page.js';
import { checkedValues, requiredText } from '../../src/http/forms.js';

/** The form-page helper on its own: a bare Express app whose "page" answers with the state it was given. */
function appWith(save: (data: { name: string; tags: string[] }) => Promise<void>, conflictField?: string) {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.post(
    '/form',
    formPost({
      schema: z.object({ name: requiredText('a name', 10), tags: checkedValues(z.string()) }),
      lists: ['tags'],
      ...(conflictField ? { conflictField } : {}),
      page: (_req, res, state: FormState, status) => res.status(status).json(state),
      save: async (_req, res, data) => {
        await save(data);
        res.redirect(303, '/done');
      },
    }),
  );
  app.use(((err, _req, res, _next) => {
    res.status(err instanceof Conflict ? 409 : 500).json({ error: String(err.message) });
  }) as express.ErrorRequestHandler);
  return app;
}

describe('The form-page helper', () => {
  it('draws the form again with messages by field and everything typed, lists kept as lists (422)', async () => {
    const saved: unknown[] = [];
    const res = await request(appWith(async (d) => void saved.push(d)))
      .post('/form')
      .type('form')
      .send('name=&tags=a&submissionKey=k1&note=kept');
    expect(res.status).to.equal(422);
    expect(res.body.errors).to.deep.equal({ name: 'Enter a name' });
    expect(res.body.values).to.deep.equal({ name: '', tags: ['a'], submissionKey: 'k1', note: 'kept' });
    expect(res.body.submissionKey).to.equal('k1');
    expect(saved).to.have.length(0);
  });

  it('saves valid input with the parsed values and answers as the save does', async () => {
    const saved: unknown[] = [];
    const res = await request(appWith(async (d) => void saved.push(d)))
      .post('/form')
      .type('form')
      .send('name=%20Ada%20&tags=x&tags=y');
    expect(res.status).to.equal(303);
    expect(saved).to.deep.equal([{ name: 'Ada', tags: ['x', 'y'] }]);
  });

  it("shows a service's field refusal beside the field, not as an error page", async () => {
    const res = await request(
      appWith(async () => {
        throw new FieldError('name', 'That name is taken');
      }),
    )
      .post('/form')
      .type('form')
      .send('name=Ada');
    expect(res.status).to.equal(422);
    expect(res.body.errors).to.deep.equal({ name: 'That name is taken' });
    expect(res.body.values.tags).to.deep.equal([]);
  });

  it('R5: leaves a stale-edit conflict to the error handler (409), never a silent re-render', async () => {
    const res = await request(
      appWith(async () => {
        throw new Conflict('changed');
      }),
    )
      .post('/form')
      .type('form')
      .send('name=Ada');
    expect(res.status).to.equal(409);
  });

  it('R5: an edit form with conflictField comes back at 409 with the message there and everything typed', async () => {
    const res = await request(
      appWith(async () => {
        throw new Conflict('Someone else saved first');
      }, 'name'),
    )
      .post('/form')
      .type('form')
      .send('name=Ada&tags=a');
    expect(res.status).to.equal(409);
    expect(res.body.errors).to.deep.equal({ name: 'Someone else saved first' });
    expect(res.body.values).to.deep.equal({ name: 'Ada', tags: ['a'] });
    expect(res.body.conflict).to.equal(true);
  });
});
