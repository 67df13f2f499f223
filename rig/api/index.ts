// The rig as a library: `import { rig } from 'the-rig'`. Brokers, certificates, boards and scenarios for tests
// written in TypeScript (docs/api.md). Everything here is the public API, versioned by package.json (CHANGELOG.md);
// nothing below this file is.
import { startApiBoard, type BoardOptions, type Board } from './board.ts';
import { startApiBroker, type Broker, type BrokerOptions } from './broker.ts';
import { issuePki, type Pki, type PkiOptions } from './pki.ts';
import { loadApiScenario, type LoadedApiScenario } from './scenario.ts';
import type { PkiSpec } from '../scenario/schema.ts';

export const rig = {
  /** Issues certificates from a spec (the scenario file's `pki:` section). */
  pki: (spec: PkiSpec, o?: PkiOptions): Promise<Pki> => issuePki(spec, o),
  /** Starts a Mosquitto (the scenario file's `broker:` section, plus `pki` and `provider`). */
  broker: (o: BrokerOptions): Promise<Broker> => startApiBroker(o),
  /** Builds, loads and starts a board (twin or lab board) on a broker. */
  board: (id: string, o: BoardOptions): Promise<Board> => startApiBoard(id, o),
  /** Loads a scenario file; `run()` runs one of its cells. */
  scenario: (file: string): Promise<LoadedApiScenario> => loadApiScenario(file),
};

export type { Board, BoardOptions } from './board.ts';
export type { Broker, BrokerOptions } from './broker.ts';
export type { ClientOptions, MqttObserver, ReceivedMessage } from './client.ts';
export type { BrokerFaults } from './faults.ts';
export type { TlsPolicy } from '../broker/faults.ts';
export type { LogSection } from './live.ts';
export type { Pki, PkiOptions } from './pki.ts';
export type { CellRun, CellSelector, LoadedApiScenario, ScenarioRunOptions } from './scenario.ts';
export type { Outcome } from '../results/schema.ts';
export type { Cell } from '../results/schema.ts';
export type { PkiSpec, CertSpec, BrokerSpec, ClientSpec, OutcomeKind } from '../scenario/schema.ts';
export { stopAll, takeLogs } from './live.ts';
