// Steps: a scenario that unfolds after the board's first outcome (rig/scenario/steps.ts is the format).
export { DEFAULT_WITHIN_MS, runSteps, StepStop, type StepWorld } from './run.ts';
export { describeStep } from './describe.ts';
export { StepMqtt, topicMatches, type StepMqttOptions } from './mqtt.ts';
export { stepsVerdict } from './verdict.ts';
export { connectPacket, takeOverSession, type Takeover, type TakeoverOptions } from './takeover.ts';
