import { expect } from 'chai';
import { checkUpn, makeUpn, upnCheckLetter, upnLetters } from '../../src/modules/pupils/upn.js';
import { parseDate } from '../../src/lib/dates.js';
import {
  everSixFsm,
  formatFsmPeriods,
  fsmNow,
  parseFsmPeriods,
  pupilRecordSchema,
} from '../../src/modules/pupils/record.js';
import { neutralise, toCsv, unneutralise } from '../../src/modules/pupils/csv.js';
import { isEal } from '../../src/modules/pupils/reference.js';

describe('UPN validation (format and check letter, never "fixed")', () => {
  it('P5: accepts the known-valid B801200005001', () => {
    expect(checkUpn('B801200005001')).to.deep.equal({ valid: true, temporary: false });
  });

  it('P5: computes the check letter by the DfE algorithm (weights 2–13, mod 23, no I, O or S)', () => {
    // 8·2 + 0·3 + 1·4 + 2·5 + 0·6 + 0·7 + 0·8 + 0·9 + 5·10 + 0·11 + 0·12 + 1·13 = 93; 93 mod 23 = 1 → B
    expect(upnCheckLetter('801200005001')).to.equal('B');
    expect(upnLetters).to.have.length(23);
    expect(upnLetters).not.to.match(/[IOS]/);
    for (let serial = 0; serial < 200; serial++)
      expect(checkUpn(makeUpn('938', '4321', 19, serial)).valid).to.equal(true);
  });

  it('P5: rejects a wrong check letter, bad lengths, lower case and letters never used', () => {
    for (const bad of [
      'A801200005001',
      'C801200005001',
      'B80120000500',
      'B8012000050011',
      'b801200005001',
      'I801200005001',
      'B80120000500I',
      '',
      'B8O1200005001',
    ]) {
      const result = checkUpn(bad);
      expect(result.valid, bad).to.equal(false);
    }
    expect(checkUpn('A801200005001')).to.deep.include({ valid: false });
    expect((checkUpn('A801200005001') as { problem: string }).problem).to.match(/check letter/);
  });

  it('P5: accepts a temporary UPN (a letter in place of the last digit) and says it is temporary', () => {
    const rest = '80120000500A';
    const upn = upnCheckLetter(rest) + rest;
    expect(checkUpn(upn)).to.deep.equal({ valid: true, temporary: true });
    const wrong = (upn[0] === 'A' ? 'B' : 'A') + rest;
    expect(checkUpn(wrong).valid).to.equal(false);
  });
});

describe('Pupil record parsing (shared by the form and the MIS import)', () => {
  const base = {
    mis_id: 'M1',
    legal_forename: 'Ada',
    surname: 'Lovelace',
    date_of_birth: '10/12/2015',
    sex: 'F',
    year_group: '5',
  };

  it('reads dates as dd/mm/yyyy or ISO, and refuses dates that do not exist', () => {
    expect(parseDate('27/03/2019')).to.equal('2019-03-27');
    expect(parseDate('2019-03-27')).to.equal('2019-03-27');
    expect(parseDate('7/3/2019')).to.equal('2019-03-07');
    expect(parseDate('29/02/2024')).to.equal('2024-02-29');
    expect(parseDate('31/02/2015')).to.equal(null);
    expect(parseDate('29/02/2023')).to.equal(null);
    expect(parseDate('2019/03/27')).to.equal(null);
    const r = pupilRecordSchema.safeParse({ ...base, date_of_birth: '31/02/2015' });
    expect(r.success).to.equal(false);
    expect(r.error!.issues[0]!.message).to.contain('31/02/2015 does not exist');
  });

  it('keeps text exactly as typed, but requires names to contain more than spaces', () => {
    const ok = pupilRecordSchema.parse({
      ...base,
      legal_forename: '  Ada ',
      preferred_forename: '   ',
      first_language: '',
    });
    expect(ok.legal_forename).to.equal('  Ada ');
    expect(ok.preferred_forename).to.equal('   ');
    expect(ok.first_language).to.equal(null);
    expect(pupilRecordSchema.safeParse({ ...base, surname: '   ' }).success).to.equal(false);
    expect(pupilRecordSchema.safeParse({ ...base, surname: 'a\u0000b' }).success).to.equal(false);
  });

  it('accepts the ways MIS files write year groups, sex and yes/no', () => {
    const r = pupilRecordSchema.parse({
      ...base,
      year_group: 'Year 3',
      sex: 'female',
      looked_after: 'Yes',
      service_child: 'n',
      eal: '',
      first_language: 'Polish',
    });
    expect(r).to.include({ year_group: '3', sex: 'F', looked_after: true, service_child: false, eal: true });
    expect(pupilRecordSchema.parse({ ...base, year_group: 'reception' }).year_group).to.equal('R');
    expect(pupilRecordSchema.safeParse({ ...base, year_group: 'Year 14' }).success).to.equal(false);
  });

  it('P5: SEN needs go with an SEN status, and the UPN must be valid', () => {
    expect(pupilRecordSchema.safeParse({ ...base, sen_status: 'N', sen_primary_need: 'ASD' }).success).to.equal(false);
    expect(pupilRecordSchema.parse({ ...base, sen_status: 'K', sen_primary_need: 'ASD' }).sen_primary_need).to.equal(
      'ASD',
    );
    expect(pupilRecordSchema.safeParse({ ...base, upn: 'A801200005001' }).success).to.equal(false);
  });

  it('EAL is a first language other than English, unless stated', () => {
    expect(isEal('English')).to.equal(false);
    expect(isEal('Polish')).to.equal(true);
    expect(isEal('')).to.equal(false);
    expect(isEal('ENB')).to.equal(false);
    expect(isEal('NOT'), 'information not obtained').to.equal(false);
    expect(isEal('REF'), 'refused').to.equal(false);
    expect(isEal('OTB'), 'believed to be other than English').to.equal(true);
    expect(pupilRecordSchema.parse({ ...base, first_language: 'Urdu', eal: 'N' }).eal).to.equal(false);
  });

  it('P5: FSM periods parse, print and give Ever-6 / Pupil Premium', () => {
    const { periods, problem } = parseFsmPeriods('2024-01-10..; 01/09/2019..20/07/2021');
    expect(problem).to.equal(undefined);
    expect(formatFsmPeriods(periods)).to.equal('2019-09-01..2021-07-20; 2024-01-10..');
    expect(parseFsmPeriods('2021-09-01..2020-01-01').problem).to.match(/ends before/);
    const today = new Date('2026-11-22T12:00:00Z');
    expect(everSixFsm([{ start_date: '2019-09-01', end_date: '2020-12-01' }], today)).to.equal(true);
    expect(everSixFsm([{ start_date: '2015-09-01', end_date: '2020-11-21' }], today)).to.equal(false);
    expect(everSixFsm([], today)).to.equal(false);
    expect(everSixFsm([{ start_date: '2027-01-05', end_date: null }], today), 'a period not yet started').to.equal(
      false,
    );
    expect(fsmNow([{ start_date: '2027-01-05', end_date: null }], today)).to.equal(false);
    expect(fsmNow([{ start_date: '2026-09-01', end_date: null }], today)).to.equal(true);
    expect(fsmNow([{ start_date: '2020-09-01', end_date: '2026-11-21' }], today)).to.equal(false);
  });
});

describe('CSV (RFC 4180, formula-safe)', () => {
  it('I3: cells starting with = + - @ tab or CR get a leading apostrophe, and import removes exactly one', () => {
    for (const v of ['=1+2', '+44 7700', '-3', '@SUM(A1)', '\tx', '\rx', "'=x", "'plain"]) {
      expect(neutralise(v), JSON.stringify(v)).to.match(/^'/);
      expect(unneutralise(neutralise(v))).to.equal(v);
    }
    for (const v of ['plain', 'O’Brien', '', '1-2']) expect(neutralise(v)).to.equal(v);
  });

  it('I3: quotes commas, quotes and line breaks; CRLF between records; a BOM for Excel', () => {
    const csv = toCsv(
      ['a', 'b'],
      [
        ['x,y', 'say "hi"'],
        ['line\nbreak', '=cmd'],
      ],
    );
    expect(csv).to.equal('\ufeffa,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",\'=cmd\r\n');
  });
});
