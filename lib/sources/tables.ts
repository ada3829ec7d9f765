/**
 * The README's per-API tables, rendered from the descriptors (`npm run docs` writes them between their
 * `<!-- generated:NAME -->` markers; a test fails when the README is out of date). Pure.
 */
import { DESCRIPTORS } from './catalog';

const CLOUD_NAMES = { huaweicloud: 'Huawei Cloud', otc: 'Open Telekom Cloud' } as const;

function code(text: string): string {
  return `\`${text}\``;
}

function onlyOn(clouds: readonly (keyof typeof CLOUD_NAMES)[]): string {
  return clouds.length === 1 && clouds[0] !== undefined ? ` (${CLOUD_NAMES[clouds[0]]} only)` : '';
}

/** The generated blocks, by marker name. */
export const GENERATED_TABLES: Readonly<Record<string, () => string>> = {
  apis: () =>
    [
      '| policy id | API | delete call |',
      '| --- | --- | --- |',
      ...DESCRIPTORS.map((d) => `| ${code(d.id)} | ${d.title}${onlyOn(d.clouds)} | ${code(d.deletePath)} |`),
    ].join('\n'),
  states: () =>
    [
      '| service | deletable states (`states` picks among these) | in progress: always kept | age measured from |',
      '| --- | --- | --- | --- |',
      ...DESCRIPTORS.map(
        (d) =>
          `| ${code(d.id)} | ${d.states.deletable.map(code).join(', ')} | ${d.states.inProgress.map(code).join(', ')} | ${d.ageFrom} |`,
      ),
    ].join('\n'),
  permissions: () =>
    [
      '```json',
      JSON.stringify(
        {
          Version: '1.1',
          Statement: [{ Effect: 'Allow', Action: [...new Set(DESCRIPTORS.flatMap((d) => d.permissions))] }],
        },
        null,
        2,
      ),
      '```',
    ].join('\n'),
};

/** `text` with every generated block replaced by its current rendering. */
export function renderGenerated(text: string): string {
  return text.replace(
    /(<!-- generated:([a-z-]+) -->\n)([\s\S]*?)(\n<!-- \/generated -->)/g,
    (whole, open: string, name: string, _old: string, close: string) => {
      const render = GENERATED_TABLES[name];
      return render ? `${open}${render()}${close}` : whole;
    },
  );
}
