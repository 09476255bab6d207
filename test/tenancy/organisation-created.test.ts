import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Tenancy creates organisations but knows nothing of frameworks: assessments sets a new school up
 * through its onOrganisationCreated hook, in the creating transaction.
 */
describe('Tenancy: a new organisation is set up by the modules above tenancy', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const create = async (form: Record<string, string>) => {
    const op = await app.signIn('operator@waypoint.test');
    const res = await op.post('/operator/organisations', form, { tokenFrom: '/operator/organisations/new' });
    expect(res.status).to.equal(303);
    return (res.headers.location as string).split('/').at(-1)!;
  };
  const frameworksOf = (schoolId: string) =>
    app.database.su('frameworks').where({ school_id: schoolId }).orderBy('name').pluck('name');

  it('a new primary school starts with the three default frameworks and this year’s terms', async () => {
    const id = await create({ kind: 'school', name: 'Hook Lane Primary', phase: 'primary', urn: '654321' });
    expect(await frameworksOf(id)).to.have.length(3);
    expect(await app.database.su('terms').where({ school_id: id }).pluck('name')).to.have.members([
      'Autumn',
      'Spring',
      'Summer',
    ]);
  });

  it('a new secondary school starts with the wellbeing framework only', async () => {
    const id = await create({ kind: 'school', name: 'Hook Lane Academy', phase: 'secondary', urn: '654322' });
    expect(await frameworksOf(id)).to.have.length(1);
  });

  it('a new trust gets no frameworks', async () => {
    const id = await create({ kind: 'trust', name: 'Hook Trust' });
    expect(await frameworksOf(id)).to.deep.equal([]);
  });
});
