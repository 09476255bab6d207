import type { Role } from '../policy/index.js';
import type { YearGroup } from '../lib/year-groups.js';

/** The demo's three schools, their staff, and which class each school's teacher (and TA) takes. Plain data. */

export interface DemoSchool {
  key: 'oakfield' | 'riverside' | 'hillcrest';
  name: string;
  phase: 'primary' | 'secondary';
  establishment: string;
  years: YearGroup[];
  classesPerYear: number;
  classSize: number;
  classNames: string[];
}

export const schools: DemoSchool[] = [
  {
    key: 'oakfield',
    name: 'Oakfield Primary School',
    phase: 'primary',
    establishment: '2000',
    years: ['R', '1', '2', '3', '4', '5', '6'],
    classesPerYear: 1,
    classSize: 30,
    classNames: ['Oak'],
  },
  {
    key: 'riverside',
    name: 'Riverside Primary School',
    phase: 'primary',
    establishment: '2001',
    years: ['R', '1', '2', '3', '4', '5', '6'],
    classesPerYear: 1,
    classSize: 28,
    classNames: ['Willow'],
  },
  {
    key: 'hillcrest',
    name: 'Hillcrest Academy',
    phase: 'secondary',
    establishment: '4000',
    years: ['7', '8', '9', '10', '11'],
    classesPerYear: 2,
    classSize: 30,
    classNames: ['H', 'C'],
  },
];

/** Each school's staff: email, first name, last name, title, roles, job title. */
export const staffBySchool: Record<DemoSchool['key'], [string, string, string, string, Role[], string | null][]> = {
  oakfield: [
    ['admin@oakfield.test', 'Anita', 'Khan', 'Mrs', ['school_admin'], 'School business manager'],
    ['head@oakfield.test', 'Helen', 'Price', 'Mrs', ['head'], 'Headteacher'],
    ['dsl@oakfield.test', 'Dan', 'Shah', 'Mr', ['dsl'], 'Deputy headteacher'],
    ['senco@oakfield.test', 'Sara', 'Nowak', 'Ms', ['senco'], 'SENCo'],
    ['teacher@oakfield.test', 'Tom', 'Ellis', 'Mr', ['teacher'], 'Year 3 teacher'],
    ['ta@oakfield.test', 'Amy', 'Reid', 'Miss', ['teaching_assistant'], 'Teaching assistant'],
  ],
  riverside: [
    ['head@riverside.test', 'Ruth', 'Mensah', 'Dr', ['head', 'school_admin'], 'Headteacher'],
    ['teacher@riverside.test', 'Ravi', 'Gill', 'Mr', ['teacher'], 'Year 4 teacher'],
  ],
  hillcrest: [
    ['head@hillcrest.test', 'Hugh', 'Campbell', 'Mr', ['head', 'school_admin'], 'Principal'],
    ['teacher@hillcrest.test', 'Holly', 'Chen', 'Ms', ['teacher'], 'Teacher of English'],
  ],
};
export const teacherClass: Record<DemoSchool['key'], string> = {
  oakfield: '3 Oak',
  riverside: '4 Willow',
  hillcrest: '8H',
};

/** The support flags every demo school defines: name and description. */
export const supportFlags = [
  ['Breakfast club', 'Attends the school breakfast club'],
  ['Clothing grant', 'Received help with uniform'],
  ['Nurture group', 'Attends the nurture group'],
] as const;
