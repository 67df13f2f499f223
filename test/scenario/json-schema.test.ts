import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jsonSchema, SCHEMAS } from '../../rig/cli/commands/schema.ts';
import { projectPaths } from '../../rig/project.ts';

describe('JSON Schema export', () => {
  for (const name of Object.keys(SCHEMAS)) {
    it(`schemas/${name}.schema.json is what \`rig schema --out schemas\` writes (no drift)`, () => {
      const committed = JSON.parse(
        readFileSync(path.join(projectPaths().root, 'schemas', `${name}.schema.json`), 'utf8'),
      ) as unknown;
      assert.deepEqual(committed, jsonSchema(name));
    });
  }
  it('the scenario schema forbids unknown keys and lists the outcome kinds', () => {
    const s = JSON.stringify(jsonSchema('scenario'));
    assert.match(s, /"additionalProperties":false/);
    assert.match(s, /tls\/name-mismatch/);
  });
});
