import type { Tx } from '../db/index.js';

/** A few observations, notes and interventions in 3 Oak, so the demo shows how they fit together. */
export async function seedOakfieldStories(
  trx: Tx,
  schoolId: string,
  class3: string[],
  users: Record<string, string>,
  academicYear: number,
) {
  const wellbeing = await trx('frameworks').where({ school_id: schoolId, kind: 'wellbeing' }).first('id');
  const attainment = await trx('frameworks').where({ school_id: schoolId, kind: 'attainment' }).first('id');
  const item = async (frameworkId: string, name: string) =>
    (await trx('framework_items').where({ framework_id: frameworkId, name }).first('id')).id as string;
  const peers = await item(wellbeing.id, 'Relationships with peers');
  const confidence = await item(wellbeing.id, 'Self-esteem and confidence');
  const reading = await item(attainment.id, 'Reading');
  const teacher = users['teacher@oakfield.test']!;
  await trx('observations').insert([
    {
      school_id: schoolId,
      pupil_id: class3[1],
      observed_on: `${academicYear}-10-08`,
      body: 'Played alone at both breaks this week; joined in when invited to a game.',
      item_ids: [peers],
      author_id: teacher,
    },
    {
      school_id: schoolId,
      pupil_id: class3[2],
      observed_on: `${academicYear}-10-15`,
      body: 'Volunteered to read aloud for the first time this term.',
      item_ids: [confidence],
      author_id: users['ta@oakfield.test'],
    },
  ]);
  const standard = await trx('notes')
    .insert({ school_id: schoolId, pupil_id: class3[1], sensitivity: 'standard', author_id: teacher })
    .returning('id');
  await trx('note_bodies').insert({
    note_id: standard[0].id,
    school_id: schoolId,
    body: 'Spoke with mum at pick-up: settling in well after the move. Will check in again after half term.',
  });
  const restricted = await trx('notes')
    .insert({
      school_id: schoolId,
      pupil_id: class3[1],
      sensitivity: 'restricted',
      author_id: users['dsl@oakfield.test'],
    })
    .returning('id');
  await trx('note_bodies').insert({
    note_id: restricted[0].id,
    school_id: schoolId,
    body: 'Demo restricted note: visible only to the DSL, the head, the school admin and its author.',
  });

  const makeGroup = async (name: string, members: string[]) => {
    const [group] = await trx('groups').insert({ school_id: schoolId, kind: 'intervention', name }).returning('id');
    await trx('group_members').insert(
      members.map((pupil_id) => ({ school_id: schoolId, group_id: group.id, pupil_id })),
    );
    return group.id as string;
  };
  const readingGroup = await makeGroup('Year 3 reading boost', class3.slice(3, 8));
  const [boost] = await trx('interventions')
    .insert({
      school_id: schoolId,
      name: 'Year 3 reading boost',
      type: 'Small-group reading',
      lead_user_id: users['ta@oakfield.test'],
      group_id: readingGroup,
      start_date: `${academicYear}-09-15`,
      frequency: '3 × 20 minutes a week',
      status: 'running',
    })
    .returning('id');
  await trx('intervention_targets').insert({ school_id: schoolId, intervention_id: boost.id, item_id: reading });
  const friendshipGroup = await makeGroup('Friendship group', class3.slice(8, 14));
  const [friends] = await trx('interventions')
    .insert({
      school_id: schoolId,
      name: 'Friendship group',
      type: 'Nurture group',
      lead_user_id: users['senco@oakfield.test'],
      group_id: friendshipGroup,
      start_date: `${academicYear}-01-12`,
      end_date: `${academicYear}-03-27`,
      frequency: 'Weekly, 45 minutes',
      status: 'ended',
    })
    .returning('id');
  await trx('intervention_targets').insert([
    { school_id: schoolId, intervention_id: friends.id, item_id: peers },
    { school_id: schoolId, intervention_id: friends.id, item_id: confidence },
  ]);
}
