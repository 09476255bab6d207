/**
 * Unique Pupil Numbers (DfE): 13 characters. A check letter, then a 3-digit LA number, a 4-digit
 * establishment number, a 2-digit year of allocation and a 3-digit serial. A temporary UPN ends
 * in a letter instead of its last digit. We validate; we never "fix" a UPN.
 */
export const upnLetters = 'ABCDEFGHJKLMNPQRTUVWXYZ';

const shape = /^[A-Z]\d{11}[0-9A-Z]$/;

/** The check letter for the 12 characters after it. */
export function upnCheckLetter(rest: string): string {
  if (!/^\d{11}[0-9A-Z]$/.test(rest)) throw new Error('A UPN body is 11 digits then a digit or letter');
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    const ch = rest[i]!;
    const value = /\d/.test(ch) ? Number(ch) : upnLetters.indexOf(ch);
    if (value < 0) throw new Error(`"${ch}" is not used in UPNs`);
    sum += value * (i + 2);
  }
  return upnLetters[sum % 23]!;
}

export type UpnCheck = { valid: true; temporary: boolean } | { valid: false; problem: string };

export function checkUpn(upn: string): UpnCheck {
  if (upn.length !== 13) return { valid: false, problem: 'A UPN has 13 characters' };
  if (!shape.test(upn)) {
    return {
      valid: false,
      problem: 'A UPN is a capital letter, 11 digits, then a digit (or a letter for a temporary UPN)',
    };
  }
  const last = upn[12]!;
  if (/[A-Z]/.test(last) && !upnLetters.includes(last)) {
    return { valid: false, problem: `A temporary UPN cannot end in ${last} (I, O and S are not used)` };
  }
  if (!upnLetters.includes(upn[0]!))
    return { valid: false, problem: `A UPN cannot start with ${upn[0]} (I, O and S are not used)` };
  if (upnCheckLetter(upn.slice(1)) !== upn[0]) {
    return {
      valid: false,
      problem: 'The check letter does not match the rest of the UPN. Check it has been copied correctly.',
    };
  }
  return { valid: true, temporary: /[A-Z]/.test(last) };
}

/** Builds a valid permanent UPN. */
export function makeUpn(laCode: string, establishment: string, year: number, serial: number): string {
  const rest = `${laCode}${establishment}${String(year % 100).padStart(2, '0')}${String(serial).padStart(3, '0')}`;
  return upnCheckLetter(rest) + rest;
}
