/** Name lists for generated demo pupils: common names across England's communities. */
export const forenames = {
  F: [
    'Olivia', 'Amelia', 'Isla', 'Ava', 'Ivy', 'Freya', 'Lily', 'Florence', 'Mia', 'Willow', 'Rosie', 'Sophia',
    'Isabella', 'Grace', 'Daisy', 'Sienna', 'Poppy', 'Elsie', 'Emily', 'Ella', 'Evelyn', 'Phoebe', 'Sofia', 'Evie',
    'Charlotte', 'Harper', 'Millie', 'Matilda', 'Maya', 'Ruby', 'Aisha', 'Fatima', 'Maryam', 'Zainab', 'Hafsa',
    'Amara', 'Chloe', 'Niamh', 'Orla', 'Zara', 'Priya', 'Anaya', 'Leah', 'Hannah', 'Jessica', 'Eliza', 'Layla',
    'Nia', 'Abigail', 'Zofia', 'Maja', 'Ayesha', 'Imani', 'Thea', 'Ada',
  ],
  M: [
    'Muhammad', 'Noah', 'Oliver', 'George', 'Arthur', 'Leo', 'Harry', 'Oscar', 'Archie', 'Henry', 'Theodore',
    'Freddie', 'Jack', 'Charlie', 'Theo', 'Alfie', 'Jacob', 'Thomas', 'Finley', 'Arlo', 'William', 'Lucas', 'Roman',
    'Tommy', 'Isaac', 'Teddy', 'Ethan', 'Joshua', 'Adam', 'Yusuf', 'Ibrahim', 'Ali', 'Omar', 'Kai', 'Reggie',
    'Rory', 'Callum', 'Dylan', 'Aarav', 'Arjun', 'Samuel', 'Daniel', 'Kwame', 'Tobi', 'Jakub', 'Filip', 'Mason',
    'Hamza', 'Zayn', 'Elijah', 'Harrison', 'Louis', 'Ezra', 'Jude',
  ],
};

export const surnames = [
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Robinson', 'Wright',
  'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Thomas', 'Clarke', 'Jackson', 'Wood',
  'Harris', 'Edwards', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward', 'Hughes', 'Moore', 'Clark', 'King', 'Harrison',
  'Lewis', 'Baker', 'Lee', 'Allen', 'Morris', 'Khan', 'Scott', 'Watson', 'Davis', 'Parker', 'James', 'Bennett',
  'Young', 'Phillips', 'Richardson', 'Mitchell', 'Bailey', 'Carter', 'Cook', 'Singh', 'Shaw', 'Bell', 'Collins',
  'Morgan', 'Kelly', 'Begum', 'Ahmed', 'Hussain', 'Ali', 'Rahman', 'Kaur', 'Okafor', 'Mensah', 'Adeyemi', 'Nowak',
  'Kowalski', 'O’Brien', 'Murphy', 'MacDonald', 'Campbell', 'Chen', 'Nguyen', 'Da Silva', 'Hassan', 'Mahmood',
  'Afolabi', 'Popescu', 'Fernandes', 'Sharma', 'Gill', 'Chaudhry', 'Reid', 'Fraser', 'Price', 'Lloyd', 'Owen',
];

/** Mulberry32: a small seeded PRNG, so the demo is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** Picks from [value, weight] pairs. */
export function weighted<T>(random: () => number, options: readonly (readonly [T, number])[]): T {
  const total = options.reduce((n, [, w]) => n + w, 0);
  let roll = random() * total;
  for (const [value, weight] of options) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return options[options.length - 1]![0];
}

export const ethnicities = [
  ['WBRI', 62], ['WOTH', 6], ['WIRI', 1], ['MWBC', 2], ['MWBA', 1], ['MWAS', 2], ['MOTH', 2], ['AIND', 4], ['APKN', 5],
  ['ABAN', 3], ['AOTH', 2], ['BCRB', 2], ['BAFR', 4], ['CHNE', 1], ['OOTH', 1], ['REFU', 1], ['NOBT', 1],
] as const;

export const languages = [
  ['English', 80], ['Polish', 3], ['Urdu', 3], ['Bengali', 2], ['Punjabi', 2], ['Romanian', 2], ['Arabic', 2],
  ['Somali', 1], ['Portuguese', 1], ['Yoruba', 1], ['Gujarati', 1], ['Lithuanian', 1], ['Tamil', 1],
] as const;

export const senNeeds = ['SPLD', 'MLD', 'SLCN', 'SEMH', 'ASD', 'PD', 'HI', 'VI', 'NSA'] as const;

export const contactRelationships = ['Mother', 'Father', 'Mother', 'Father', 'Grandmother', 'Grandfather', 'Aunt', 'Carer'] as const;
