import path from 'node:path';
import { buildTwin, profileBuildOptions } from './rig/twin/index.ts';
import { loadBoard } from './rig/boards/load.ts';
const board = process.argv[2]!;
const model = (process.argv[3] ?? 'ilp32') as 'ilp32' | 'lp64';
const p = await loadBoard(`./boards/${board}.yaml`);
const header = `#define SECRET_SSID "x"\n#define SECRET_PASS "y"\n#define SECRET_BROKER "broker.lab"\n#define SECRET_PORT 8883\n#define SECRET_TOPIC "t"\n#define SECRET_CLIENT_ID "c"\n#define SECRET_MQTT_USER ""\n#define SECRET_MQTT_PASS ""\n#define SECRET_INSECURE 1\n`;
const t0 = Date.now();
try {
const b = await buildTwin({ ...profileBuildOptions(p.twin!, p.hardware), boardId: board, sketchDir: `./sketches/lifecycle-${board}-pubsub`, secretsHeader: header, coreVersion: p.twin!.coreVersions[0]!, cacheDir: process.env.CD ?? '/work/cache/twin', dataModel: model });
console.log(board, model, b.binary, 'cached', b.cached, 'ms', Date.now() - t0, 'core', b.coreLibCached, b.coreLibMs);
} catch (e) { console.log((e as Error).message, (e as any).log?.slice(-3000)); }
