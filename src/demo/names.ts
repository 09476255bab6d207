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
