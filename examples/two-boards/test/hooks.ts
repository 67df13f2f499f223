// The rig's mocha root hooks (.mocharc.yml `require:` loads this file).
export { mochaHooks } from 'the-rig/mocha';
