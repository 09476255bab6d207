/** UK school reference data used by pupil records (DfE census codes). */

export const sexLabels = { M: 'Male', F: 'Female', U: 'Unknown' } as const;
export type Sex = keyof typeof sexLabels;

/** DfE main ethnicity codes, with refused and not obtained. */
export const ethnicityLabels = {
  WBRI: 'White – British',
  WIRI: 'White – Irish',
  WIRT: 'Traveller of Irish heritage',
  WOTH: 'Any other White background',
  WROM: 'Gypsy / Roma',
  MWBC: 'White and Black Caribbean',
  MWBA: 'White and Black African',
  MWAS: 'White and Asian',
  MOTH: 'Any other mixed background',
  AIND: 'Indian',
  APKN: 'Pakistani',
  ABAN: 'Bangladeshi',
  AOTH: 'Any other Asian background',
  BCRB: 'Black Caribbean',
  BAFR: 'Black African',
  BOTH: 'Any other Black background',
  CHNE: 'Chinese',
  OOTH: 'Any other ethnic group',
  REFU: 'Refused',
  NOBT: 'Information not yet obtained',
} as const;
export type Ethnicity = keyof typeof ethnicityLabels;

export const senStatusLabels = {
  N: 'No special educational need',
  K: 'SEN support',
  E: 'Education, health and care plan',
} as const;
export type SenStatus = keyof typeof senStatusLabels;

export const senNeedLabels = {
  SPLD: 'Specific learning difficulty',
  MLD: 'Moderate learning difficulty',
  SLD: 'Severe learning difficulty',
  PMLD: 'Profound and multiple learning difficulty',
  SLCN: 'Speech, language and communication needs',
  SEMH: 'Social, emotional and mental health',
  ASD: 'Autistic spectrum disorder',
  VI: 'Visual impairment',
  HI: 'Hearing impairment',
  MSI: 'Multi-sensory impairment',
  PD: 'Physical disability',
  NSA: 'SEN support but no specialist assessment of type of need',
} as const;
export type SenNeed = keyof typeof senNeedLabels;

const englishNames = new Set(['english', 'eng', 'enb', 'believed to be english']);
/** DfE codes for a first language that is not known: information not obtained, or refused. */
const unknownLanguages = new Set(['not', 'ref', 'information not obtained', 'refused', 'not obtained', 'unknown']);

/** EAL: a first language other than English. An unknown or refused language is not assumed to be EAL. */
export function isEal(firstLanguage: string | null | undefined): boolean {
  const language = (firstLanguage ?? '').trim().toLowerCase();
  return language !== '' && !englishNames.has(language) && !unknownLanguages.has(language);
}
