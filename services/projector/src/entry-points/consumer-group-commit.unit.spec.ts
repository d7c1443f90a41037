import { describe, expect, it } from 'vitest';
import { GroupCommit } from './consumer-group-commit.ts';

/** A group commit over items that are their own size, recording each group it applies. */
function recording(limit: number, fail?: Error) {
  const groups: number[][] = [];
  const commit = new GroupCommit<number>(
    limit,
    (item) => item,
    async (items) => {
      groups.push([...items]);
      if (fail) throw fail;
    },
  );
  return { groups, commit };
}

describe('group commit', () => {
  it('applies what is submitted in the same turn of the event loop together, once', async () => {
    const { groups, commit } = recording(100);

    await Promise.all([commit.submit(1), commit.submit(2), commit.submit(3)]);

    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('applies at once when the gathered items reach the limit, and gathers the rest separately', async () => {
    const { groups, commit } = recording(5);

    await Promise.all([commit.submit(2), commit.submit(3), commit.submit(1)]);

    expect(groups).toEqual([[2, 3], [1]]);
  });

  it('fails every submitter of a group whose apply fails', async () => {
    const { commit } = recording(100, new Error('serialization failure'));

    const outcomes = await Promise.allSettled([commit.submit(1), commit.submit(2)]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });
});
