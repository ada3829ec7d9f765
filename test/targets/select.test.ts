/**
 * Which targets a policy selects, how an operator narrows them, and the order they start in: pure table tests
 * (IAM's answer is the input).
 */
import { describe, expect, it } from 'vitest';
import type { TargetSelector } from '../../lib/policy/targets';
import {
  compareByRegionAndName,
  type DiscoveredProject,
  markAccountWideLister,
  narrowTargets,
  orderTargets,
  regionOfProject,
  type SelectedTarget,
  selectTargets,
  targetLabel,
  withCapShares,
} from '../../lib/targets/select';

const PROJECTS: readonly DiscoveredProject[] = [
  { id: 'p-cn4', name: 'cn-north-4' },
  { id: 'p-cn4-dev', name: 'cn-north-4_dev' },
  { id: 'p-cn4-test', name: 'cn-north-4_test' },
  { id: 'p-ap3', name: 'ap-southeast-3' },
  { id: 'p-ap3-dev', name: 'ap-southeast-3_dev' },
  { id: 'p-eu101', name: 'eu-west-101' },
  { id: 'p-mos', name: 'MOS' },
];

const NAMES = {
  regions: '--region',
  projects: '--project',
  selectors: 'targets',
  single: 'target',
  planned: 'the plan: targets',
};

function selector(fields: Partial<TargetSelector> & Pick<TargetSelector, 'regions'>): TargetSelector {
  return { projects: ['*'], exclude: undefined, ...fields };
}

const labels = (targets: readonly SelectedTarget[]) => targets.map(targetLabel).sort();

describe('regionOfProject', () => {
  it.each([
    ['cn-north-4', 'cn-north-4'],
    ['cn-north-4_dev', 'cn-north-4'],
    ['eu-de_team_a', 'eu-de'],
    ['MOS', undefined],
    ['_x', undefined],
  ])('%s → %s', (name, region) => {
    expect(regionOfProject(name)).toBe(region);
  });
});

describe('selectTargets', () => {
  it('"*" selects every project of the regions (sub-projects too), never another region or MOS', () => {
    const { targets, problems } = selectTargets(
      [selector({ regions: ['cn-north-4'] })],
      PROJECTS,
      'huaweicloud',
    );
    expect(problems).toEqual([]);
    expect(labels(targets)).toEqual([
      'cn-north-4/cn-north-4',
      'cn-north-4/cn-north-4_dev',
      'cn-north-4/cn-north-4_test',
    ]);
    expect(targets.every((t) => t.cloud === 'huaweicloud')).toBe(true);
  });

  it('exclude globs keep projects out by name', () => {
    const { targets } = selectTargets(
      [selector({ regions: ['cn-north-4', 'ap-southeast-3'], exclude: ['*_dev'] })],
      PROJECTS,
      'huaweicloud',
    );
    expect(labels(targets)).toEqual([
      'ap-southeast-3/ap-southeast-3',
      'cn-north-4/cn-north-4',
      'cn-north-4/cn-north-4_test',
    ]);
  });

  it('names projects by id or by name; one named twice (two selectors) is one target', () => {
    const { targets, problems } = selectTargets(
      [
        selector({ regions: ['cn-north-4'], projects: ['p-cn4-dev', 'cn-north-4'] }),
        selector({ regions: ['cn-north-4'], projects: ['cn-north-4_dev'] }),
      ],
      PROJECTS,
      'huaweicloud',
    );
    expect(problems).toEqual([]);
    expect(labels(targets)).toEqual(['cn-north-4/cn-north-4', 'cn-north-4/cn-north-4_dev']);
  });

  it('a named project that is not there, or in another region, is a problem naming the selector', () => {
    const { problems } = selectTargets(
      [selector({ regions: ['cn-north-4'], projects: ['p-ap3', 'nope'] })],
      PROJECTS,
      'huaweicloud',
    );
    expect(problems).toEqual([
      'targets[0].projects[0]: no project "p-ap3" in cn-north-4 that these credentials can see',
      'targets[0].projects[1]: no project "nope" in cn-north-4 that these credentials can see',
    ]);
  });

  it('a region with no project the credentials can see selects nothing, without a problem', () => {
    const { targets, problems } = selectTargets(
      [selector({ regions: ['la-south-2'] })],
      PROJECTS,
      'huaweicloud',
    );
    expect(targets).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('narrowTargets', () => {
  const all = selectTargets(
    [selector({ regions: ['cn-north-4', 'ap-southeast-3', 'eu-west-101'] })],
    PROJECTS,
    'huaweicloud',
  ).targets;

  it('--region and --project keep only what they name', () => {
    const { targets, problems } = narrowTargets(
      all,
      { regions: ['cn-north-4'], projects: ['cn-north-4_dev', 'p-cn4'] },
      NAMES,
    );
    expect(problems).toEqual([]);
    expect(labels(targets)).toEqual(['cn-north-4/cn-north-4', 'cn-north-4/cn-north-4_dev']);
  });

  it('never widens: a region or project the policy does not select is a problem', () => {
    const { problems } = narrowTargets(all, { regions: ['eu-de'], projects: ['p-mos'] }, NAMES);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^--region eu-de: not among the policy's targets/);
    expect(problems[1]).toMatch(/^--project p-mos: not among the policy's targets/);
  });

  it("the event's targets narrow by selector; one selecting nothing is a problem", () => {
    const { targets, problems } = narrowTargets(
      all,
      {
        selectors: [
          selector({ regions: ['ap-southeast-3'], exclude: ['*_dev'] }),
          selector({ regions: ['eu-de'] }),
        ],
      },
      NAMES,
    );
    expect(labels(targets)).toEqual(['ap-southeast-3/ap-southeast-3']);
    expect(problems).toEqual([expect.stringMatching(/^targets\[1\]: selects none of the policy's targets/)]);
  });

  it("a single target must be exactly one of the policy's (by id or name, in its region)", () => {
    expect(
      narrowTargets(all, { single: { region: 'cn-north-4', projectId: 'p-cn4-dev' } }, NAMES).targets.map(
        targetLabel,
      ),
    ).toEqual(['cn-north-4/cn-north-4_dev']);
    expect(
      narrowTargets(all, { single: { region: 'cn-north-4', projectName: 'cn-north-4' } }, NAMES).problems,
    ).toEqual([]);
    expect(
      narrowTargets(all, { single: { region: 'ap-southeast-3', projectId: 'p-cn4-dev' } }, NAMES).problems,
    ).toHaveLength(1);
    expect(
      narrowTargets(all, { single: { cloud: 'otc', region: 'cn-north-4', projectId: 'p-cn4' } }, NAMES)
        .problems,
    ).toHaveLength(1);
  });

  it("a plan's targets are kept by region and project id; one the policy no longer selects is named as the plan's", () => {
    const kept = narrowTargets(all, { planned: [{ region: 'cn-north-4', projectId: 'p-cn4-dev' }] }, NAMES);
    expect(kept.problems).toEqual([]);
    expect(labels(kept.targets)).toEqual(['cn-north-4/cn-north-4_dev']);

    const gone = narrowTargets(
      all,
      {
        planned: [
          { region: 'cn-north-4', projectId: 'p-cn4' },
          // The right id in another region is not the planned target.
          { region: 'ap-southeast-3', projectId: 'p-cn4-dev' },
        ],
      },
      NAMES,
    );
    expect(labels(gone.targets)).toEqual(['cn-north-4/cn-north-4']);
    expect(gone.problems).toEqual([
      expect.stringMatching(
        /^the plan: targets\[1\] ap-southeast-3\/p-cn4-dev: not among the policy's targets/,
      ),
    ]);
  });
});

describe('orderTargets', () => {
  const all = selectTargets(
    [selector({ regions: ['cn-north-4', 'ap-southeast-3', 'eu-west-101'] })],
    PROJECTS,
    'huaweicloud',
  ).targets;

  it('takes regions in turn, so that targets started together are in different regions', () => {
    const order = orderTargets(all, 0).map((t) => t.region);
    expect(order).toEqual([
      'ap-southeast-3',
      'cn-north-4',
      'eu-west-101',
      'ap-southeast-3',
      'cn-north-4',
      'cn-north-4',
    ]);
  });

  it("rotates by the run's day: each target starts first on some day, and the order is the same within a day", () => {
    const firsts = new Set<string>();
    for (let day = 0; day < all.length; day++)
      firsts.add(targetLabel(orderTargets(all, day)[0] as SelectedTarget));
    expect(firsts.size).toBe(all.length);
    expect(orderTargets(all, 7)).toEqual(orderTargets([...all].reverse(), 7));
  });

  it('sorts within a region as the account-wide lister is chosen (compareByRegionAndName), a configured id without a name too', () => {
    const target = (projectId: string, projectName: string | undefined): SelectedTarget => ({
      cloud: 'huaweicloud',
      region: 'cn-north-4',
      projectId,
      projectName,
    });
    // A project named by id only sorts before the named ones ('' first), whatever its id.
    const targets = [target('b', 'cn-north-4_x'), target('z', undefined), target('a', 'cn-north-4')];
    expect(orderTargets(targets, 0)).toEqual([...targets].sort(compareByRegionAndName));
    expect(orderTargets(targets, 0).map((t) => t.projectId)).toEqual(['z', 'a', 'b']);
  });
});

describe('withCapShares: a one-target run takes the share it has in the whole run', () => {
  const all = markAccountWideLister(
    selectTargets(
      [selector({ regions: ['cn-north-4', 'ap-southeast-3', 'eu-west-101'] })],
      PROJECTS,
      'huaweicloud',
    ).targets,
  );
  const single = (target: SelectedTarget) => ({
    single: { region: target.region, projectId: target.projectId },
  });

  it('splits the cap over all the targets by region and project name, the remainder to the first; whatever the order given', () => {
    // 6 targets, cap 10: 2 each to the first 4 by region and name, 1 each to the last 2.
    const expected = {
      'ap-southeast-3/ap-southeast-3': 2,
      'ap-southeast-3/ap-southeast-3_dev': 2,
      'cn-north-4/cn-north-4': 2,
      'cn-north-4/cn-north-4_dev': 2,
      'cn-north-4/cn-north-4_test': 1,
      'eu-west-101/eu-west-101': 1,
    };
    for (const day of [0, 1, 4]) {
      const shared = withCapShares(orderTargets(all, day), 10);
      expect(Object.fromEntries(shared.map((t) => [targetLabel(t), t.capShare]))).toEqual(expected);
    }
  });

  it('the one-target runs of all the targets delete at most the cap between them', () => {
    for (const cap of [0, 1, 5, 6, 10, 1000]) {
      const shares = all.map((target) => {
        const { targets, problems } = narrowTargets(withCapShares(all, cap), single(target), NAMES);
        expect(problems).toEqual([]);
        return targets[0]?.capShare ?? Number.NaN;
      });
      expect(shares.reduce((sum, share) => sum + share, 0)).toBe(cap);
    }
  });
});
